/**
 * Drives a real n8n (installed in e2e/node_modules, version pinned by e2e/package-lock.json) the way
 * a self-hosted user does: the package tarball is installed into the user folder's nodes/ directory
 * as n8n installs community packages, credentials and workflows are imported with the n8n CLI, and
 * workflows run headless with `n8n execute` (or in the editor of an `n8n start`, see startN8nServer).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import path from 'node:path';

import type { IRun } from 'n8n-workflow';
import { fetch } from 'undici';

// Every child runs in its own process group and every temp folder is named after its owner, so an
// interrupt (scripts/lifecycle.js, installed by the demo, the benchmark and jest's global setup)
// stops and removes them all.
import { makeTempDir, removeTempDir, run, spawnChild } from '../scripts/lifecycle';
import type { RunError } from '../scripts/lifecycle';

export const ROOT = path.resolve(__dirname, '..');
export const E2E_DIR = __dirname;

export interface N8nInstance {
	userFolder: string;
	binary: string;
	nodeBinary: string;
	env: NodeJS.ProcessEnv;
}

/** Builds the package and packs it exactly as it would be published. */
export async function packPackage(): Promise<string> {
	const destination = makeTempDir('phota-pack-');
	await run('npm', ['run', 'build'], { cwd: ROOT });
	await run('npm', ['pack', '--pack-destination', destination], { cwd: ROOT });
	const tarball = readdirSync(destination).find((file) => file.endsWith('.tgz'));
	if (!tarball) throw new Error('npm pack produced no tarball');
	return path.join(destination, tarball);
}

/** Removes the folder `packPackage` made for the tarball. */
export function removePackage(tarball: string) {
	removeTempDir(path.dirname(tarball));
}

/**
 * How the package gets into `~/.n8n/nodes`:
 * - `communityNodes`: as n8n 2.8's Settings → Community Nodes installer does it (community-packages
 *   service, downloadPackage): unpack the tarball into nodes/node_modules/<name>, delete its dev, peer
 *   and optional dependencies from package.json, then `npm install` inside that folder.
 * - `npmInstall`: the README's manual command, `npm install <package>` in nodes/.
 */
export type InstallMethod = 'communityNodes' | 'npmInstall';

/** Installs the tarball into `nodesDir`; returns what npm printed. */
export async function installPackage(
	tarball: string,
	nodesDir: string,
	method: InstallMethod,
): Promise<string> {
	mkdirSync(nodesDir, { recursive: true });
	writeFileSync(
		path.join(nodesDir, 'package.json'),
		JSON.stringify({ name: 'installed-nodes', private: true }),
	);
	if (method === 'npmInstall') {
		// The README's command, with --offline: the tarball is local and has no dependencies, but npm
		// still asks the registry about the optional peer n8n-workflow (which it does not install);
		// without a network that costs a minute of retries. --offline answers it from npm's cache or
		// not at all, and changes nothing in what gets installed (checked: one package added).
		const { stdout } = await run(
			'npm',
			['install', tarball, '--no-audit', '--no-fund', '--offline'],
			{ cwd: nodesDir },
		);
		return stdout;
	}
	const packageDir = path.join(nodesDir, 'node_modules', PACKAGE_NAME);
	mkdirSync(packageDir, { recursive: true });
	await run('tar', ['-xzf', tarball, '-C', packageDir, '--strip-components=1']);
	const manifestPath = path.join(packageDir, 'package.json');
	const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
	delete manifest.devDependencies;
	delete manifest.peerDependencies;
	delete manifest.optionalDependencies;
	writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
	// With no dependencies left (this package has none) there is nothing to fetch: --offline keeps
	// npm from the registry, so the demo and the tests run without a network.
	const offline = Object.keys((manifest.dependencies as object | undefined) ?? {}).length === 0;
	const { stdout } = await run(
		'npm',
		[
			'install',
			'--audit=false',
			'--fund=false',
			'--bin-links=false',
			'--install-strategy=shallow',
			'--ignore-scripts=true',
			'--package-lock=false',
			...(offline ? ['--offline'] : []),
		],
		{ cwd: packageDir },
	);
	return stdout;
}

const PACKAGE_NAME = 'n8n-nodes-phota';

/** A fresh n8n user folder with the tarball installed under .n8n/nodes. */
export async function createN8n(
	tarball: string,
	options: {
		nodeBinary?: string;
		n8nDir?: string;
		binaryMode?: string;
		installMethod?: InstallMethod;
	} = {},
): Promise<N8nInstance> {
	const userFolder = makeTempDir('phota-e2e-n8n-');
	await installPackage(
		tarball,
		path.join(userFolder, '.n8n', 'nodes'),
		options.installMethod ?? 'communityNodes',
	);
	// The compatibility matrix (scripts/compat.js) points these at other n8n installs and Node.js binaries.
	const n8nDir =
		options.n8nDir ?? process.env.PHOTA_E2E_N8N_DIR ?? path.join(E2E_DIR, 'node_modules', 'n8n');
	const binary = path.join(n8nDir, 'bin', 'n8n');
	if (!existsSync(binary))
		throw new Error(`n8n is not installed at ${n8nDir}; run "npm run e2e:install"`);
	return {
		userFolder,
		binary,
		nodeBinary: options.nodeBinary ?? process.env.PHOTA_E2E_NODE ?? process.execPath,
		env: {
			PATH: process.env.PATH,
			HOME: userFolder,
			N8N_USER_FOLDER: userFolder,
			N8N_ENCRYPTION_KEY: 'phota-e2e-encryption-key',
			DB_TYPE: 'sqlite',
			N8N_DEFAULT_BINARY_DATA_MODE: options.binaryMode ?? 'default',
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_RUNNERS_ENABLED: 'false',
			N8N_BLOCK_ENV_ACCESS_IN_NODE: 'false',
			// `n8n execute --rawOutput` prints the run through the logger at level info.
			N8N_LOG_LEVEL: 'info',
			NODE_OPTIONS: '--max-old-space-size=4096',
			// Read/Write Files from Disk may only touch this folder (n8n's default is ~/.n8n-files).
			N8N_RESTRICT_FILE_ACCESS_TO: path.join(userFolder, '.n8n-files'),
		},
	};
}

/**
 * `count` distinct TCP ports that are free on 127.0.0.1 right now: the system picks them (listen on
 * port 0), and they are released again for n8n to take.
 */
export async function freePorts(count: number): Promise<number[]> {
	const servers: Server[] = [];
	try {
		for (let index = 0; index < count; index++) {
			const server = createServer();
			servers.push(server);
			await new Promise<void>((resolve, reject) => {
				server.once('error', reject);
				server.listen(0, '127.0.0.1', resolve);
			});
		}
		return servers.map((server) => (server.address() as { port: number }).port);
	} finally {
		await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
	}
}

/**
 * The ports n8n 2.x opens, which default to fixed numbers and clash with any other n8n on the
 * machine: the task broker (5679; `n8n execute` and `n8n start`) and the server (5678; `n8n start`).
 * Fresh ones for every command. (The internal JS task runner is told the broker's URI by n8n and
 * opens no port of its own; the worker's health port is only opened by `n8n worker`.)
 */
async function portEnv(): Promise<NodeJS.ProcessEnv> {
	const [server, broker] = await freePorts(2);
	return {
		N8N_PORT: String(server),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_RUNNERS_BROKER_PORT: String(broker),
	};
}

/** Everything the n8n CLI printed in this process, for the API-key leak check. */
export const cliTranscript: string[] = [];

export async function n8nCli(
	n8n: N8nInstance,
	args: string[],
	timeoutMs = 300_000,
): Promise<string> {
	const env = { ...n8n.env, ...(await portEnv()) };
	try {
		const { stdout, stderr } = await run(n8n.nodeBinary, [n8n.binary, ...args], {
			env,
			timeout: timeoutMs,
			maxBuffer: 512 * 1024 * 1024,
		});
		cliTranscript.push(stdout, stderr);
		return stdout;
	} catch (error) {
		const { message, stdout = '', stderr = '' } = error as RunError;
		cliTranscript.push(stdout, stderr);
		throw new Error(`n8n ${args.join(' ')} failed: ${message}\n${stdout}\n${stderr}`);
	}
}

/**
 * Imports a credential. `n8n import:credentials` reads a file, which holds the API key in plain
 * text: it is readable only by this user and deleted as soon as the import is done, failed or
 * interrupted (an interrupt removes the whole user folder). n8n stores the credential encrypted.
 */
export async function importCredential(
	n8n: N8nInstance,
	credential: { id: string; name: string; type: string; data: object },
) {
	const file = path.join(n8n.userFolder, `credential-${credential.id}.json`);
	writeFileSync(file, JSON.stringify([credential]), { mode: 0o600 });
	try {
		await n8nCli(n8n, ['import:credentials', `--input=${file}`]);
	} finally {
		rmSync(file, { force: true });
	}
}

export async function importWorkflow(
	n8n: N8nInstance,
	workflow: { id: string } & Record<string, unknown>,
) {
	const file = path.join(n8n.userFolder, `workflow-${workflow.id}.json`);
	writeFileSync(file, JSON.stringify({ active: false, ...workflow }));
	await n8nCli(n8n, ['import:workflow', `--input=${file}`]);
}

/**
 * `n8n execute --rawOutput`: the run JSON starts at the first line that is "{" and ends at the
 * next line that is "}"; log lines may come before and after it.
 */
export async function executeWorkflow(n8n: N8nInstance, workflowId: string): Promise<IRun> {
	let stdout: string;
	try {
		stdout = await n8nCli(n8n, ['execute', `--id=${workflowId}`, '--rawOutput']);
	} catch (error) {
		stdout = (error as Error).message;
	}
	const lines = stdout.split('\n');
	const start = lines.findIndex((line) => line === '{');
	const end = lines.findIndex((line, index) => index > start && line === '}');
	if (start === -1 || end === -1)
		throw new Error(`n8n printed no run data:\n${stdout.slice(0, 4000)}`);
	return JSON.parse(lines.slice(start, end + 1).join('\n')) as IRun;
}

export function removeN8n(n8n: N8nInstance) {
	removeTempDir(n8n.userFolder);
}

export interface N8nServer {
	/** The editor and REST API, e.g. http://127.0.0.1:40123 */
	url: string;
	process: ChildProcess;
	/** Everything the server printed so far (stdout and stderr). */
	output: string[];
	stop(): Promise<void>;
}

/**
 * `n8n start` on free ports (server and task broker), listening on 127.0.0.1 only. Resolves once
 * the database is migrated (`/healthz/readiness`; plain `/healthz` answers before the migrations)
 * and the REST API is registered (`/rest/settings`), which n8n does after both.
 */
export async function startN8nServer(n8n: N8nInstance, timeoutMs = 180_000): Promise<N8nServer> {
	const env = { ...n8n.env, ...(await portEnv()) };
	const url = `http://127.0.0.1:${env.N8N_PORT}`;
	const output: string[] = [];
	// Its own process group, so that stop() can also end the task runner n8n starts.
	const child = spawnChild(n8n.nodeBinary, [n8n.binary, 'start'], { env });
	child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
	child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

	const stop = async () => {
		let stopped = child.exitCode !== null || child.signalCode !== null;
		if (!stopped) {
			child.kill('SIGTERM');
			stopped = await Promise.race([
				exited.then(() => true),
				new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 20_000).unref()),
			]);
		}
		// The whole group: n8n itself if it did not stop in time, and a task runner left behind.
		try {
			process.kill(-child.pid!, 'SIGKILL');
		} catch {
			// the group is already gone
		}
		if (!stopped) await exited;
	};

	const ok = async (route: string) => {
		try {
			const response = await fetch(url + route, { signal: AbortSignal.timeout(5_000) });
			await response.arrayBuffer();
			return response.status === 200;
		} catch {
			return false;
		}
	};
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (child.exitCode !== null || child.signalCode !== null)
			throw new Error(`n8n start exited before it was ready:\n${output.join('').slice(-4000)}`);
		if ((await ok('/healthz/readiness')) && (await ok('/rest/settings'))) break;
		if (Date.now() > deadline) {
			await stop();
			throw new Error(
				`n8n start was not ready in ${timeoutMs} ms:\n${output.join('').slice(-4000)}`,
			);
		}
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
	return { url, process: child, output, stop };
}

/**
 * From now on every n8n command of this instance preloads e2e/loopbackGuard.js: a connection to
 * anything but this machine is refused and written down. Returns what was written so far (one
 * line per attempt: `connect <host>:<port>` or `dns.lookup <name>`); empty means nothing left.
 */
export function guardLoopback(n8n: N8nInstance): () => string[] {
	const logFile = path.join(n8n.userFolder, 'network-attempts.log');
	writeFileSync(logFile, '');
	n8n.env.PHOTA_E2E_NETWORK_LOG = logFile;
	n8n.env.NODE_OPTIONS = `${n8n.env.NODE_OPTIONS ?? ''} --require ${path.join(E2E_DIR, 'loopbackGuard.js')}`;
	return () => readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
}

/** Imports several workflows with one `n8n import:workflow` (one n8n start-up instead of many). */
export async function importWorkflows(
	n8n: N8nInstance,
	workflows: Array<{ id: string } & Record<string, unknown>>,
) {
	const file = path.join(n8n.userFolder, 'workflows.json');
	writeFileSync(
		file,
		JSON.stringify(workflows.map((workflow) => ({ active: false, ...workflow }))),
	);
	await n8nCli(n8n, ['import:workflow', `--input=${file}`]);
}
