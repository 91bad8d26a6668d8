/**
 * Drives a real n8n (installed in e2e/node_modules, version pinned by e2e/package-lock.json) the way
 * a self-hosted user does: the package tarball is installed into the user folder's nodes/ directory
 * as n8n installs community packages (packageInstall.ts, n8nInstance.ts), credentials and workflows
 * are imported with the n8n CLI, and workflows run headless with `n8n execute` (or in the editor of
 * an `n8n start`, n8nServer.ts). This module is the one the suites, the demo and the bench import.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { IRun } from 'n8n-workflow';

// Every child runs in its own process group and every temp folder is named after its owner, so an
// interrupt (processes/, installed by the demo, the benchmark and jest's global setup) stops and
// removes them all.
import { run } from '../processes';
import type { RunError } from '../processes';
import type { N8nInstance } from './n8nInstance';
import { E2E_DIR } from './n8nInstance';
import { portEnv } from './ports';

export type { N8nInstance } from './n8nInstance';
export { E2E_DIR, createN8n, n8nEnvironment, newEncryptionKey, removeN8n } from './n8nInstance';
export type { N8nServer } from './n8nServer';
export { startN8nServer } from './n8nServer';
export type { InstallMethod } from './packageInstall';
export {
	ROOT,
	installPackage,
	installedPackages,
	packPackage,
	removePackage,
} from './packageInstall';
export { freePorts } from './ports';

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
