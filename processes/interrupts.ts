/**
 * `handleInterrupts()` makes Ctrl-C (SIGINT to the process group), SIGTERM, SIGHUP, or the npm
 * command that started this process going away stop every descendant process within a few seconds
 * (SIGTERM, then SIGKILL after a short grace: an `n8n execute` waits for its workflow and spins in
 * an EPIPE loop once its parent is gone), remove the temp folders, print one line and exit by the
 * same signal (so npm adds nothing of its own).
 */
import { writeSync } from 'node:fs';
import { constants } from 'node:os';

import { finalSweep, installExitHook } from './exitHook';
import type { ProcessEntry } from './processTable';
import { descendantsOf, isAlive, processInfo, processTable, signal } from './processTable';
import { GRACE_MS, PARENT_ENV, children, cleanups, status } from './state';

let handlersInstalled = false;

/**
 * Stops every descendant of this process (and every process group one of them leads): SIGTERM,
 * then SIGKILL after `graceMs`. Processes that appear meanwhile are stopped too.
 */
async function stopDescendants(graceMs: number): Promise<{ pids: Set<number>; killed: number }> {
	const ownGroup = processTable().find((entry) => entry.pid === process.pid)?.pgid;
	const seen = new Map<number, ProcessEntry>();
	const deadline = Date.now() + graceMs;
	const termed = new Set<number>();
	const killed = new Set<number>();
	for (;;) {
		const table = processTable();
		for (const entry of descendantsOf(table, process.pid)) {
			seen.set(entry.pid, entry);
			status.stoppedPids.add(entry.pid);
		}
		for (const child of children)
			if (child.pid && !seen.has(child.pid))
				seen.set(child.pid, { pid: child.pid, ppid: process.pid, pgid: child.pid, state: 'R' });
		const remaining = [...seen.values()].filter((entry) => isAlive(entry.pid, table));
		if (!remaining.length) break;
		const kill = status.hurry || Date.now() >= deadline;
		if (kill && Date.now() >= deadline + 3000) break;
		for (const entry of remaining) {
			const sent = kill ? killed : termed;
			if (sent.has(entry.pid)) continue;
			sent.add(entry.pid);
			// A group led by a descendant (children started here lead their own) goes as a whole.
			if (entry.pgid !== ownGroup && seen.has(entry.pgid))
				signal(-entry.pgid, kill ? 'SIGKILL' : 'SIGTERM');
			signal(entry.pid, kill ? 'SIGKILL' : 'SIGTERM');
		}
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	return { pids: new Set(seen.keys()), killed: killed.size };
}

function isNpm(args: string[]): boolean {
	return (
		/(^|\/)(npm|npx)(-cli\.js)?$/.test(args[0] ?? '') || /\/np[mx]-cli\.js$/.test(args[1] ?? '')
	);
}

/**
 * The npm commands (and their `sh -c` shells) this process runs under: `npm run demo` runs
 * `sh -c "ts-node …"`, and `npm test` runs `sh -c "npm run test:unit && npm run test:e2e"`. npm
 * forwards SIGTERM only to its own child, the shell, which dies without passing it on; so when
 * one of these goes away, this process has lost its command and stops as if interrupted.
 */
function npmAncestors(): number[] {
	const chain: number[] = [];
	let pid = process.ppid;
	for (let depth = 0; pid > 1 && depth < 16; depth++) {
		const info = processInfo(pid);
		if (!info) break;
		const shell = /(^|\/)(sh|bash|dash)$/.test(info.args[0] ?? '') && info.args[1] === '-c';
		const parent = shell ? processInfo(info.ppid) : undefined;
		if (!isNpm(info.args) && !(shell && parent && isNpm(parent.args))) break;
		chain.push(pid);
		pid = info.ppid;
	}
	return chain;
}

/**
 * Nothing more reaches stdout or stderr through their streams: whatever the interrupted code still
 * prints (a rejected promise, jest's report, which writes through functions it bound earlier) is
 * dropped. The one line is written with fs.writeSync.
 */
function mute(): void {
	for (const stream of [process.stdout, process.stderr]) {
		const writable = stream as unknown as {
			_write: (chunk: unknown, encoding: unknown, callback: () => void) => void;
			_writev: (chunks: unknown, callback: () => void) => void;
		};
		writable._write = (_chunk, _encoding, callback) => callback();
		writable._writev = (_chunks, callback) => callback();
	}
}

function writeStderr(text: string): void {
	try {
		writeSync(2, text);
	} catch {
		// stderr is gone (a closed terminal)
	}
}

function duration(ms: number): string {
	return `${(ms / 1000).toFixed(1)} s`;
}

async function interrupt(signalName: NodeJS.Signals, reason?: string): Promise<void> {
	if (status.interruptedBy) {
		if (!reason) status.hurry = true; // a second Ctrl-C: no more grace
		return;
	}
	status.interruptedBy = signalName;
	const started = Date.now();
	mute();
	// The interrupted code goes on until its children are gone and may try to exit meanwhile
	// (jest does once its tests have failed): this handler exits when it is done.
	const exit = process.exit.bind(process);
	process.exit = (() => undefined) as unknown as typeof process.exit;
	const quiet = process.env[PARENT_ENV] !== undefined;
	const what = reason ?? signalName;
	if (!quiet)
		writeStderr(`${process.stderr.isTTY ? '\n' : ''}✖ Interrupted (${what}), cleaning up… `);
	const { pids, killed } = await stopDescendants(GRACE_MS);
	const notes: string[] = [];
	for (const cleanup of cleanups) {
		try {
			const note = await Promise.race([
				cleanup(),
				new Promise((resolve) => setTimeout(resolve, GRACE_MS)),
			]);
			if (typeof note === 'string' && note) notes.push(note);
		} catch {
			// cleaning up as much as possible
		}
	}
	const folders = finalSweep(pids);
	const parts = [
		pids.size ? `stopped ${pids.size} process${pids.size === 1 ? '' : 'es'}` : '',
		killed ? `${killed} killed after ${duration(GRACE_MS)}` : '',
		folders ? `removed ${folders} temp folder${folders === 1 ? '' : 's'}` : '',
		...notes,
	].filter(Boolean);
	if (!quiet)
		writeStderr(
			`${parts.length ? parts.join(', ') : 'done'} (${duration(Date.now() - started)}).\n`,
		);
	// Exit by the signal itself, as an uninterrupted default would: npm then stays silent.
	for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeAllListeners(name);
	process.kill(process.pid, signalName);
	setTimeout(() => exit(128 + (constants.signals[signalName] ?? 15)), 1000);
}

/**
 * Runs `cleanup` when this process is interrupted, after its children are stopped; returns a
 * function that takes it back.
 */
export function onInterrupt(cleanup: () => unknown): () => void {
	cleanups.push(cleanup);
	return () => {
		const index = cleanups.indexOf(cleanup);
		if (index !== -1) cleanups.splice(index, 1);
	};
}

/**
 * Makes this process stop cleanly on SIGINT, SIGTERM and SIGHUP, and when the npm command that
 * started it goes away. `onInterrupt` runs after the children are stopped and may return a few
 * words for the one line printed ("simulator closed").
 */
export function handleInterrupts(options: { onInterrupt?: () => unknown } = {}): void {
	if (options.onInterrupt) cleanups.push(options.onInterrupt);
	if (handlersInstalled) return;
	handlersInstalled = true;
	installExitHook();
	for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
		process.on(name, () => void interrupt(name));
	const ancestors = npmAncestors();
	if (ancestors.length) {
		setInterval(() => {
			// A moment's delay: a SIGTERM to the whole group, arriving meanwhile, is the better name.
			if (ancestors.some((pid) => !isAlive(pid)))
				setTimeout(
					() => void interrupt('SIGTERM', 'the npm command that started it was stopped'),
					200,
				);
		}, 500).unref();
	}
}

/** Whether an interrupt is being handled (the code being interrupted may check before reporting an error). */
export function isInterrupted(): boolean {
	return status.interruptedBy !== undefined;
}

/**
 * Reports a failure and exits with code 1, unless it is only the echo of an interrupt: a child
 * killed by Ctrl-C fails before this process's own signal handler has run, so wait a moment.
 */
export function failUnlessInterrupted(message: string): void {
	process.exitCode = 1;
	setTimeout(() => {
		if (status.interruptedBy) return;
		writeStderr(`${message}\n`);
		process.exit(1);
	}, 200);
}
