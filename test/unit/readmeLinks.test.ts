/**
 * The README and docs/ stay true where a test can tell: every relative link points at a file that
 * exists, every `#anchor` matches a heading of its target (GitHub's slugs), the own-n8n recipe has
 * the shape the end-to-end suite runs (e2e/readmeRecipe.ts), one figure is given for n8n's install,
 * and the simulator credential the README names is the simulator's default.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import { BUILD_LINE, PACK_COMMAND, readmeRecipe } from '../../e2e/readmeRecipe';

const ROOT = path.resolve(__dirname, '../..');

const DOCS = [
	'README.md',
	'ARCHITECTURE.md',
	'BENCHMARKS.md',
	...readdirSync(path.join(ROOT, 'docs'))
		.filter((file) => file.endsWith('.md'))
		.map((file) => `docs/${file}`),
];

function read(file: string): string {
	return readFileSync(path.join(ROOT, file), 'utf8');
}

/** The text outside fenced code blocks and inline code spans, where links are links. */
function prose(markdown: string): string {
	return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading anchor: lowercase, punctuation but - and _ dropped, spaces to -. */
function slug(heading: string): string {
	return heading
		.trim()
		.toLowerCase()
		.replace(/[^\p{L}\p{N}\s_-]/gu, '')
		.replace(/\s/g, '-');
}

/** The anchors of a Markdown file's headings, a repeated one numbered as GitHub does (-1, -2…). */
function anchors(markdown: string): Set<string> {
	const seen = new Map<string, number>();
	const result = new Set<string>();
	for (const match of markdown.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6}\s+(.+)$/gm)) {
		const base = slug(match[1].replace(/`/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1'));
		const count = seen.get(base) ?? 0;
		seen.set(base, count + 1);
		result.add(count === 0 ? base : `${base}-${count}`);
	}
	return result;
}

/** The targets of a file's inline links `[text](target)` that are not web or mail addresses. */
function relativeLinks(markdown: string): string[] {
	return [...prose(markdown).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
		.map((match) => match[1])
		.filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

test('slugs follow GitHub: lowercase, punctuation dropped but - and _, spaces to -', () => {
	expect(slug('Tested n8n versions (npm run test:compat)')).toBe(
		'tested-n8n-versions-npm-run-testcompat',
	);
	expect(slug('4. Import an example and run it')).toBe('4-import-an-example-and-run-it');
	expect(slug('Scaling out (queue mode)')).toBe('scaling-out-queue-mode');
	expect(slug('Errors, retries and security')).toBe('errors-retries-and-security');
	expect(slug('snake_case and kebab-case')).toBe('snake_case-and-kebab-case');
});

describe.each(DOCS)('%s', (file) => {
	const markdown = read(file);
	const links = relativeLinks(markdown);

	test('every relative link points at an existing file, every #anchor at a heading', () => {
		const broken: string[] = [];
		for (const link of links) {
			const [target, anchor] = link.split('#', 2);
			const resolved = target ? path.resolve(path.dirname(path.join(ROOT, file)), target) : '';
			if (target && !existsSync(resolved)) {
				broken.push(`${link}: no file ${path.relative(ROOT, resolved)}`);
				continue;
			}
			if (anchor === undefined) continue;
			const headings = target ? resolved : path.join(ROOT, file);
			if (statSync(headings).isDirectory() || !headings.endsWith('.md')) {
				broken.push(`${link}: an anchor into a file that is not Markdown`);
				continue;
			}
			if (!anchors(readFileSync(headings, 'utf8')).has(anchor))
				broken.push(`${link}: no heading "#${anchor}" in ${path.relative(ROOT, headings)}`);
		}
		expect(broken).toEqual([]);
	});
});

test('README.md and every docs/ page are linked from the README, and link back', () => {
	const readmeLinks = relativeLinks(read('README.md')).map((link) => link.split('#')[0]);
	for (const file of DOCS.filter((doc) => doc.startsWith('docs/'))) {
		expect(readmeLinks).toContain(file);
		expect(relativeLinks(read(file)).map((link) => link.split('#')[0])).toContain('../README.md');
	}
});

test("the README's own-n8n recipe has the shape the end-to-end suite runs", () => {
	const recipe = readmeRecipe();
	expect(recipe[0]).toBe(BUILD_LINE);
	expect(recipe.join('\n')).toContain(PACK_COMMAND);
	// The install goes where n8n looks: ~/.n8n/nodes, or $N8N_USER_FOLDER/.n8n/nodes.
	expect(recipe.join('\n')).toContain('${N8N_USER_FOLDER:-$HOME}/.n8n/nodes');
	expect(recipe.join('\n')).toMatch(/npm install "\$TGZ"/);
});

test("n8n's install into e2e/ is given one figure everywhere, the one its progress line prints", () => {
	const printed = /\((\d+)-(\d+) minutes/.exec(read('prerequisites/n8nInstall.ts'));
	expect(printed).not.toBeNull();
	const figure = `${printed![1]}–${printed![2]} minutes`;
	const found: string[] = [];
	for (const file of DOCS) {
		const text = read(file).replace(/\s+/g, ' ');
		for (const match of text.matchAll(/e2e\/`[^.]{0,60}?(\d+[–-]\d+ minutes)/g))
			found.push(`${file}: ${match[1]}`);
	}
	expect(found.length).toBeGreaterThanOrEqual(3);
	expect(found.filter((entry) => !entry.endsWith(figure))).toEqual([]);
});

test('the simulator credential the README names is what the simulator accepts by default', () => {
	const readme = read('README.md');
	const cli = read('simulator/cli.ts');
	const port = /--port <n>\s+Port to listen on \(default (\d+)\)/.exec(cli)?.[1];
	const key = /--api-key <key>.*\(default ([\w-]+)\)/.exec(cli)?.[1];
	expect(readme).toContain('npm run simulator -- --port 8787');
	expect(port).toBe('8787');
	expect(readme).toContain(`API key \`${key}\``);
	expect(readme).toContain('Base URL `http://127.0.0.1:8787/v1/phota`');
});
