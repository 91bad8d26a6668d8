#!/usr/bin/env node
// Second half of `npm run lint`: n8n's verified-node scanner (@n8n/scan-community-package, pinned in
// devDependencies) on this repository's source and on the packed tarball, the two legs its
// `analyzePackageByName()` lints. The scanner's own `analyzePackage()` and config do the work; no
// rule is re-implemented here.
//
// Not run: the CLI's registry steps. It reads the package's metadata from registry.npmjs.org, fails
// unless the published version carries an npm provenance attestation, downloads the GitHub commit
// that attestation names (the source leg) and `npm pack`s the published version (the tarball leg).
// None of that can run here (the package is not published and the registry proxy refuses the
// scanner's requests), so the source leg lints this working tree (untracked files under nodes/ and
// credentials/ included, which a commit's archive would not have) and the tarball leg lints what
// `npm pack` makes of it after a fresh build. Provenance is left to publishing from GitHub Actions.
//
// Prints the scanner's findings (ESLint's stylish format; file paths relative to the scanned folder)
// and exits 1 when the scanner fails either leg, 2 when the scan itself could not run, else 0.
const { spawnSync } = require('node:child_process');
const { mkdirSync, mkdtempSync, readdirSync, rmSync } = require('node:fs');
const { createRequire } = require('node:module');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const root = path.resolve(__dirname, '..');
const scannerModule = require.resolve('@n8n/scan-community-package/scanner/scanner.mjs');
// The tarball leg's patterns are inline in analyzePackageByName(), not exported: keep in step.
const TARBALL_FILE_PATTERNS = ['**/*.js', 'package.json'];

const workDir = mkdtempSync(path.join(tmpdir(), 'phota-scan-'));
const cleanUp = () => rmSync(workDir, { recursive: true, force: true });
for (const [signal, code] of [
	['SIGINT', 130],
	['SIGTERM', 143],
]) {
	process.on(signal, () => {
		cleanUp();
		process.exit(code);
	});
}

function run(command, args, cwd) {
	const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
	if (result.status !== 0) {
		process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
		throw new Error(
			`${command} ${args.join(' ')} failed (${result.error?.message ?? result.status})`,
		);
	}
	return result.stdout;
}

// `npm run build`, then `npm pack` and extract the tarball the way the scanner does after
// downloading a published version (`tar -xzf … --strip-components=1`).
function packAndExtract() {
	run('npm', ['run', 'build'], root);
	const packDir = path.join(workDir, 'pack');
	mkdirSync(packDir);
	run('npm', ['pack', '--pack-destination', packDir], root);
	const tarballName = readdirSync(packDir).find((file) => file.endsWith('.tgz'));
	if (!tarballName) throw new Error('npm pack made no tarball');
	const packageDir = path.join(workDir, 'package');
	mkdirSync(packageDir);
	run('tar', ['-xzf', tarballName, '-C', packageDir, '--strip-components=1'], packDir);
	return { tarballName, packageDir };
}

// The scanner's result: { passed, message, details } with `details` in ESLint's stylish format
// (only when it failed), or { passed: false, message: 'Analysis failed: …' } when ESLint threw.
function report(label, dir, result) {
	const verdict = result.passed ? 'passed' : 'FAILED';
	console.log(`n8n scanner, ${label}: ${verdict}${result.message ? ` (${result.message})` : ''}`);
	if (result.details) console.log(result.details.split(dir + path.sep).join(''));
	if (!result.passed && !result.details) return 2;
	return result.passed ? 0 : 1;
}

async function main() {
	// Importing the scanner creates a temp folder (tmp.dirSync) that it never removes; the scanner's
	// own copy of `tmp` removes it at exit once graceful cleanup is on.
	createRequire(scannerModule)('tmp').setGracefulCleanup();
	const { analyzePackage, SOURCE_FILE_PATTERNS } = await import(pathToFileURL(scannerModule).href);

	const sourceResult = await analyzePackage(root, SOURCE_FILE_PATTERNS);
	const sourceStatus = report(`source (${SOURCE_FILE_PATTERNS.join(', ')})`, root, sourceResult);

	const { tarballName, packageDir } = packAndExtract();
	const tarballResult = await analyzePackage(packageDir, TARBALL_FILE_PATTERNS);
	const tarballStatus = report(
		`tarball ${tarballName} (${TARBALL_FILE_PATTERNS.join(', ')})`,
		packageDir,
		tarballResult,
	);
	return Math.max(sourceStatus, tarballStatus);
}

main()
	.catch((error) => {
		console.error(`n8n scanner could not run: ${error.message}`);
		return 2;
	})
	.then((status) => {
		cleanUp();
		process.exitCode = status;
	});
