/** Where a value sits in the answer: object keys and array indexes from the top. */
export type JsonPath = ReadonlyArray<string | number>;

/** `images[0]`, `a.b[2]`: a path as one would write it in an n8n expression. */
export function describePath(path: JsonPath): string {
	if (!path.length) return 'the top level';
	return path
		.map((part, index) =>
			typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`,
		)
		.join('');
}
