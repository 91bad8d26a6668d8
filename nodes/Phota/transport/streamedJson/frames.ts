import type { JsonPath } from './paths';

/** A blob string read whole: its bytes, where it sits, and how to put something else there. */
export interface FinishedBlob {
	path: JsonPath;
	bytes: Buffer;
	/** Puts `value` in the answer where the bytes are (so the bytes can be let go). */
	replaceWith(value: unknown): void;
}

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

/**
 * A function that replaces the value last added to `frame` (the array's last element, or the
 * member under the key being read) with another, even after the frame was closed.
 */
export function replaceLatest(frame: Frame): (value: unknown) => void {
	if (frame.kind === 'array') {
		const { value: array } = frame;
		const index = array.length - 1;
		return (value) => {
			array[index] = value;
		};
	}
	const { value: object, key } = frame;
	return (value) => {
		Object.defineProperty(object, key, {
			value,
			writable: true,
			enumerable: true,
			configurable: true,
		});
	};
}
