#!/usr/bin/env node
// Installs the real n8n used by the end-to-end suite (e2e/package-lock.json) unless that exact
// version is already in e2e/node_modules. Kept out of the package's own dependencies on purpose.
// `node scripts/ensure-e2e.js` (npm run e2e:install), or `ensureInstalled()` from another tool.
//
// One install at a time: e2e/.install.lock holds the installer's pid; a second run waits for it.
// An install that did not finish (interrupted, killed) is removed and started over. npm's output
// goes to e2e/npm-install.log (shown if the install fails); a heartbeat every 15 s says how far it is.
const {
	closeSync,
	existsSync,
	openSync,
	readFileSync,
	readlinkSync,
	readdirSync,
	rmSync,
	writeFileSync,
} = require('node:fs');
const { rm } = require('node:fs/promises');
const path = require('node:path');

const { handleInterrupts, isAlive, onInterrupt, run } = require('./lifecycle');

const ROOT = path.resolve(__dirname, '..');
const LOCK_FILE = '.install.lock';
const LOG_FILE = 'npm-install.log';
const HEARTBEAT_MS = 15_000;

function sleep(ms) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

function elapsed(since) {
	const seconds = Math.round((Date.now() - since) / 1000);
	return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/**
 * The n8n version `dir`'s package.json wants, the one in its node_modules, and whether that install
 * finished: npm writes node_modules/.package-lock.json last, after every package and install script.
 */
function state(dir) {
	const wanted = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).dependencies.n8n;
	const manifest = path.join(dir, 'node_modules', 'n8n', 'package.json');
	const installed = existsSync(manifest)
		? JSON.parse(readFileSync(manifest, 'utf8')).version
		: undefined;
	const finished = existsSync(path.join(dir, 'node_modules', '.package-lock.json'));
	return { wanted, installed, ready: installed === wanted && finished, finished };
}

/** npm processes working inside `dir` (Linux: by their working folder), e.g. an orphaned `npm ci`. */
function busyIn(dir) {
	let pids = [];
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
async function waitFor(holder, label, what) {
	const since = Date.now();
	let said = 0;
	for (let pid = holder(); pid; pid = holder()) {
		if (!said) console.log(`${label}: ${what(pid)}; waiting for it to finish...`);
		else if (Date.now() - said >= 15_000)
			console.log(`${label}: ... still waiting (${elapsed(since)})`);
		if (!said || Date.now() - said >= 15_000) said = Date.now();
		await sleep(1000);
	}
}

/** Takes `dir`'s install lock, waiting while another live process holds it; returns the release. */
async function lock(dir, label) {
	const file = path.join(dir, LOCK_FILE);
	const holder = () => {
		try {
			const { pid } = JSON.parse(readFileSync(file, 'utf8'));
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
			if (error.code !== 'EEXIST') throw error;
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
function heartbeat(label, doing) {
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

/**
 * What `npm ci --loglevel=info` is doing, from its log: fetching packages ("npm http fetch GET 200
 * <url>.tgz" for each tarball), running install scripts ("npm info run <package> <script> <where>
 * <command>", then the same with "{ code: … }" when it ends).
 */
function progress(log, total) {
	const fetches = log.match(/^npm http fetch .*$/gm) ?? [];
	const tarballs = fetches.filter((line) => /\.tgz\b/.test(line)).length;
	const running = new Map();
	let scriptsRun = 0;
	for (const [, id, script, rest] of log.matchAll(/^npm info run (\S+) (\S+) (.*)$/gm)) {
		if (rest.startsWith('{')) {
			running.delete(`${id} ${script}`);
			scriptsRun++;
		} else running.set(`${id} ${script}`, id.replace(/@[^@]+$/, ''));
	}
	if (running.size) return `running install scripts (${[...new Set(running.values())].join(', ')})`;
	if (scriptsRun) return `finishing (${scriptsRun} install scripts done)`;
	if (tarballs) return `fetching and unpacking packages (${tarballs} of up to ${total})`;
	if (fetches.length) return `fetching package metadata (${fetches.length} of up to ${total})`;
	return 'reading the lockfile';
}

/** The packages `dir`'s lockfile installs here, less optional ones for other systems. */
function packageCount(dir) {
	const { packages = {} } = JSON.parse(readFileSync(path.join(dir, 'package-lock.json'), 'utf8'));
	const fits = (list, value) =>
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
async function npmCi(dir, label, npmArgs) {
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
		const how = error.signal ? `killed by ${error.signal}` : `exit code ${error.code}`;
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
 * @param {{ dir?: string, label?: string, npmArgs?: string[] }} [options]
 */
async function ensureInstalled({ dir = path.join(ROOT, 'e2e'), label = 'e2e', npmArgs = [] } = {}) {
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

module.exports = { ensureInstalled };

if (require.main === module) {
	handleInterrupts();
	// An optional folder argument (default e2e/) is for tests of this script.
	const dir = process.argv[2] ? path.resolve(process.argv[2]) : undefined;
	ensureInstalled({ dir }).catch((error) => {
		console.error(`e2e: ${error.message.split('\n')[0]}`);
		process.exitCode = 1;
	});
}
