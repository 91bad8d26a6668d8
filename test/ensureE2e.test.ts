/**
 * prerequisites/n8nInstall.ts (run as `prerequisites/cli.ts n8n`), the n8n install behind npm test, demo, bench and compat: one install at a
 * time, an interrupted install repaired, failures in one line. A stand-in `npm` on PATH plays
 * `npm ci` (it writes the wanted n8n version's manifest, then npm's hidden lockfile last, as npm
 * does), so the script's own logic runs for real without a registry.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const SCRIPT = path.resolve(__dirname, '..', 'prerequisites', 'cli.ts');
const TS_NODE = require.resolve('ts-node/register/transpile-only');
const WANTED = '9.9.9';

const FAKE_NPM = `#!/bin/sh
[ "$1" = "ci" ] || exit 3
echo "npm warn ERESOLVE overriding peer dependency"
sleep "\${FAKE_NPM_SECONDS:-0.3}"
if [ -n "$FAKE_NPM_FAIL" ]; then echo "npm error code E500" >&2; exit 1; fi
mkdir -p node_modules/n8n
echo '{"name":"n8n","version":"${WANTED}"}' > node_modules/n8n/package.json
echo '{}' > node_modules/.package-lock.json
`;

let root: string;
let dir: string;
let bin: string;

beforeEach(() => {
	root = mkdtempSync(path.join(tmpdir(), 'ensure-e2e-test-'));
	dir = path.join(root, 'e2e');
	bin = path.join(root, 'bin');
	mkdirSync(dir);
	mkdirSync(bin);
	writeFileSync(path.join(bin, 'npm'), FAKE_NPM);
	chmodSync(path.join(bin, 'npm'), 0o755);
	writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ dependencies: { n8n: WANTED } }));
	writeFileSync(
		path.join(dir, 'package-lock.json'),
		JSON.stringify({ packages: { '': {}, 'node_modules/n8n': {} } }),
	);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function ensure(env: NodeJS.ProcessEnv = {}) {
	return new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>(
		(resolve) => {
			const started = Date.now();
			const child = spawn(process.execPath, ['-r', TS_NODE, SCRIPT, 'n8n', dir], {
				env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, ...env },
				stdio: ['ignore', 'pipe', 'pipe'],
			});
			let stdout = '';
			let stderr = '';
			child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
			child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
			child.once('exit', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
		},
	);
}

function deadPid(): number {
	const child = spawn('true');
	const pid = child.pid!;
	return pid;
}

const installed = () =>
	existsSync(path.join(dir, 'node_modules', '.package-lock.json')) &&
	!existsSync(path.join(dir, '.install.lock'));

test("installs, keeps npm's warnings in npm-install.log, and is a no-op once installed", async () => {
	const first = await ensure();
	expect(first.code).toBe(0);
	expect(first.stdout).toMatch(/installing n8n 9\.9\.9 into .*e2e\/ \(3-5 minutes/);
	expect(first.stdout).toMatch(/n8n installed in 0m0\ds; npm's output.* is in .*npm-install\.log/);
	expect(first.stdout).not.toContain('ERESOLVE overriding');
	expect(installed()).toBe(true);

	const second = await ensure();
	expect(second.stdout.trim()).toBe('e2e: n8n 9.9.9 is installed');
});

test('an install interrupted before it finished (stale lock, no hidden lockfile) is removed and done again', async () => {
	mkdirSync(path.join(dir, 'node_modules', 'n8n'), { recursive: true });
	writeFileSync(
		path.join(dir, 'node_modules', 'n8n', 'package.json'),
		JSON.stringify({ name: 'n8n', version: WANTED }),
	);
	writeFileSync(path.join(dir, 'node_modules', 'half-written.js'), '');
	const gone = deadPid();
	await new Promise((resolve) => setTimeout(resolve, 200));
	writeFileSync(path.join(dir, '.install.lock'), JSON.stringify({ pid: gone }));

	const result = await ensure();
	expect(result.code).toBe(0);
	expect(result.stdout).toMatch(
		/node_modules holds an unfinished install \(interrupted\?\); removing it and starting over/,
	);
	expect(existsSync(path.join(dir, 'node_modules', 'half-written.js'))).toBe(false);
	expect(installed()).toBe(true);
	expect(result.stderr).toBe('');
});

test('a second run while another install holds the lock waits for it, in one line, then carries on', async () => {
	// Long enough to outlast ts-node's start on a busy machine.
	const holder = spawn('sleep', ['6']);
	writeFileSync(path.join(dir, '.install.lock'), JSON.stringify({ pid: holder.pid }));
	const result = await ensure();
	expect(result.code).toBe(0);
	expect(result.stdout).toContain(
		`e2e: another install of n8n (pid ${holder.pid}) is running; waiting for it to finish...`,
	);
	expect(result.ms).toBeGreaterThanOrEqual(1500);
	expect(installed()).toBe(true);
});

test('a failed npm ci: its output, then one line, exit code 1, no stack trace', async () => {
	const result = await ensure({ FAKE_NPM_FAIL: '1' });
	expect(result.code).toBe(1);
	expect(result.stderr).toMatch(/npm ci failed after 0m0\ds; its output/);
	expect(result.stderr).toContain('npm error code E500');
	expect(result.stderr.trim().split('\n').at(-1)).toBe(
		'e2e: installing n8n failed (npm ci: exit code 1); see above',
	);
	expect(result.stderr).not.toMatch(/^\s+at /m);
	expect(existsSync(path.join(dir, '.install.lock'))).toBe(false);
});
