import type { ChildProcess, SpawnOptions } from 'node:child_process';

/** Types of scripts/lifecycle.js (plain CommonJS, shared by the TypeScript and JavaScript tools). */

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

export const GRACE_MS: number;
export function failUnlessInterrupted(message: string): void;
export function handleInterrupts(options?: { onInterrupt?: () => unknown }): void;
export function isAlive(pid: number): boolean;
export function isInterrupted(): boolean;
export function makeTempDir(prefix: string): string;
export function onInterrupt(cleanup: () => unknown): () => void;
export function ownTempDirsOfDescendants(): void;
export function removeTempDir(dir: string): void;
export function removeTempDirsOf(pids?: Iterable<number>): number;
export function run(
	command: string,
	args: string[],
	options?: RunOptions,
): Promise<{ stdout: string; stderr: string }>;
export function spawnChild(command: string, args: string[], options?: SpawnOptions): ChildProcess;
export function stopChild(child: ChildProcess, graceMs?: number): Promise<void>;
