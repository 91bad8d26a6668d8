#!/usr/bin/env node
// Installs the real n8n used by the end-to-end suite (e2e/package-lock.json) unless that exact
// version is already in e2e/node_modules. Kept out of the package's own dependencies on purpose.
// `node scripts/ensure-e2e.js` (npm run e2e:install), or `ensureInstalled()` from another tool.
//
// One install at a time: e2e/.install.lock holds the installer's pid; a second run waits for it.
// An install that did not finish (interrupted, killed) is removed and started over.
const {
	existsSync,
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
			await rm(nodeModules, { recursive: true, force: true, maxRetries: 5 });
		}
		console.log(`${label}: installing n8n ${wanted} into ${where}/ (about 3-5 minutes, 2.3 GB)...`);
		await run('npm', ['ci', '--no-audit', '--no-fund', ...npmArgs], { cwd: dir, stdio: 'inherit' });
	} finally {
		release();
	}
}

module.exports = { ensureInstalled };

if (require.main === module) {
	handleInterrupts();
	ensureInstalled().catch((error) => {
		console.error(`e2e: ${error.message.split('\n')[0]}`);
		process.exitCode = 1;
	});
}
