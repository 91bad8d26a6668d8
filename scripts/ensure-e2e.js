#!/usr/bin/env node
// Installs the real n8n used by the end-to-end suite (e2e/package-lock.json) unless that exact
// version is already in e2e/node_modules. Kept out of the package's own dependencies on purpose.
// `node scripts/ensure-e2e.js` (npm run e2e:install), or `ensureInstalled()` from another tool.
const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');

const { handleInterrupts, run } = require('./lifecycle');

const ROOT = path.resolve(__dirname, '..');

/** The n8n version wanted by `dir`'s package.json, and the one installed there, if any. */
function versions(dir) {
	const wanted = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).dependencies.n8n;
	const manifest = path.join(dir, 'node_modules', 'n8n', 'package.json');
	const installed = existsSync(manifest)
		? JSON.parse(readFileSync(manifest, 'utf8')).version
		: undefined;
	return { wanted, installed };
}

/**
 * Installs n8n into `dir` (a folder under e2e/ with its own package.json and lockfile) unless the
 * wanted version is there.
 * @param {{ dir?: string, label?: string, npmArgs?: string[] }} [options]
 */
async function ensureInstalled({ dir = path.join(ROOT, 'e2e'), label = 'e2e', npmArgs = [] } = {}) {
	const { wanted, installed } = versions(dir);
	if (installed === wanted) {
		console.log(`${label}: n8n ${installed} is installed`);
		return;
	}
	console.log(
		`${label}: installing n8n ${wanted} into ${path.relative(ROOT, dir)}/ (about 3-4 minutes, 2.3 GB)...`,
	);
	await run('npm', ['ci', '--no-audit', '--no-fund', ...npmArgs], { cwd: dir, stdio: 'inherit' });
}

module.exports = { ensureInstalled };

if (require.main === module) {
	handleInterrupts();
	ensureInstalled().catch((error) => {
		console.error(`e2e: ${error.message}`);
		process.exitCode = 1;
	});
}
