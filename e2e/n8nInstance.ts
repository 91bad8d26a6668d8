/**
 * A fresh n8n user folder with the package installed, and the environment every n8n command of it
 * runs with. Each instance gets an encryption key made for it (random), so a credential imported
 * into it (the demo's real API key) is stored encrypted with a key that exists only in this
 * process's memory and in n8n's children, never a fixed, public one.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';

import { makeTempDir, removeTempDir } from '../processes';
import type { InstallMethod } from './packageInstall';
import { installPackage } from './packageInstall';

export const E2E_DIR = __dirname;

export interface N8nInstance {
	userFolder: string;
	binary: string;
	nodeBinary: string;
	env: NodeJS.ProcessEnv;
}

/** A new key for n8n's credential encryption: 32 random bytes, hex. */
export function newEncryptionKey(): string {
	return randomBytes(32).toString('hex');
}

/** The environment of an n8n in `userFolder`: headless, no telemetry, its own encryption key. */
export function n8nEnvironment(
	userFolder: string,
	options: { binaryMode?: string } = {},
): NodeJS.ProcessEnv {
	return {
		PATH: process.env.PATH,
		HOME: userFolder,
		N8N_USER_FOLDER: userFolder,
		N8N_ENCRYPTION_KEY: newEncryptionKey(),
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
	};
}

/**
 * A fresh n8n user folder with the tarball installed under .n8n/nodes. The folder is a temp folder
 * named `<tempPrefix><owner pid>-XXXXXX` (default `phota-e2e-n8n-`; the demo uses its own prefix so
 * that its next start can remove what a crashed run left).
 */
export async function createN8n(
	tarball: string,
	options: {
		nodeBinary?: string;
		n8nDir?: string;
		binaryMode?: string;
		installMethod?: InstallMethod;
		tempPrefix?: string;
	} = {},
): Promise<N8nInstance> {
	const userFolder = makeTempDir(options.tempPrefix ?? 'phota-e2e-n8n-');
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
		env: n8nEnvironment(userFolder, options),
	};
}

export function removeN8n(n8n: N8nInstance) {
	removeTempDir(n8n.userFolder);
}
