/**
 * Helpers the queue-mode cluster's processes share (queueCluster.ts, postgres.ts, redis.ts): waiting
 * for a server to be ready, collecting a child's output, stopping a child's process group, and the
 * modules that come with the n8n installed in e2e/node_modules (not dependencies of the package).
 */
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

import { E2E_DIR } from './n8nInstance';

/** The n8n under test: e2e/node_modules/n8n, or the compatibility matrix's (scripts/compat.js). */
const N8N_DIR = process.env.PHOTA_E2E_N8N_DIR ?? path.join(E2E_DIR, 'node_modules', 'n8n');
// pg, ioredis and flatted come with that n8n (not dependencies of the package), so the suite reads
// the database, the queue and the run data with the same libraries as the n8n it tests.
export const fromN8n = createRequire(path.join(N8N_DIR, 'package.json'));

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
