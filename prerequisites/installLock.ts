/**
 * One n8n install at a time in a folder: `<dir>/.install.lock` holds the installer's pid; a second
 * run waits for it (saying so once, then every 15 s), and a lock left by an installer that is gone
 * is taken over. Also the heartbeat line a long install prints every 15 s.
 */
import {
	existsSync,
	readFileSync,
	readlinkSync,
	readdirSync,
	rmSync,
	writeFileSync,
} from 'node:fs';
import path from 'node:path';

import { isAlive, onInterrupt } from '../processes';

const LOCK_FILE = '.install.lock';
export const HEARTBEAT_MS = 15_000;

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

export function elapsed(since: number): string {
	const seconds = Math.round((Date.now() - since) / 1000);
	return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/** npm processes working inside `dir` (Linux: by their working folder), e.g. an orphaned `npm ci`. */
export function busyIn(dir: string): number[] {
	let pids: string[] = [];
	try {
		pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
	} catch {
		return [];
	}
	return pids.map(Number).filter((pid) => {
		if (pid === process.pid) return false;
		try {
			const cwd = readlinkSync(`/proc/${pid}/cwd`);
			if (cwd !== dir && !cwd.startsWith(`${dir}${path.sep}`)) return false;
			const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/);
			return args[0] === 'npm' || args.some((arg) => arg.endsWith('npm-cli.js'));
		} catch {
			return false;
		}
	});
}

/** Waits while `holder()` names a live process, saying so once and then every 15 s. */
export async function waitFor(
	holder: () => number | undefined,
	label: string,
	what: (pid: number) => string,
): Promise<void> {
	const since = Date.now();
	let said = 0;
	for (let pid = holder(); pid; pid = holder()) {
		if (!said) console.log(`${label}: ${what(pid)}; waiting for it to finish...`);
		else if (Date.now() - said >= HEARTBEAT_MS)
			console.log(`${label}: ... still waiting (${elapsed(since)})`);
		if (!said || Date.now() - said >= HEARTBEAT_MS) said = Date.now();
		await sleep(1000);
	}
}

/** Takes `dir`'s install lock, waiting while another live process holds it; returns the release. */
export async function lock(dir: string, label: string): Promise<() => void> {
	const file = path.join(dir, LOCK_FILE);
	const holder = () => {
		try {
			const { pid } = JSON.parse(readFileSync(file, 'utf8')) as { pid: number };
			return pid !== process.pid && isAlive(pid) ? pid : undefined;
		} catch {
			return undefined;
		}
	};
	for (;;) {
		try {
			writeFileSync(file, JSON.stringify({ pid: process.pid, since: new Date().toISOString() }), {
				flag: 'wx',
			});
			break;
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
		}
		if (holder()) {
			await waitFor(holder, label, (pid) => `another install of n8n (pid ${pid}) is running`);
		} else {
			rmSync(file, { force: true }); // left by an installer that is gone
		}
	}
	const release = () => {
		if (!holder() && existsSync(file)) rmSync(file, { force: true });
	};
	const forget = onInterrupt(release);
	process.once('exit', release);
	return () => {
		forget();
		process.removeListener('exit', release);
		release();
	};
}

/** Prints `<label>: ... <elapsed>: <what it is doing>` every 15 s until the returned function is called. */
export function heartbeat(label: string, doing: () => string): () => void {
	const since = Date.now();
	const timer = setInterval(() => {
		let what = 'working';
		try {
			what = doing();
		} catch {
			// say it next time
		}
		console.log(`${label}: ... ${elapsed(since)}: ${what}`);
	}, HEARTBEAT_MS);
	return () => clearInterval(timer);
}
