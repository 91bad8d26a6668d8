/**
 * Children started by the tools: each in its own process group, so a whole subtree (npm →
 * node-gyp → make, n8n → its task runner) can be stopped at once, and known to the interrupt
 * handler and the exit hook.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';

import { installExitHook } from './exitHook';
import { signal } from './processTable';
import { GRACE_MS, PARENT_ENV, children, status } from './state';

export interface RunOptions extends Omit<SpawnOptions, 'detached'> {
	/** Written to the child's stdin, which is then closed (stdin is ignored without it). */
	input?: string;
	/** Stops the child (SIGTERM, then SIGKILL after the grace period) and fails after this long. */
	timeout?: number;
	/** Most bytes of stdout and stderr together (default 64 MB). */
	maxBuffer?: number;
}

export interface RunError extends Error {
	code: number | null;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
}

/**
 * Starts a child in its own process group, known to the interrupt handler, with
 * PHOTA_LIFECYCLE_PARENT set in its environment.
 */
export function spawnChild(
	command: string,
	args: string[],
	options: SpawnOptions = {},
): ChildProcess {
	if (status.interruptedBy)
		throw new Error(`interrupted (${status.interruptedBy}): not starting ${command}`);
	installExitHook();
	const child = spawn(command, args, {
		...options,
		detached: true,
		env: { ...(options.env ?? process.env), [PARENT_ENV]: String(process.pid) },
	});
	if (child.pid) {
		children.add(child);
		child.once('exit', () => children.delete(child));
	}
	return child;
}

/**
 * Stops a child started by `spawnChild` and its process group: SIGTERM, then SIGKILL after
 * `graceMs`. Resolves once it has exited.
 */
export function stopChild(child: ChildProcess, graceMs = GRACE_MS): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null || !child.pid) return Promise.resolve();
	const pid = child.pid;
	return new Promise((resolve) => {
		const timer = setTimeout(() => {
			signal(-pid, 'SIGKILL');
			signal(pid, 'SIGKILL');
		}, graceMs);
		child.once('exit', () => {
			clearTimeout(timer);
			// whatever else was in its group goes with it
			signal(-pid, 'SIGKILL');
			resolve();
		});
		signal(-pid, 'SIGTERM');
		signal(pid, 'SIGTERM');
	});
}

/**
 * `execFile` as a promise, for a child in its own process group: stdout and stderr collected
 * (unless `stdio` says otherwise), an optional `input` written to its stdin, and on `timeout` the
 * child is stopped as by `stopChild`. Rejects with a RunError (`code`, `signal`, `stdout`,
 * `stderr`) when the child fails.
 */
export function run(
	command: string,
	args: string[],
	options: RunOptions = {},
): Promise<{ stdout: string; stderr: string }> {
	const { input, timeout, maxBuffer = 64 * 1024 * 1024, stdio, ...spawnOptions } = options;
	return new Promise((resolve, reject) => {
		const child = spawnChild(command, args, {
			...spawnOptions,
			stdio: stdio ?? [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
		});
		const chunks: Record<'stdout' | 'stderr', Buffer[]> = { stdout: [], stderr: [] };
		let size = 0;
		let failure: string | undefined;
		for (const name of ['stdout', 'stderr'] as const) {
			child[name]?.on('data', (chunk: Buffer) => {
				size += chunk.length;
				if (size > maxBuffer) {
					failure ??= `more than ${maxBuffer} bytes of output`;
					void stopChild(child);
				} else chunks[name].push(chunk);
			});
		}
		if (input !== undefined) child.stdin?.end(input);
		child.stdin?.on('error', () => {}); // a child that exits without reading its input
		const timer =
			timeout === undefined
				? undefined
				: setTimeout(() => {
						failure ??= `timed out after ${timeout} ms`;
						void stopChild(child);
					}, timeout);
		child.once('error', (error) => {
			clearTimeout(timer);
			reject(error);
		});
		child.once('close', (code, signalName) => {
			clearTimeout(timer);
			const stdout = Buffer.concat(chunks.stdout).toString('utf8');
			const stderr = Buffer.concat(chunks.stderr).toString('utf8');
			if (code === 0 && !failure) return resolve({ stdout, stderr });
			const how = failure ?? (signalName ? `killed by ${signalName}` : `exit code ${code}`);
			const error: RunError = Object.assign(
				new Error(`Command failed (${how}): ${[command, ...args].join(' ')}\n${stderr}`),
				{ code, signal: signalName, stdout, stderr },
			);
			reject(error);
		});
	});
}
