/**
 * What this process makes must not outlive it: on any exit (an uncaught error, process.exit) its
 * children are killed and the temp folders made by `makeTempDir` are removed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { descendantsOf, processTable, signal } from './processTable';
import { OWNER_ENV, children, status, tempDirs } from './state';
import { removeTempDirsOf } from './tempDirs';

let exitHookInstalled = false;

/**
 * Kills (SIGKILL) whatever descendant is still there, with the process groups they lead, and
 * removes the temp folders of this process and of `pids`; synchronous, for the very end.
 */
export function finalSweep(pids: Set<number>): number {
	const table = processTable();
	const ownGroup = table.find((entry) => entry.pid === process.pid)?.pgid;
	const late = descendantsOf(table, process.pid);
	for (const entry of late) pids.add(entry.pid);
	for (const entry of late) {
		if (entry.pgid !== ownGroup && pids.has(entry.pgid)) signal(-entry.pgid, 'SIGKILL');
		signal(entry.pid, 'SIGKILL');
	}
	return removeTempDirsOf(pids);
}

export function installExitHook(): void {
	if (exitHookInstalled) return;
	exitHookInstalled = true;
	// Last resort on any exit (an uncaught error, process.exit): nothing started here lives on.
	process.on('exit', () => {
		for (const child of children) if (child.pid) signal(-child.pid, 'SIGKILL');
		for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
		// Something called process.exit() while an interrupt was being handled.
		if (status.interruptedBy) finalSweep(status.stoppedPids);
	});
}

/**
 * A new folder `<tmpdir>/<prefix><owner pid>-XXXXXX`, removed when this process is interrupted or
 * exits (if still there). The owner is this process, or the one named by PHOTA_TEMP_OWNER (jest's
 * main process sets it for its workers, which may be killed before they clean up; it removes
 * what they leave). `prefix` starts with "phota-" and ends with "-".
 */
export function makeTempDir(prefix: string): string {
	if (!/^phota-.*-$/.test(prefix)) throw new Error(`temp folder prefix "${prefix}": phota-…-`);
	installExitHook();
	const ownerEnv = process.env[OWNER_ENV] ?? '';
	const owner = /^\d+$/.test(ownerEnv) ? ownerEnv : String(process.pid);
	const dir = mkdtempSync(path.join(tmpdir(), `${prefix}${owner}-`));
	tempDirs.add(dir);
	return dir;
}
