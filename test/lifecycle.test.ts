/**
 * processes/, which the demo, the benchmark, the compatibility matrix, the n8n install
 * and jest's global setup share: interrupts stop every child (one that ignores SIGTERM too), remove
 * the temp folders, print one line and exit by the signal.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { n8nEnvironment } from '../e2e/n8nCli';
import { run } from '../processes';
import { DEMO_TEMP_PREFIX, removeCrashedDemoFolders } from '../scripts/demoFolders';

const LIFECYCLE = path.resolve(__dirname, '..', 'processes', 'index.ts');
const TS_NODE = require.resolve('ts-node/register/transpile-only');

/**
 * A tool as the scripts are written: handles interrupts, makes a temp folder, starts a child that
 * ignores SIGTERM (as a busy `n8n execute` does) with a grandchild of its own, and reports any
 * failure of that child the way demo.ts does.
 */
const TOOL = `
const lifecycle = require(${JSON.stringify(LIFECYCLE)});
lifecycle.handleInterrupts();
const dir = lifecycle.makeTempDir('phota-lifecycle-test-');
const child = lifecycle.spawnChild(process.execPath, ['-e', \`
	process.on('SIGTERM', () => {});
	const grandchild = require('node:child_process').spawn('sleep', ['60'], { stdio: 'ignore' });
	console.log(grandchild.pid);
	setInterval(() => {}, 1000);
\`], { stdio: ['ignore', 'pipe', 'inherit'] });
child.stdout.once('data', (grandchild) => console.log('ready', child.pid, String(grandchild).trim(), dir));
child.on('exit', () => lifecycle.failUnlessInterrupted('the child failed'));
`;

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

let tempRoot: string;
beforeEach(() => {
	tempRoot = mkdtempSync(path.join(tmpdir(), 'lifecycle-test-'));
});
afterEach(() => rmSync(tempRoot, { recursive: true, force: true }));

async function interrupted(signal: NodeJS.Signals) {
	// Started as from a terminal (not by one of the tools, which would keep it quiet), in its own
	// process group as a job; the signal goes to the whole group.
	// ts-node's compile cache would otherwise be a folder in TMPDIR too.
	const env: NodeJS.ProcessEnv = {
		...process.env,
		TMPDIR: tempRoot,
		DISABLE_V8_COMPILE_CACHE: '1',
	};
	delete env.PHOTA_LIFECYCLE_PARENT;
	delete env.PHOTA_TEMP_OWNER;
	const tool = spawn(process.execPath, ['-r', TS_NODE, '-e', TOOL], {
		detached: true,
		stdio: ['ignore', 'pipe', 'pipe'],
		env,
	});
	let stdout = '';
	let stderr = '';
	tool.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
	const ready = await new Promise<string[]>((resolve, reject) => {
		tool.stdout.on('data', (chunk: Buffer) => {
			stdout += chunk.toString();
			const match = /ready (\d+) (\d+) (\S+)/.exec(stdout);
			if (match) resolve(match.slice(1));
		});
		tool.once('exit', () => reject(new Error(`exited early: ${stdout}${stderr}`)));
	});
	const [child, grandchild] = ready.slice(0, 2).map(Number);
	expect(existsSync(ready[2])).toBe(true);
	expect(path.basename(ready[2])).toMatch(new RegExp(`^phota-lifecycle-test-${tool.pid}-`));

	const sent = Date.now();
	process.kill(-tool.pid!, signal);
	const exit = await new Promise<NodeJS.Signals | null>((resolve) =>
		tool.once('exit', (_code, exitSignal) => resolve(exitSignal)),
	);
	return { exit, ms: Date.now() - sent, stderr, child, grandchild, dir: ready[2] };
}

test.each(['SIGINT', 'SIGTERM'] as const)(
	'%s to the process group: children stop (SIGKILL after the grace), temp folders go, one line, exit by the signal',
	async (signal) => {
		const result = await interrupted(signal);

		expect(result.exit).toBe(signal);
		expect(result.ms).toBeLessThan(5000);
		expect(alive(result.child)).toBe(false);
		expect(alive(result.grandchild)).toBe(false);
		expect(existsSync(result.dir)).toBe(false);
		expect(readdirSync(tempRoot)).toEqual([]);
		// One line; the child's failure, reported by the tool, is only the echo of the interrupt.
		const lines = result.stderr.split('\n').filter(Boolean);
		expect(lines).toEqual([
			expect.stringMatching(
				new RegExp(
					`^✖ Interrupted \\(${signal}\\), cleaning up… stopped 2 processes, 1 killed after 2\\.0 s, removed 1 temp folder \\(\\d\\.\\d s\\)\\.$`,
				),
			),
		]);
	},
	20_000,
);

test('run: output collected, failures carry the exit code, a timeout stops a child that ignores SIGTERM', async () => {
	expect(
		await run(process.execPath, ['-e', 'process.stdin.pipe(process.stdout)'], { input: 'hi' }),
	).toEqual({ stdout: 'hi', stderr: '' });
	await expect(
		run(process.execPath, ['-e', 'console.error("bad"); process.exit(3)']),
	).rejects.toMatchObject({
		code: 3,
		stderr: 'bad\n',
		message: expect.stringContaining('exit code 3'),
	});
	const started = Date.now();
	await expect(
		run(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], {
			timeout: 500,
		}),
	).rejects.toMatchObject({ message: expect.stringContaining('timed out after 500 ms') });
	expect(Date.now() - started).toBeLessThan(4000);
}, 20_000);

describe('the demo with a real key', () => {
	test("a crashed demo's folder (its owner pid is dead) is removed on the next start; a live one's stays", async () => {
		// A demo as it runs: its n8n folder holds the credential; then it dies by SIGKILL (no cleanup).
		const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tempRoot };
		delete env.PHOTA_TEMP_OWNER;
		const crashing = spawn(
			process.execPath,
			[
				'-r',
				TS_NODE,
				'-e',
				`const dir = require(${JSON.stringify(LIFECYCLE)}).makeTempDir(${JSON.stringify(DEMO_TEMP_PREFIX)});
				require('node:fs').writeFileSync(dir + '/database.sqlite', 'encrypted credential');
				console.log(dir);
				setInterval(() => {}, 1000);`,
			],
			{ env, stdio: ['ignore', 'pipe', 'inherit'] },
		);
		const crashedDir = await new Promise<string>((resolve) =>
			crashing.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())),
		);
		const exited = new Promise((resolve) => crashing.once('exit', resolve));
		crashing.kill('SIGKILL');
		await exited;
		expect(path.basename(crashedDir)).toMatch(new RegExp(`^phota-demo-n8n-${crashing.pid}-`));
		expect(existsSync(path.join(crashedDir, 'database.sqlite'))).toBe(true);

		// A demo running right now (this process) and another tool's folder keep theirs.
		const live = mkdtempSync(path.join(tempRoot, `${DEMO_TEMP_PREFIX}${process.pid}-`));
		const other = mkdtempSync(path.join(tempRoot, `phota-e2e-n8n-${crashing.pid}-`));

		expect(removeCrashedDemoFolders(tempRoot)).toEqual([crashedDir]);
		expect(existsSync(crashedDir)).toBe(false);
		expect(existsSync(live)).toBe(true);
		expect(existsSync(other)).toBe(true);
	}, 20_000);

	test('every n8n gets an encryption key made for it: random, never the old fixed one', () => {
		const first = n8nEnvironment('/tmp/a').N8N_ENCRYPTION_KEY;
		const second = n8nEnvironment('/tmp/a').N8N_ENCRYPTION_KEY;
		expect(first).toMatch(/^[0-9a-f]{64}$/);
		expect(second).toMatch(/^[0-9a-f]{64}$/);
		expect(first).not.toBe(second);
		expect(first).not.toContain('phota-e2e');
	});
});
