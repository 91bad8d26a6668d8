/**
 * Drives a real n8n (installed in e2e/node_modules, version pinned by e2e/package-lock.json) the way
 * a self-hosted user does: the package tarball is installed into the user folder's nodes/ directory
 * as n8n installs community packages, credentials and workflows are imported with the n8n CLI, and
 * workflows run headless with `n8n execute`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { IRun } from 'n8n-workflow';

export const ROOT = path.resolve(__dirname, '..');
export const E2E_DIR = __dirname;

export interface N8nInstance {
	userFolder: string;
	binary: string;
	nodeBinary: string;
	env: NodeJS.ProcessEnv;
}

/** Builds the package and packs it exactly as it would be published. */
export function packPackage(): string {
	const destination = mkdtempSync(path.join(tmpdir(), 'phota-pack-'));
	execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
	execFileSync('npm', ['pack', '--pack-destination', destination], { cwd: ROOT, stdio: 'ignore' });
	const tarball = readdirSync(destination).find((file) => file.endsWith('.tgz'));
	if (!tarball) throw new Error('npm pack produced no tarball');
	return path.join(destination, tarball);
}

/**
 * A fresh n8n user folder with the tarball installed under .n8n/nodes. Peer dependencies are left
 * out: at run time the package uses the n8n-workflow of the n8n that loads it.
 */
export function createN8n(
	tarball: string,
	options: { nodeBinary?: string; n8nDir?: string; binaryMode?: string } = {},
): N8nInstance {
	const userFolder = mkdtempSync(path.join(tmpdir(), 'phota-e2e-n8n-'));
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	mkdirSync(nodesDir, { recursive: true });
	writeFileSync(
		path.join(nodesDir, 'package.json'),
		JSON.stringify({ name: 'installed-nodes', private: true }),
	);
	execFileSync(
		'npm',
		['install', tarball, '--omit=peer', '--no-audit', '--no-fund', '--ignore-scripts'],
		{
			cwd: nodesDir,
			stdio: 'ignore',
		},
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

/** Everything the n8n CLI printed in this process, for the API-key leak check. */
export const cliTranscript: string[] = [];

export async function n8nCli(
	n8n: N8nInstance,
	args: string[],
	timeoutMs = 300_000,
): Promise<string> {
	return await new Promise((resolve, reject) => {
		execFile(
			n8n.nodeBinary,
			[n8n.binary, ...args],
			{ env: n8n.env, timeout: timeoutMs, maxBuffer: 512 * 1024 * 1024 },
			(error, stdout, stderr) => {
				cliTranscript.push(stdout, stderr);
				if (error)
					reject(new Error(`n8n ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
				else resolve(stdout);
			},
		);
	});
}

export async function importCredential(
	n8n: N8nInstance,
	credential: { id: string; name: string; type: string; data: object },
) {
	const file = path.join(n8n.userFolder, `credential-${credential.id}.json`);
	writeFileSync(file, JSON.stringify([credential]));
	await n8nCli(n8n, ['import:credentials', `--input=${file}`]);
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
	rmSync(n8n.userFolder, { recursive: true, force: true });
}
