/** `n8n start` (editor, REST API, webhooks) on free ports, for the editor and queue-mode suites. */
import type { ChildProcess } from 'node:child_process';

import { fetch } from 'undici';

import { spawnChild } from '../processes';
import type { N8nInstance } from './n8nInstance';
import { portEnv } from './ports';

export interface N8nServer {
	/** The editor and REST API, e.g. http://127.0.0.1:40123 */
	url: string;
	process: ChildProcess;
	/** Everything the server printed so far (stdout and stderr). */
	output: string[];
	stop(): Promise<void>;
}

/**
 * `n8n start` on free ports (server and task broker), listening on 127.0.0.1 only. Resolves once
 * the database is migrated (`/healthz/readiness`; plain `/healthz` answers before the migrations)
 * and the REST API is registered (`/rest/settings`), which n8n does after both.
 */
export async function startN8nServer(n8n: N8nInstance, timeoutMs = 180_000): Promise<N8nServer> {
	const env = { ...n8n.env, ...(await portEnv()) };
	const url = `http://127.0.0.1:${env.N8N_PORT}`;
	const output: string[] = [];
	// Its own process group, so that stop() can also end the task runner n8n starts.
	const child = spawnChild(n8n.nodeBinary, [n8n.binary, 'start'], { env });
	child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
	child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

	const stop = async () => {
		let stopped = child.exitCode !== null || child.signalCode !== null;
		if (!stopped) {
			child.kill('SIGTERM');
			stopped = await Promise.race([
				exited.then(() => true),
				new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 20_000).unref()),
			]);
		}
		// The whole group: n8n itself if it did not stop in time, and a task runner left behind.
		try {
			process.kill(-child.pid!, 'SIGKILL');
		} catch {
			// the group is already gone
		}
		if (!stopped) await exited;
	};

	const ok = async (route: string) => {
		try {
			const response = await fetch(url + route, { signal: AbortSignal.timeout(5_000) });
			await response.arrayBuffer();
			return response.status === 200;
		} catch {
			return false;
		}
	};
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (child.exitCode !== null || child.signalCode !== null)
			throw new Error(`n8n start exited before it was ready:\n${output.join('').slice(-4000)}`);
		if ((await ok('/healthz/readiness')) && (await ok('/rest/settings'))) break;
		if (Date.now() > deadline) {
			await stop();
			throw new Error(
				`n8n start was not ready in ${timeoutMs} ms:\n${output.join('').slice(-4000)}`,
			);
		}
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
	return { url, process: child, output, stop };
}
