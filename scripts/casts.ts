/**
 * Counts the type assertions (`x as T`, `<T>x`) in nodes/ and credentials/ with the TypeScript
 * parser, sorted into the kinds ARCHITECTURE.md names. `npm run casts` prints the table and lists
 * every assertion of the kinds that should stay rare; test/unit/architecture.test.ts uses
 * `typeAssertions` to refuse the ones that lie to the compiler (`as never`, `as unknown as …`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The kinds that stay (ARCHITECTURE.md, "Type assertions"): `parameter`, a value n8n hands over as
 * `NodeParameterValueType` read as the type its field declares (n8n's own idiom); `answer`, Phota's
 * JSON taking the type the caller expects, where an answer is read; `parsed`, what `JSON.parse`
 * gives for a token already known to be a JSON string; `caught`, a caught value known to be an
 * Error; `const`. `lie` (`as never`, `as any`, `as unknown as …`) and `other` are refused.
 */
export type AssertionKind =
	| 'parameter'
	| 'answer'
	| 'parsed'
	| 'caught'
	| 'const'
	| 'lie'
	| 'other';

export interface TypeAssertion {
	file: string;
	line: number;
	text: string;
	kind: AssertionKind;
}

const ROOT = path.resolve(__dirname, '..');

function sourceFiles(directory: string): string[] {
	return readdirSync(directory).flatMap((entry) => {
		const full = path.join(directory, entry);
		if (statSync(full).isDirectory()) return sourceFiles(full);
		return entry.endsWith('.ts') ? [full] : [];
	});
}

/** A call to `this.getNodeParameter(...)` (or `context.getNodeParameter`), maybe in parentheses. */
function isParameterRead(expression: ts.Expression): boolean {
	const inner = ts.isParenthesizedExpression(expression) ? expression.expression : expression;
	return (
		ts.isCallExpression(inner) &&
		ts.isPropertyAccessExpression(inner.expression) &&
		inner.expression.name.text === 'getNodeParameter'
	);
}

function kindOf(node: ts.AsExpression | ts.TypeAssertion): AssertionKind {
	const type = node.type.getText();
	if (type === 'const') return 'const';
	if (type === 'never' || type === 'any') return 'lie';
	if (ts.isAsExpression(node.expression) && node.expression.type.getText() === 'unknown')
		return 'lie';
	if (isParameterRead(node.expression) || type === 'PhotaType') return 'parameter';
	if (/^[A-Z]$/.test(type)) return 'answer';
	const expression = node.expression.getText();
	if (/^JSON\.parse\(/.test(expression) && type === 'string') return 'parsed';
	if (expression === 'error' && type === 'Error') return 'caught';
	return 'other';
}

export function typeAssertions(roots = ['nodes', 'credentials']): TypeAssertion[] {
	const found: TypeAssertion[] = [];
	for (const file of roots.flatMap((root) => sourceFiles(path.join(ROOT, root)))) {
		const source = ts.createSourceFile(
			file,
			readFileSync(file, 'utf8'),
			ts.ScriptTarget.Latest,
			true,
		);
		const visit = (node: ts.Node): void => {
			if (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) {
				// `x as unknown as T` is one lie, not two assertions.
				if (!(ts.isAsExpression(node.parent) && node.type.getText() === 'unknown')) {
					found.push({
						file: path.relative(ROOT, file),
						line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1,
						text: node.getText().replace(/\s+/g, ' ').slice(0, 100),
						kind: kindOf(node),
					});
				}
			}
			ts.forEachChild(node, visit);
		};
		visit(source);
	}
	return found;
}

if (require.main === module) {
	const assertions = typeAssertions();
	const counts = new Map<AssertionKind, number>();
	for (const { kind } of assertions) counts.set(kind, (counts.get(kind) ?? 0) + 1);
	console.log(`${assertions.length} type assertions in nodes/ and credentials/`);
	for (const [kind, count] of [...counts.entries()].sort((a, b) => b[1] - a[1])) {
		console.log(`  ${kind.padEnd(10)} ${count}`);
	}
	for (const assertion of assertions.filter(({ kind }) => kind === 'other' || kind === 'lie')) {
		console.log(`${assertion.kind}\t${assertion.file}:${assertion.line}\t${assertion.text}`);
	}
}
