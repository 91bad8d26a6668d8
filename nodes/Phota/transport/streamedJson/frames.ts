import type { JsonPath } from './paths';

/** An array or object being read; the parser keeps a stack of them, innermost last. */
export interface Frame {
	/** Set for an array; otherwise `object` is set. */
	array?: unknown[];
	object?: Record<string, unknown>;
	/** The key of the member being read (objects). */
	key: string;
}

/** Adds a completed value to the array or object being read. */
export function addToFrame(top: Frame, value: unknown): void {
	if (top.array) {
		top.array.push(value);
	} else {
		const object = top.object as Record<string, unknown>;
		// As JSON.parse does: "__proto__" is an own property, never the prototype.
		if (top.key === '__proto__') {
			Object.defineProperty(object, top.key, {
				value,
				writable: true,
				enumerable: true,
				configurable: true,
			});
		} else {
			object[top.key] = value;
		}
	}
}

/** Where the value about to be read sits: object keys and array indexes from the top. */
export function pathOf(stack: readonly Frame[]): JsonPath {
	return stack.map((frame) => (frame.array ? frame.array.length : frame.key));
}
