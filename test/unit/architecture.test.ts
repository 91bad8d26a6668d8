/**
 * The import rules of ARCHITECTURE.md, checked on the source: each room of nodes/Phota may import
 * only the rooms listed for it, and nothing but n8n-workflow from outside the package.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const NODE_ROOT = path.resolve(__dirname, '../../nodes/Phota');
const CREDENTIALS_ROOT = path.resolve(__dirname, '../../credentials');

/** Which rooms a room may import from (its own room is always allowed). */
const ALLOWED: Record<string, string[]> = {
	transport: [],
	helpers: ['transport'],
	methods: ['helpers', 'transport'],
	actions: ['helpers', 'transport'],
	WaitForProfileReady: ['helpers', 'methods', 'transport'],
	'Phota.node.ts': ['actions', 'methods', 'transport'],
};

function sourceFiles(directory: string): string[] {
	return readdirSync(directory).flatMap((entry) => {
		const full = path.join(directory, entry);
		if (statSync(full).isDirectory()) return sourceFiles(full);
		return entry.endsWith('.ts') ? [full] : [];
	});
}

function importsOf(file: string): string[] {
	const source = readFileSync(file, 'utf8');
	return [...source.matchAll(/^(?:import|export)[^;]*?from '([^']+)'/gms)].map((match) => match[1]);
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

	it('imports nothing from outside the package but n8n-workflow', () => {
		const outside = files.flatMap((file) =>
			importsOf(file)
				.filter((spec) => !spec.startsWith('.') && spec !== 'n8n-workflow')
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
			.map((file) => ({ file, lines: readFileSync(file, 'utf8').split('\n').length }))
			.filter(({ lines }) => lines > 300)
			.map(
				({ file, lines }) => `${path.relative(path.resolve(NODE_ROOT, '../..'), file)}: ${lines}`,
			);
		expect(long).toEqual([]);
	});
});
