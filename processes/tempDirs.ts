/**
 * Finding and removing the temp folders the tools make (exitHook.ts makes them): named
 * `phota-<what>-<owner pid>-XXXXXX`, so the process that owns one (or its parent) can find and
 * remove it even when another module instance made it (jest runs tests in a sandbox of their own),
 * and the next run can remove what a crashed one left (removeStaleTempDirs).
 */
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { isAlive } from './processTable';
import { OWNER_ENV, tempDirs } from './state';

/** `phota-<what>-<pid>-<6 random characters from mkdtemp>` */
const TEMP_DIR_PATTERN = /^phota-.+-(\d+)-[A-Za-z0-9]{6}$/;

export function removeTempDir(dir: string): void {
	rmSync(dir, { recursive: true, force: true });
	tempDirs.delete(dir);
}

function tempDirNames(root = tmpdir()): string[] {
	try {
		return readdirSync(root);
	} catch {
		return []; // no temp folder to look in
	}
}

/** The temp folders made here, or by `makeTempDir` in any of the given processes. */
function tempDirsOf(pids: Iterable<number>): string[] {
	const owners = new Set([...pids].map(String));
	const found = tempDirNames()
		.filter((name) => owners.has(TEMP_DIR_PATTERN.exec(name)?.[1] ?? ''))
		.map((name) => path.join(tmpdir(), name));
	return [...new Set([...tempDirs, ...found])];
}

/**
 * Removes the temp folders made by this process (through any instance of this module) and by the
 * given processes; returns how many there were.
 */
export function removeTempDirsOf(pids: Iterable<number> = []): number {
	const dirs = tempDirsOf([process.pid, ...pids]);
	for (const dir of dirs) removeTempDir(dir);
	return dirs.length;
}

/**
 * Removes the temp folders whose name starts with `prefix` (e.g. "phota-demo-") and whose owner
 * process is gone: what a run that crashed or was killed (SIGKILL, a power cut) could not remove.
 * Returns the folders removed. `root` is the temp folder to look in (default: the system's).
 */
export function removeStaleTempDirs(prefix: string, root = tmpdir()): string[] {
	if (!/^phota-.*-$/.test(prefix)) throw new Error(`temp folder prefix "${prefix}": phota-…-`);
	const stale = tempDirNames(root).filter((name) => {
		const owner = TEMP_DIR_PATTERN.exec(name)?.[1];
		return name.startsWith(prefix) && owner !== undefined && !isAlive(Number(owner));
	});
	const dirs = stale.map((name) => path.join(root, name));
	for (const dir of dirs) removeTempDir(dir);
	return dirs;
}

/**
 * Makes this process the owner of the temp folders its descendants make (they are named after it),
 * for `removeTempDirsOf()` to remove at the end even if a descendant could not.
 */
export function ownTempDirsOfDescendants(): void {
	process.env[OWNER_ENV] = String(process.pid);
}
