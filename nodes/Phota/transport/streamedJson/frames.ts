import type { JsonPath } from './paths';

/** An array or object being read; the parser keeps a stack of them, innermost last. */
export type Frame = ArrayFrame | ObjectFrame;

export interface ArrayFrame {
	kind: 'array';
	value: unknown[];
}

export interface ObjectFrame {
	kind: 'object';
	value: Record<string, unknown>;
	/** The key of the member being read. */
	key: string;
}

/** Adds a completed value to the array or object being read. */
export function addToFrame(top: Frame, value: unknown): void {
	if (top.kind === 'array') {
		top.value.push(value);
	} else if (top.key === '__proto__') {
		// As JSON.parse does: "__proto__" is an own property, never the prototype.
		Object.defineProperty(top.value, top.key, {
			value,
			writable: true,
			enumerable: true,
			configurable: true,
		});
	} else {
		top.value[top.key] = value;
	}
}

/** Where the value about to be read sits: object keys and array indexes from the top. */
export function pathOf(stack: readonly Frame[]): JsonPath {
	return stack.map((frame) => (frame.kind === 'array' ? frame.value.length : frame.key));
}
