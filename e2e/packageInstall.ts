/**
 * The package as a user gets it: built and packed exactly as it would be published, then installed
 * into an n8n user folder's nodes/ directory the way n8n's installer or the README's manual command
 * does, and checked by what landed on disk (not by what npm printed, which `--silent` hides).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { makeTempDir, removeTempDir, run } from '../processes';
import { readmeRecipe, recipeScript } from './readmeRecipe';

export const ROOT = path.resolve(__dirname, '..');
export const PACKAGE_NAME = 'n8n-nodes-phota';

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
 * - `npmInstall`: the README's own-n8n recipe, its ```bash block run as printed (e2e/readmeRecipe.ts).
 */
export type InstallMethod = 'communityNodes' | 'npmInstall';

/** Installs the tarball into `nodesDir`. */
export async function installPackage(
	tarball: string,
	nodesDir: string,
	method: InstallMethod,
): Promise<void> {
	if (method === 'npmInstall') {
		await runReadmeRecipe(tarball, nodesDir);
		return;
	}
	mkdirSync(nodesDir, { recursive: true });
	// n8n's installer works in a nodes/ folder that n8n made, with its own package.json.
	writeFileSync(
		path.join(nodesDir, 'package.json'),
		JSON.stringify({ name: 'installed-nodes', private: true }),
	);
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
	await run(
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
}

/**
 * What an install left in `nodesDir`: the packages under node_modules/ (scoped ones as
 * `@scope/name`), the dependencies nodes/package.json records, and the installed package's version.
 */
export function installedPackages(nodesDir: string): {
	packages: string[];
	dependencies: Record<string, string>;
	version: string | undefined;
} {
	const modules = path.join(nodesDir, 'node_modules');
	const names = existsSync(modules)
		? readdirSync(modules).filter((name) => !name.startsWith('.'))
		: [];
	const packages = names
		.flatMap((name) =>
			name.startsWith('@')
				? readdirSync(path.join(modules, name)).map((inner) => `${name}/${inner}`)
				: [name],
		)
		.sort();
	const manifest = JSON.parse(readFileSync(path.join(nodesDir, 'package.json'), 'utf8')) as {
		dependencies?: Record<string, string>;
	};
	const installed = path.join(modules, PACKAGE_NAME, 'package.json');
	const version = existsSync(installed)
		? (JSON.parse(readFileSync(installed, 'utf8')) as { version: string }).version
		: undefined;
	return { packages, dependencies: manifest.dependencies ?? {}, version };
}

/**
 * Runs the README's recipe (mkdir, cd, `npm install "$TGZ"`) with bash as printed, for the user
 * folder that holds `nodesDir` (`<userFolder>/.n8n/nodes`): HOME and N8N_USER_FOLDER point at it, so
 * neither `~` nor `$N8N_USER_FOLDER` reaches the real home. npm keeps the real cache and user config
 * (registry settings), so the install works offline as the other install path does.
 */
async function runReadmeRecipe(tarball: string, nodesDir: string): Promise<void> {
	const userFolder = path.resolve(nodesDir, '..', '..');
	if (path.join(userFolder, '.n8n', 'nodes') !== path.resolve(nodesDir))
		throw new Error(`${nodesDir} is not <user folder>/.n8n/nodes`);
	await run('bash', ['-e', '-c', recipeScript(readmeRecipe(), tarball)], {
		cwd: path.dirname(tarball),
		env: {
			...process.env,
			HOME: userFolder,
			N8N_USER_FOLDER: userFolder,
			npm_config_cache: process.env.npm_config_cache ?? path.join(os.homedir(), '.npm'),
			npm_config_userconfig: process.env.npm_config_userconfig ?? path.join(os.homedir(), '.npmrc'),
		},
	});
}
