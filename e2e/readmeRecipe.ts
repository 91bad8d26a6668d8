/**
 * The README's own-n8n recipe (`## Try it in your own n8n`, step 1), read from README.md itself so
 * that the end-to-end suite runs the commands exactly as a user copies them: a README edit that breaks
 * the recipe fails the suite (e2e/e2e.test.ts, "the README's manual install").
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The HTML comment just above the recipe's ```bash block in README.md. */
export const RECIPE_MARKER = '<!-- own-n8n-recipe';

/** The first line of the recipe: build from the checkout (the suite has already built and packed). */
export const BUILD_LINE = 'npm ci && npm run build';

/** How the recipe names the tarball: `npm pack --silent` prints only its file name. */
export const PACK_COMMAND = '$(npm pack --silent)';

/** The lines of the ```bash block that follows the marker in `readme` (README.md's text by default). */
export function readmeRecipe(
	readme = readFileSync(path.resolve(__dirname, '..', 'README.md'), 'utf8'),
): string[] {
	const lines = readme.split('\n');
	const marker = lines.findIndex((line) => line.startsWith(RECIPE_MARKER));
	if (marker < 0) throw new Error(`README.md has no "${RECIPE_MARKER}" marker above its recipe`);
	if (lines[marker + 1] !== '```bash')
		throw new Error(`README.md: the line after "${RECIPE_MARKER}" must open a \`\`\`bash block`);
	const end = lines.indexOf('```', marker + 2);
	if (end < 0) throw new Error('README.md: the recipe block is not closed');
	return lines.slice(marker + 2, end);
}

/**
 * The recipe as the suite runs it, on a tarball it already packed: without the build line (which
 * must come first), and with `npm pack --silent` standing for the tarball's file name, so that the
 * script is run in the tarball's folder and `$PWD/…` is its absolute path.
 */
export function recipeScript(lines: string[], tarball: string): string {
	if (lines[0]?.trim() !== BUILD_LINE)
		throw new Error(`README.md: the recipe must start with "${BUILD_LINE}", not "${lines[0]}"`);
	const rest = lines.slice(1).join('\n');
	if (!rest.includes(PACK_COMMAND))
		throw new Error(`README.md: the recipe no longer names the tarball with "${PACK_COMMAND}"`);
	return rest.split(PACK_COMMAND).join(`$(printf %s '${path.basename(tarball)}')`);
}
