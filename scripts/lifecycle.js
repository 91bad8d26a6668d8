// @ts-check
/**
 * What makes the demo and the developer tools (npm run demo, npm test, npm run bench, npm run
 * test:compat, the n8n install into e2e/, the simulator) behave like a well-kept CLI, in one place.
 *
 * - Children are started through `run`/`spawnChild`: each in its own process group, so a whole
 *   subtree (npm → node-gyp → make, n8n → its task runner) can be stopped at once.
 * - Temp folders come from `makeTempDir`: named `phota-<what>-<pid>-XXXXXX`, so the process that
 *   owns one (or its parent) can find and remove it even when another module instance made it
 *   (jest runs tests in a sandbox of their own).
 * - `handleInterrupts()` makes Ctrl-C (SIGINT to the process group), SIGTERM, SIGHUP, or the npm
 *   command that started this process going away stop every descendant process within a few
 *   seconds (SIGTERM, then SIGKILL after a short grace: an `n8n execute` waits for its workflow and
 *   spins in an EPIPE loop once its parent is gone), remove the temp folders, print one line and
 *   exit by the same signal (so npm adds nothing of its own).
 *
 * Plain CommonJS so that scripts/ensure-e2e.js and scripts/compat.js use it without a compile
 * step; types are in lifecycle.d.ts.
 */
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const { mkdtempSync, readFileSync, readdirSync, rmSync, writeSync } = require('node:fs');
const { constants, tmpdir } = require('node:os');
const path = require('node:path');

/** How long children get to stop after SIGTERM before they are killed. */
const GRACE_MS = 2000;
/** Set for every child started here: one of these tools started by another prints no line itself. */
const PARENT_ENV = 'PHOTA_LIFECYCLE_PARENT';
/** Set by a process that removes the temp folders its descendants leave (see makeTempDir). */
const OWNER_ENV = 'PHOTA_TEMP_OWNER';
/** `phota-<what>-<pid>-<6 random characters from mkdtemp>` */
const TEMP_DIR_PATTERN = /^phota-.+-(\d+)-[A-Za-z0-9]{6}$/;

/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();
/** @type {Set<string>} */
const tempDirs = new Set();
/** @type {Array<() => unknown>} */
const cleanups = [];
let handlersInstalled = false;
let exitHookInstalled = false;
/** @type {NodeJS.Signals | undefined} */
let interruptedBy;
let hurry = false;
/** @type {Set<number>} the descendants seen while handling an interrupt */
let stoppedPids = new Set();

// ---------------------------------------------------------------- processes

/**
 * @typedef {{ pid: number, ppid: number, pgid: number, state: string }} ProcessEntry
 * @returns {ProcessEntry[]} every process of the machine (Linux: /proc; elsewhere: ps)
 */
function processTable() {
	/** @type {string[]} */
	let pids;
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

/** @param {ProcessEntry[]} table @param {number} root */
function descendantsOf(table, root) {
	/** @type {ProcessEntry[]} */
	const found = [];
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

/**
 * Alive and not a zombie; with a process table, by that table.
 * @param {number} pid @param {ProcessEntry[]} [table]
 */
function isAlive(pid, table) {
	if (table?.length) {
		const entry = table.find((candidate) => candidate.pid === pid);
		return entry !== undefined && !entry.state.startsWith('Z');
	}
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
	}
}

/** @param {number} pid @param {NodeJS.Signals} signal */
function signal(pid, signal) {
	try {
		process.kill(pid, signal);
	} catch {
		// already gone
	}
}

/**
 * Stops every descendant of this process (and every process group one of them leads): SIGTERM,
 * then SIGKILL after `graceMs`. Processes that appear meanwhile are stopped too.
 * @param {number} graceMs
 * @returns {Promise<{ pids: Set<number>, killed: number }>}
 */
async function stopDescendants(graceMs) {
	const ownGroup = processTable().find((entry) => entry.pid === process.pid)?.pgid;
	/** @type {Map<number, ProcessEntry>} */
	const seen = new Map();
	const deadline = Date.now() + graceMs;
	/** @type {Set<number>} */
	const termed = new Set();
	/** @type {Set<number>} */
	const killed = new Set();
	for (;;) {
		const table = processTable();
		for (const entry of descendantsOf(table, process.pid)) {
			seen.set(entry.pid, entry);
			stoppedPids.add(entry.pid);
		}
		for (const child of children)
			if (child.pid && !seen.has(child.pid))
				seen.set(child.pid, { pid: child.pid, ppid: process.pid, pgid: child.pid, state: 'R' });
		const remaining = [...seen.values()].filter((entry) => isAlive(entry.pid, table));
		if (!remaining.length) break;
		const kill = hurry || Date.now() >= deadline;
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

/**
 * Starts a child in its own process group, known to the interrupt handler, with
 * PHOTA_LIFECYCLE_PARENT set in its environment.
 * @param {string} command
 * @param {string[]} args
 * @param {import('node:child_process').SpawnOptions} [options]
 */
function spawnChild(command, args, options = {}) {
	if (interruptedBy) throw new Error(`interrupted (${interruptedBy}): not starting ${command}`);
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
 * @param {import('node:child_process').ChildProcess} child
 * @param {number} [graceMs]
 * @returns {Promise<void>}
 */
function stopChild(child, graceMs = GRACE_MS) {
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
 * child is stopped as by `stopChild`. Rejects with an Error carrying `code`, `signal`, `stdout`
 * and `stderr` when the child fails.
 * @param {string} command
 * @param {string[]} args
 * @param {import('./lifecycle').RunOptions} [options]
 * @returns {Promise<{ stdout: string, stderr: string }>}
 */
function run(command, args, options = {}) {
	const { input, timeout, maxBuffer = 64 * 1024 * 1024, stdio, ...spawnOptions } = options;
	return new Promise((resolve, reject) => {
		const child = spawnChild(command, args, {
			...spawnOptions,
			stdio: stdio ?? [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
		});
		/** @type {Record<'stdout' | 'stderr', Buffer[]>} */
		const chunks = { stdout: [], stderr: [] };
		let size = 0;
		/** @type {string | undefined} */
		let failure;
		for (const name of /** @type {const} */ (['stdout', 'stderr'])) {
			child[name]?.on('data', (/** @type {Buffer} */ chunk) => {
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
			const error = Object.assign(
				new Error(`Command failed (${how}): ${[command, ...args].join(' ')}\n${stderr}`),
				{ code, signal: signalName, stdout, stderr },
			);
			reject(error);
		});
	});
}

// ---------------------------------------------------------------- temp folders

/**
 * A new folder `<tmpdir>/<prefix><owner pid>-XXXXXX`, removed when this process is interrupted or
 * exits (if still there). The owner is this process, or the one named by PHOTA_TEMP_OWNER (jest's
 * main process sets it for its workers, which may be killed before they clean up; it removes
 * what they leave). `prefix` starts with "phota-" and ends with "-".
 * @param {string} prefix
 */
function makeTempDir(prefix) {
	if (!/^phota-.*-$/.test(prefix)) throw new Error(`temp folder prefix "${prefix}": phota-…-`);
	installExitHook();
	const owner = /^\d+$/.test(process.env[OWNER_ENV] ?? '') ? process.env[OWNER_ENV] : process.pid;
	const dir = mkdtempSync(path.join(tmpdir(), `${prefix}${owner}-`));
	tempDirs.add(dir);
	return dir;
}

/** @param {string} dir */
function removeTempDir(dir) {
	rmSync(dir, { recursive: true, force: true });
	tempDirs.delete(dir);
}

/**
 * The temp folders made here, or by `makeTempDir` in any of the given processes.
 * @param {Iterable<number>} pids
 */
function tempDirsOf(pids) {
	const owners = new Set([...pids].map(String));
	/** @type {string[]} */
	let names = [];
	try {
		names = readdirSync(tmpdir());
	} catch {
		// no temp folder to look in
	}
	const found = names
		.filter((name) => owners.has(TEMP_DIR_PATTERN.exec(name)?.[1] ?? ''))
		.map((name) => path.join(tmpdir(), name));
	return [...new Set([...tempDirs, ...found])];
}

/**
 * Removes the temp folders made by this process (through any instance of this module) and by the
 * given processes; returns how many there were.
 * @param {Iterable<number>} [pids]
 */
function removeTempDirsOf(pids = []) {
	const dirs = tempDirsOf([process.pid, ...pids]);
	for (const dir of dirs) removeTempDir(dir);
	return dirs.length;
}

// ---------------------------------------------------------------- interrupts

/** Best effort: the parent pid and command line of a process. @param {number} pid */
function processInfo(pid) {
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

/** @param {string[]} args */
function isNpm(args) {
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
function npmAncestors() {
	/** @type {number[]} */
	const chain = [];
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
function mute() {
	for (const stream of [process.stdout, process.stderr]) {
		const writable = /** @type {any} */ (stream);
		writable._write = (
			/** @type {unknown} */ _chunk,
			/** @type {unknown} */ _encoding,
			/** @type {() => void} */ callback,
		) => callback();
		writable._writev = (/** @type {unknown} */ _chunks, /** @type {() => void} */ callback) =>
			callback();
	}
}

/** @param {string} text */
function writeStderr(text) {
	try {
		writeSync(2, text);
	} catch {
		// stderr is gone (a closed terminal)
	}
}

/**
 * Kills (SIGKILL) whatever descendant is still there, with the process groups they lead, and
 * removes the temp folders of this process and of `pids`; synchronous, for the very end.
 * @param {Set<number>} pids
 */
function finalSweep(pids) {
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

/** @param {number} ms */
function duration(ms) {
	return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * @param {NodeJS.Signals} signalName
 * @param {string} [reason]
 */
async function interrupt(signalName, reason) {
	if (interruptedBy) {
		if (!reason) hurry = true; // a second Ctrl-C: no more grace
		return;
	}
	interruptedBy = signalName;
	const started = Date.now();
	mute();
	// The interrupted code goes on until its children are gone and may try to exit meanwhile
	// (jest does once its tests have failed): this handler exits when it is done.
	const exit = process.exit.bind(process);
	process.exit = /** @type {any} */ (() => undefined);
	const quiet = process.env[PARENT_ENV] !== undefined;
	const what = reason ?? signalName;
	if (!quiet)
		writeStderr(`${process.stderr.isTTY ? '\n' : ''}✖ Interrupted (${what}), cleaning up… `);
	const { pids, killed } = await stopDescendants(GRACE_MS);
	/** @type {string[]} */
	const notes = [];
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
	for (const name of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP']))
		process.removeAllListeners(name);
	process.kill(process.pid, signalName);
	setTimeout(() => exit(128 + (constants.signals[signalName] ?? 15)), 1000);
}

function installExitHook() {
	if (exitHookInstalled) return;
	exitHookInstalled = true;
	// Last resort on any exit (an uncaught error, process.exit): nothing started here lives on.
	process.on('exit', () => {
		for (const child of children) if (child.pid) signal(-child.pid, 'SIGKILL');
		for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
		// Something called process.exit() while an interrupt was being handled.
		if (interruptedBy) finalSweep(stoppedPids);
	});
}

/**
 * Runs `cleanup` when this process is interrupted, after its children are stopped; returns a
 * function that takes it back.
 * @param {() => unknown} cleanup
 */
function onInterrupt(cleanup) {
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
 * @param {{ onInterrupt?: () => unknown }} [options]
 */
function handleInterrupts(options = {}) {
	if (options.onInterrupt) cleanups.push(options.onInterrupt);
	if (handlersInstalled) return;
	handlersInstalled = true;
	installExitHook();
	for (const name of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP']))
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

/**
 * Makes this process the owner of the temp folders its descendants make (they are named after it),
 * for `removeTempDirsOf()` to remove at the end even if a descendant could not.
 */
function ownTempDirsOfDescendants() {
	process.env[OWNER_ENV] = String(process.pid);
}

/** Whether an interrupt is being handled (the code being interrupted may check before reporting an error). */
function isInterrupted() {
	return interruptedBy !== undefined;
}

/**
 * Reports a failure and exits with code 1, unless it is only the echo of an interrupt: a child
 * killed by Ctrl-C fails before this process's own signal handler has run, so wait a moment.
 * @param {string} message
 */
function failUnlessInterrupted(message) {
	process.exitCode = 1;
	setTimeout(() => {
		if (interruptedBy) return;
		writeStderr(`${message}\n`);
		process.exit(1);
	}, 200);
}

module.exports = {
	GRACE_MS,
	failUnlessInterrupted,
	handleInterrupts,
	isAlive,
	isInterrupted,
	makeTempDir,
	onInterrupt,
	ownTempDirsOfDescendants,
	removeTempDir,
	removeTempDirsOf,
	run,
	spawnChild,
	stopChild,
};
