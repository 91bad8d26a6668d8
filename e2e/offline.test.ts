/**
 * Once n8n is installed in e2e/, the demo needs no network: run it in a network namespace that has
 * only loopback (`unshare -rn`: as root, or as a user where the kernel allows user namespaces), with
 * an empty npm cache, so neither the registry nor a cached answer can help.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

import { makeTempDir, removeTempDir, run } from '../processes';
import type { RunError } from '../processes';
import { ROOT } from './n8nCli';

let scratch: string;

beforeAll(() => {
	scratch = makeTempDir('phota-offline-');
});

afterAll(() => {
	if (scratch) removeTempDir(scratch);
});

test('npm run demo runs with no network (only loopback, empty npm cache)', async () => {
	try {
		await run('unshare', ['-rn', 'true']);
	} catch (error) {
		throw new Error(
			`This test needs a network namespace: "unshare -rn true" failed (${(error as RunError).stderr.trim()}). Run as root or enable unprivileged user namespaces.`,
		);
	}
	// The namespace really has no way out: the registry's name does not even resolve.
	const probe = `require('node:dns').lookup('registry.npmjs.org', (error) => process.exit(error ? 0 : 1))`;
	await expect(run('unshare', ['-rn', process.execPath, '-e', probe])).resolves.toBeDefined();

	const output = path.join(scratch, 'images');
	const env: NodeJS.ProcessEnv = {
		...process.env,
		npm_config_cache: path.join(scratch, 'npm-cache'),
	};
	delete env.PHOTA_API_KEY;
	delete env.PHOTA_BASE_URL;
	env.PHOTA_DEMO_OUTPUT = output;

	// The namespace's loopback starts down; bring it up so the simulator and n8n can listen.
	const { stdout } = await run(
		'unshare',
		['-rn', 'sh', '-c', 'ip link set lo up 2>/dev/null || true; exec npm run demo'],
		{ cwd: ROOT, env, timeout: 240_000 },
	).catch((error: RunError) => {
		throw new Error(
			`the offline demo failed:\n${error.stdout.slice(-3000)}\n${error.stderr.slice(-3000)}`,
		);
	});

	expect(stdout).toContain('Images written: 4');
	expect(stdout).toMatch(/Status: +VALIDATING .*READY/);
	expect(
		existsSync(output) && readdirSync(output).filter((file) => /\.(jpg|png)$/.test(file)),
	).toHaveLength(4);
});
