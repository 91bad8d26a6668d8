/**
 * Helpers the queue-mode cluster's processes share (queueCluster.ts, postgres.ts, redis.ts): waiting
 * for a server to be ready, collecting a child's output, stopping a child's process group, and the
 * modules that come with the n8n installed in e2e/node_modules (not dependencies of the package).
 */
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

import { E2E_DIR } from './n8nInstance';

export const fromN8n = createRequire(path.join(E2E_DIR, 'node_modules', 'n8n', 'package.json'));

export function sleep(ms: number) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (await check().catch(() => false)) return;
		if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms`);
		await sleep(250);
	}
}

export function collect(child: ChildProcess, output: string[]) {
	child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
	child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
}

/** Sends `signal` to the child's process group, then SIGKILL after `graceMs`; resolves on exit. */
export async function stopGroup(child: ChildProcess, signal: NodeJS.Signals, graceMs: number) {
	if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
	const pid = child.pid;
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	try {
		process.kill(-pid, signal);
	} catch {
		// already gone
	}
	let timer: NodeJS.Timeout | undefined;
	const done = await Promise.race([
		exited.then(() => true),
		new Promise<boolean>((resolve) => {
			timer = setTimeout(() => resolve(false), graceMs);
		}),
	]);
	clearTimeout(timer);
	try {
		process.kill(-pid, 'SIGKILL');
	} catch {
		// the group is gone
	}
	if (!done) await exited;
}
