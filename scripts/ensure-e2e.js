#!/usr/bin/env node
// Installs the real n8n used by the end-to-end suite (e2e/package-lock.json) unless that exact
// version is already in e2e/node_modules. Kept out of the package's own dependencies on purpose.
const { execFileSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');

const e2eDir = path.resolve(__dirname, '..', 'e2e');
const wanted = JSON.parse(readFileSync(path.join(e2eDir, 'package.json'), 'utf8')).dependencies.n8n;
const installedManifest = path.join(e2eDir, 'node_modules', 'n8n', 'package.json');
const installed = existsSync(installedManifest)
	? JSON.parse(readFileSync(installedManifest, 'utf8')).version
	: undefined;

if (installed === wanted) {
	console.log(`e2e: n8n ${installed} is installed`);
} else {
	console.log(`e2e: installing n8n ${wanted} into e2e/ (about 3-4 minutes, 2.3 GB)...`);
	execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: e2eDir, stdio: 'inherit' });
}
