/**
 * Installs the real n8n used by the end-to-end suite (e2e/package-lock.json) unless that exact
 * version is already in e2e/node_modules. Kept out of the package's own dependencies on purpose.
 * An install that did not finish (interrupted, killed) is removed and started over. npm's output
 * goes to e2e/npm-install.log (shown if the install fails); a heartbeat every 15 s says how far
 * it is. One install at a time (installLock.ts).
 */
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';

import type { RunError } from '../processes';
import { run } from '../processes';
import { busyIn, elapsed, heartbeat, lock, waitFor } from './installLock';

export const ROOT = path.resolve(__dirname, '..');
const LOG_FILE = 'npm-install.log';

function readJson(file: string): Record<string, any> {
	return JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>;
}

/**
 * The n8n version `dir`'s package.json wants, the one in its node_modules, and whether that install
 * finished: npm writes node_modules/.package-lock.json last, after every package and install script.
 */
function state(dir: string) {
	const wanted = readJson(path.join(dir, 'package.json')).dependencies.n8n as string;
	const manifest = path.join(dir, 'node_modules', 'n8n', 'package.json');
	const installed = existsSync(manifest) ? (readJson(manifest).version as string) : undefined;
	const finished = existsSync(path.join(dir, 'node_modules', '.package-lock.json'));
	return { wanted, installed, ready: installed === wanted && finished, finished };
}

/**
 * What `npm ci --loglevel=info` is doing, from its log: fetching packages ("npm http fetch GET 200
 * <url>.tgz" for each tarball), running install scripts ("npm info run <package> <script> <where>
 * <command>", then the same with "{ code: … }" when it ends).
 */
function progress(log: string, total: number): string {
	const fetches = log.match(/^npm http fetch .*$/gm) ?? [];
	const tarballs = fetches.filter((line) => /\.tgz\b/.test(line)).length;
	const running = new Map<string, string>();
	let scriptsRun = 0;
	for (const [, id, script, rest] of log.matchAll(/^npm info run (\S+) (\S+) (.*)$/gm)) {
		if (rest.startsWith('{')) {
			running.delete(`${id} ${script}`);
			scriptsRun++;
		} else running.set(`${id} ${script}`, id.replace(/@[^@]+$/, ''));
	}
	if (running.size) return `running install scripts (${[...new Set(running.values())].join(', ')})`;
	if (scriptsRun) return `finishing (${scriptsRun} install scripts done)`;
	// One line for both kinds of fetch, each count only growing: npm fetches metadata first and
	// tarballs later, so a single "N of up to total" would fall back when the tarballs start.
	if (fetches.length)
		return `fetching packages (${fetches.length} requests, ${tarballs} of up to ${total} packages downloaded)`;
	return 'reading the lockfile';
}

interface LockEntry {
	link?: boolean;
	optional?: boolean;
	os?: string[];
	cpu?: string[];
}

/** The packages `dir`'s lockfile installs here, less optional ones for other systems. */
function packageCount(dir: string): number {
	const packages = (readJson(path.join(dir, 'package-lock.json')).packages ?? {}) as Record<
		string,
		LockEntry
	>;
	const fits = (list: string[] | undefined, value: string) =>
		!list ||
		list.includes(value) ||
		(list.every((entry) => entry.startsWith('!')) && !list.includes(`!${value}`));
	return Object.entries(packages).filter(
		([key, entry]) =>
			key &&
			!entry.link &&
			!(entry.optional && (!fits(entry.os, process.platform) || !fits(entry.cpu, process.arch))),
	).length;
}

/**
 * `npm ci` in `dir` with its output in `dir`/npm-install.log (npm's usual ERESOLVE, EBADENGINE and
 * install-scripts warnings included) and a heartbeat line every 15 s; the log is printed if it fails.
 */
async function npmCi(dir: string, label: string, npmArgs: string[]): Promise<void> {
	const logFile = path.join(dir, LOG_FILE);
	const shownLog = path.relative(process.cwd(), logFile);
	const total = packageCount(dir);
	const since = Date.now();
	const fd = openSync(logFile, 'w');
	const stopHeartbeat = heartbeat(label, () => progress(readFileSync(logFile, 'utf8'), total));
	try {
		await run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=info', ...npmArgs], {
			cwd: dir,
			stdio: ['ignore', fd, fd],
		});
	} catch (error) {
		const lines = readFileSync(logFile, 'utf8')
			.split('\n')
			.filter((line) => line && !line.startsWith('npm http fetch'));
		console.error(
			`${label}: npm ci failed after ${elapsed(since)}; its output (all of it in ${shownLog}):\n` +
				lines.slice(-120).join('\n'),
		);
		const failed = error as RunError;
		const how = failed.signal ? `killed by ${failed.signal}` : `exit code ${failed.code}`;
		throw new Error(`installing n8n failed (npm ci: ${how}); see above`);
	} finally {
		stopHeartbeat();
		closeSync(fd);
	}
	console.log(
		`${label}: n8n installed in ${elapsed(since)}; npm's output, with its usual ERESOLVE, EBADENGINE and install-scripts warnings, is in ${shownLog}`,
	);
}

/**
 * Installs n8n into `dir` (a folder under e2e/ with its own package.json and lockfile) unless the
 * wanted version is there.
 */
export async function ensureInstalled({
	dir = path.join(ROOT, 'e2e'),
	label = 'e2e',
	npmArgs = [],
}: { dir?: string; label?: string; npmArgs?: string[] } = {}): Promise<void> {
	if (state(dir).ready) {
		console.log(`${label}: n8n ${state(dir).installed} is installed`);
		return;
	}
	const release = await lock(dir, label);
	try {
		const { wanted, installed, ready, finished } = state(dir);
		if (ready) {
			console.log(`${label}: n8n ${installed} is installed`);
			return;
		}
		const where = path.relative(ROOT, dir);
		const nodeModules = path.join(dir, 'node_modules');
		await waitFor(
			() => busyIn(dir)[0],
			label,
			(pid) => `another process (pid ${pid}) is still working in ${where}/`,
		);
		if (existsSync(nodeModules)) {
			console.log(
				installed && finished
					? `${label}: replacing n8n ${installed} in ${where}/ with ${wanted}`
					: `${label}: ${where}/node_modules holds an unfinished install (interrupted?); removing it and starting over`,
			);
			const stopHeartbeat = heartbeat(label, () => `removing ${where}/node_modules`);
			await rm(nodeModules, { recursive: true, force: true, maxRetries: 5 }).finally(stopHeartbeat);
		}
		console.log(
			`${label}: installing n8n ${wanted} into ${where}/ (3-5 minutes, 2.3 GB; a line every 15 s)...`,
		);
		await npmCi(dir, label, npmArgs);
	} finally {
		release();
	}
}
