/**
 * The import rules of ARCHITECTURE.md, checked on the source: each room of nodes/Phota may import
 * only the rooms listed for it, and nothing but n8n-workflow from outside the package. The tool side
 * (processes/, prerequisites/, simulator/, e2e/, scripts/, test/harness/) is held to the same
 * rules: an allowed-imports table per room, no import circle, no source file over 300 lines.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

import { typeAssertions } from '../../scripts/casts';

const NODE_ROOT = path.resolve(__dirname, '../../nodes/Phota');
const CREDENTIALS_ROOT = path.resolve(__dirname, '../../credentials');

/** Which rooms a room may import from (its own room is always allowed). */
const ALLOWED: Record<string, string[]> = {
	transport: [],
	helpers: ['transport'],
	methods: ['helpers', 'transport'],
	actions: ['helpers', 'transport'],
	WaitForProfileReady: ['helpers', 'methods', 'transport'],
	PhotaTrigger: ['helpers', 'transport'],
	'Phota.node.ts': ['actions', 'methods', 'transport'],
};

function sourceFiles(directory: string, extensions = ['.ts']): string[] {
	return readdirSync(directory).flatMap((entry) => {
		const full = path.join(directory, entry);
		if (entry === 'node_modules' || entry === 'compat') return [];
		if (statSync(full).isDirectory()) return sourceFiles(full, extensions);
		return extensions.some((extension) => entry.endsWith(extension)) ? [full] : [];
	});
}

/** What a file imports: `import … from`, `import '…'`, `export … from`, and `require(…)` (the JavaScript tools). */
/** Lines as `wc -l` counts them (a final newline ends the last line, it does not start another). */
function lineCount(file: string): number {
	const source = readFileSync(file, 'utf8');
	return source.split('\n').length - (source.endsWith('\n') ? 1 : 0);
}

function importsOf(file: string): string[] {
	const source = readFileSync(file, 'utf8');
	return [
		...[...source.matchAll(/^(?:import|export)[^;]*?from '([^']+)'/gms)].map((match) => match[1]),
		...[...source.matchAll(/^import '([^']+)'/gm)].map((match) => match[1]),
		...[...source.matchAll(/\brequire\('([^']+)'\)/g)].map((match) => match[1]),
	];
}

/** The room (first folder under nodes/Phota, or the node file itself) a path belongs to. */
function roomOf(file: string): string {
	return path.relative(NODE_ROOT, file).split(path.sep)[0];
}

describe('import rules between the rooms of nodes/Phota', () => {
	const files = sourceFiles(NODE_ROOT);

	it('finds the rooms it checks', () => {
		const rooms = new Set(files.map(roomOf));
		for (const room of Object.keys(ALLOWED)) expect(rooms).toContain(room);
		expect([...rooms].filter((room) => !(room in ALLOWED))).toEqual([]);
	});

	it("imports nothing from outside the package but n8n-workflow (and Node's crypto in the trigger)", () => {
		const outside = files.flatMap((file) =>
			importsOf(file)
				.filter((spec) => !spec.startsWith('.') && spec !== 'n8n-workflow')
				.filter((spec) => !(spec === 'crypto' && roomOf(file) === 'PhotaTrigger'))
				.map((spec) => `${path.relative(NODE_ROOT, file)} imports ${spec}`),
		);
		expect(outside).toEqual([]);
	});

	it('imports across rooms only where ARCHITECTURE.md allows', () => {
		const violations = files.flatMap((file) => {
			const room = roomOf(file);
			return importsOf(file)
				.filter((spec) => spec.startsWith('.'))
				.map((spec) => roomOf(path.resolve(path.dirname(file), spec)))
				.filter((target) => target !== room && !ALLOWED[room].includes(target))
				.map((target) => `${path.relative(NODE_ROOT, file)} imports from ${target}/`);
		});
		expect(violations).toEqual([]);
	});

	it('keeps the credential to the transport (its Base URL check)', () => {
		const imports = sourceFiles(CREDENTIALS_ROOT).flatMap((file) =>
			importsOf(file).filter((spec) => spec.startsWith('.')),
		);
		expect(imports.every((spec) => spec.startsWith('../nodes/Phota/transport/'))).toBe(true);
	});

	it('keeps every source file under 300 lines', () => {
		const long = [...files, ...sourceFiles(CREDENTIALS_ROOT)]
			.map((file) => ({ file, lines: lineCount(file) }))
			.filter(({ lines }) => lines > 300)
			.map(
				({ file, lines }) => `${path.relative(path.resolve(NODE_ROOT, '../..'), file)}: ${lines}`,
			);
		expect(long).toEqual([]);
	});
});

// ---------------------------------------------------------------- the tool side

const ROOT = path.resolve(__dirname, '../..');

/**
 * The tool side's rooms and what each may import besides itself (ARCHITECTURE.md, "The tool side").
 * Lower rooms never import higher ones: the simulator knows nothing of the suites or the scripts,
 * the suites use the simulator and the shared tool rooms, and only scripts/ (demo, bench, compat)
 * sits on top of everything.
 */
const TOOL_ROOMS: Record<string, string[]> = {
	processes: [],
	prerequisites: ['processes'],
	simulator: ['processes'],
	'test/harness': ['processes', 'simulator'],
	e2e: ['processes', 'prerequisites', 'simulator'],
	scripts: ['processes', 'prerequisites', 'simulator', 'e2e', 'test/harness'],
};
/** Rooms that may import nothing from outside the repository but Node's own modules. */
const BUILTINS_ONLY = ['processes', 'prerequisites'];

/** Source files of a tool room: its TypeScript and JavaScript, not e2e/'s installed n8n. */
function toolFiles(room: string): string[] {
	const dir = path.join(ROOT, room);
	if (room === 'e2e')
		return readdirSync(dir)
			.filter((entry) => /\.(ts|js)$/.test(entry))
			.map((entry) => path.join(dir, entry));
	return sourceFiles(dir, ['.ts', '.js']);
}

/** The room of a file under the repository (the longest room name that contains it). */
function toolRoomOf(file: string): string | undefined {
	const relative = path.relative(ROOT, file).split(path.sep).join('/');
	return Object.keys(TOOL_ROOMS)
		.filter((room) => relative === room || relative.startsWith(`${room}/`))
		.sort((a, b) => b.length - a.length)[0];
}

/** The file a relative import names (`./x` → x.ts, x.js, x/index.ts …). */
function resolveImport(file: string, spec: string): string | undefined {
	const base = path.resolve(path.dirname(file), spec);
	return [
		base,
		`${base}.ts`,
		`${base}.js`,
		path.join(base, 'index.ts'),
		path.join(base, 'index.js'),
	].find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
}

/** Import circles among `files`: each as the list of files around it. */
function circles(files: string[]): string[][] {
	const edges = new Map(
		files.map((file) => [
			file,
			importsOf(file)
				.filter((spec) => spec.startsWith('.'))
				.map((spec) => resolveImport(file, spec))
				.filter((target): target is string => target !== undefined),
		]),
	);
	const found: string[][] = [];
	const done = new Set<string>();
	const visit = (file: string, trail: string[]) => {
		const at = trail.indexOf(file);
		if (at !== -1) {
			found.push(trail.slice(at).map((entry) => path.relative(ROOT, entry)));
			return;
		}
		if (done.has(file)) return;
		for (const target of edges.get(file) ?? []) visit(target, [...trail, file]);
		done.add(file);
	};
	for (const file of files) visit(file, []);
	return found;
}

describe('the tool side: processes/, prerequisites/, simulator/, e2e/, scripts/, test/harness/', () => {
	const files = Object.keys(TOOL_ROOMS).flatMap((room) =>
		toolFiles(room).filter((file) => toolRoomOf(file) === room),
	);

	it('finds the rooms it checks', () => {
		for (const room of Object.keys(TOOL_ROOMS))
			expect(files.some((file) => toolRoomOf(file) === room)).toBe(true);
	});

	it('imports across rooms only where ARCHITECTURE.md allows', () => {
		const violations = files.flatMap((file) => {
			const room = toolRoomOf(file)!;
			return importsOf(file)
				.filter((spec) => spec.startsWith('.'))
				.map((spec) => {
					const target = path.resolve(path.dirname(file), spec);
					return toolRoomOf(target) ?? path.relative(ROOT, target).split(path.sep)[0];
				})
				.filter((target) => target !== room && !TOOL_ROOMS[room].includes(target))
				.map((target) => `${path.relative(ROOT, file)} imports from ${target}/`);
		});
		expect(violations).toEqual([]);
	});

	it("keeps processes/ and prerequisites/ to Node's own modules", () => {
		const outside = files
			.filter((file) => BUILTINS_ONLY.includes(toolRoomOf(file)!))
			.flatMap((file) =>
				importsOf(file)
					.filter((spec) => !spec.startsWith('.') && !spec.startsWith('node:'))
					.map((spec) => `${path.relative(ROOT, file)} imports ${spec}`),
			);
		expect(outside).toEqual([]);
	});

	it('has no import circle (nor has nodes/ or credentials/)', () => {
		const product = [...sourceFiles(NODE_ROOT), ...sourceFiles(CREDENTIALS_ROOT)];
		expect(circles([...files, ...product])).toEqual([]);
	});

	// Test files (*.test.ts) are exempt: a suite's scenarios read best in one file, and splitting
	// them by size would scatter shared set-up (e2e/queue.test.ts holds one cluster for all its
	// tests). Everything a test imports is held to the limit.
	it('keeps every source file under 300 lines (test files exempt)', () => {
		const long = files
			.filter((file) => !file.endsWith('.test.ts'))
			.map((file) => ({ file, lines: lineCount(file) }))
			.filter(({ lines }) => lines > 300)
			.map(({ file, lines }) => `${path.relative(ROOT, file)}: ${lines}`);
		expect(long).toEqual([]);
	});
});

describe('type assertions in nodes/ and credentials/ (ARCHITECTURE.md, "Type assertions")', () => {
	it('are only of the kinds that stay: none silences the compiler, none is unexplained', () => {
		const refused = typeAssertions()
			.filter(({ kind }) => kind === 'lie' || kind === 'other')
			.map(({ file, line, text }) => `${file}:${line} ${text}`);
		expect(refused).toEqual([]);
	});
});
