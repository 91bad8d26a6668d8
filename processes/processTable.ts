/** The machine's processes as this tool sees them: who is alive, whose child, in which group. */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcessEntry {
	pid: number;
	ppid: number;
	pgid: number;
	state: string;
}

/** Every process of the machine (Linux: /proc; elsewhere: ps). */
export function processTable(): ProcessEntry[] {
	let pids: string[];
	try {
		pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
	} catch {
		try {
			return execFileSync('ps', ['-A', '-o', 'pid=,ppid=,pgid=,stat='], { encoding: 'utf8' })
				.trim()
				.split('\n')
				.map((line) => {
					const [pid, ppid, pgid, state] = line.trim().split(/\s+/);
					return { pid: Number(pid), ppid: Number(ppid), pgid: Number(pgid), state: state ?? '' };
				});
		} catch {
			return [];
		}
	}
	return pids.flatMap((pid) => {
		try {
			const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
			const [state, ppid, pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			return [{ pid: Number(pid), ppid: Number(ppid), pgid: Number(pgid), state }];
		} catch {
			return [];
		}
	});
}

export function descendantsOf(table: ProcessEntry[], root: number): ProcessEntry[] {
	const found: ProcessEntry[] = [];
	const parents = new Set([root]);
	for (let grew = true; grew; ) {
		grew = false;
		for (const entry of table) {
			if (parents.has(entry.ppid) && !parents.has(entry.pid)) {
				parents.add(entry.pid);
				found.push(entry);
				grew = true;
			}
		}
	}
	return found;
}

/** Alive and not a zombie; with a process table, by that table. */
export function isAlive(pid: number, table?: ProcessEntry[]): boolean {
	if (table?.length) {
		const entry = table.find((candidate) => candidate.pid === pid);
		return entry !== undefined && !entry.state.startsWith('Z');
	}
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

export function signal(pid: number, signalName: NodeJS.Signals): void {
	try {
		process.kill(pid, signalName);
	} catch {
		// already gone
	}
}

/** Best effort: the parent pid and command line of a process. */
export function processInfo(pid: number): { ppid: number; args: string[] } | undefined {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
		const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/).filter(Boolean);
		return { ppid, args };
	} catch {
		try {
			const line = execFileSync('ps', ['-o', 'ppid=,args=', '-p', String(pid)], {
				encoding: 'utf8',
			}).trim();
			const [ppid, ...args] = line.split(/\s+/);
			return { ppid: Number(ppid), args };
		} catch {
			return undefined;
		}
	}
}
