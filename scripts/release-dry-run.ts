/**
 * The release workflow (.github/workflows/publish.yml) without GitHub: every step that does not need
 * GitHub's runner, token or internet, run here as the workflow runs it. Part of `npm run lint`
 * (after scan.js has built the package).
 *
 * 0. The workflow's scripts (.ci/run, .ci/check-tag, .ci/browser) parse (`bash -n`).
 * 1. `.ci/check-tag` (the workflow's tag step) with a fake GITHUB_REF_NAME: passes for
 *    v<package.json version>, fails for any other tag.
 * 2. `.ci/browser` needs the internet; its playwright-core command is checked with `--dry-run`
 *    (same version, same browser, same flags but --with-deps, which would run apt-get).
 * 3. `npm publish --dry-run --access public` (the publish step without --provenance, which needs
 *    GitHub's OIDC token; --ignore-scripts: prepublishOnly's build and lint are what .ci/run and this
 *    lint run already do): no warning from npm, and the tarball it would publish holds the built
 *    nodes and credential that package.json's "n8n" section names, and nothing but dist/ and the
 *    files npm always adds.
 * 4. `npm pack`: the same tarball written to a temp folder, as the end-to-end suite packs it.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

import type { RunError } from '../processes';
import {
	failUnlessInterrupted,
	handleInterrupts,
	makeTempDir,
	removeTempDir,
	run,
} from '../processes';

const ROOT = path.resolve(__dirname, '..');
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
	name: string;
	version: string;
	n8n: { nodes: string[]; credentials: string[] };
};

async function checkTag(tag: string): Promise<boolean> {
	try {
		await run('bash', [path.join(ROOT, '.ci', 'check-tag')], {
			env: { ...process.env, GITHUB_REF_NAME: tag },
		});
		return true;
	} catch (error) {
		if ((error as RunError).code === 1) return false;
		throw error;
	}
}

/** The files of the tarball npm would publish, from `npm publish --dry-run --json`. */
async function publishDryRun(): Promise<string[]> {
	const { stdout, stderr } = await run(
		'npm',
		[
			'publish',
			'--dry-run',
			'--access',
			'public',
			'--ignore-scripts',
			'--provenance=false',
			'--json',
		],
		{ cwd: ROOT },
	);
	const warnings = stderr
		.split('\n')
		.filter((line) => line.startsWith('npm warn'))
		// A dry run is never logged in; the real step has NODE_AUTH_TOKEN or the job's OIDC token.
		.filter((line) => !line.includes('requires you to be logged in'));
	if (warnings.length) throw new Error(`npm publish --dry-run warned:\n${warnings.join('\n')}`);
	const report = JSON.parse(stdout) as Record<
		string,
		{ id: string; files: Array<{ path: string }> }
	>;
	const entry = report[manifest.name];
	if (entry?.id !== `${manifest.name}@${manifest.version}`)
		throw new Error(`npm publish --dry-run would publish ${entry?.id}, not ${manifest.version}`);
	return entry.files.map((file) => file.path);
}

function checkFiles(files: string[]): void {
	if (!existsSync(path.join(ROOT, 'dist')))
		throw new Error('dist/ is missing: run "npm run build" first');
	const named = [...manifest.n8n.nodes, ...manifest.n8n.credentials];
	const missing = named.filter((file) => !files.includes(file));
	if (missing.length) throw new Error(`the tarball lacks ${missing.join(', ')}`);
	const always = /^(package\.json|README\.md|LICENSE)$/;
	const stray = files.filter((file) => !file.startsWith('dist/') && !always.test(file));
	if (stray.length) throw new Error(`the tarball holds files outside dist/: ${stray.join(', ')}`);
}

async function main() {
	for (const script of ['run', 'check-tag', 'browser'])
		await run('bash', ['-n', path.join(ROOT, '.ci', script)]);
	const tag = `v${manifest.version}`;
	if (!(await checkTag(tag))) throw new Error(`.ci/check-tag refused the right tag ${tag}`);
	if (await checkTag(`${tag}-not-this`)) throw new Error('.ci/check-tag accepted a wrong tag');
	console.log(`release dry run: .ci/check-tag accepts ${tag} and refuses another tag`);

	const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
		packages: Record<string, { version: string }>;
	};
	const playwright = lock.packages['node_modules/playwright-core'].version;
	const { stdout: browser } = await run(
		process.execPath,
		[
			path.join(path.dirname(require.resolve('playwright-core')), 'cli.js'),
			'install',
			'--dry-run',
			'--no-shell',
			'chromium',
		],
		{ cwd: ROOT, env: { ...process.env, PLAYWRIGHT_BROWSERS_PATH: makeTempDir('phota-release-') } },
	);
	if (!/chromium/i.test(browser)) throw new Error(`playwright-core ${playwright}: ${browser}`);
	console.log(
		`release dry run: playwright-core ${playwright} would install ${browser.split('\n')[0]}`,
	);

	const files = await publishDryRun();
	checkFiles(files);
	console.log(
		`release dry run: npm publish --dry-run: ${manifest.name}@${manifest.version}, ${files.length} files, the n8n section's nodes and credential among them`,
	);

	const destination = makeTempDir('phota-release-');
	try {
		await run('npm', ['pack', '--pack-destination', destination], { cwd: ROOT });
		const tarballs = readdirSync(destination);
		if (tarballs.join() !== `${manifest.name}-${manifest.version}.tgz`)
			throw new Error(`npm pack wrote ${tarballs.join(', ') || 'nothing'}`);
		console.log(`release dry run: npm pack wrote ${tarballs[0]}`);
	} finally {
		removeTempDir(destination);
	}
}

handleInterrupts();
main().catch((error: unknown) =>
	failUnlessInterrupted(
		`release dry run: ${error instanceof Error ? error.message : String(error)}`,
	),
);
