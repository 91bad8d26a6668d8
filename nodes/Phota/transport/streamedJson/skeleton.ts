import { Base64Blob, readBlob, SCRATCH_BYTES } from './base64Blob';
import {
	BACKSLASH,
	CLOSE_BRACE,
	CLOSE_BRACKET,
	COLON,
	COMMA,
	NOT_JSON,
	OPEN_BRACE,
	OPEN_BRACKET,
	QUOTE,
	TRUNCATED,
	unexpectedByte,
} from './constants';
import type { JsonPath } from './paths';

/** What stands in the skeleton for an image's string (JSON.parse reads it; end() replaces it). */
const IMAGE_PLACEHOLDER = Buffer.from('null');

/** Where the decoded bytes of the images go, piece by piece, in order (see PIECE_BYTES). */
export type PieceSink = (bytes: Buffer, path: JsonPath) => void;

/** An image string read to its end: where it sits, and how to put its value there. */
export interface FinishedBlob {
	path: JsonPath;
	/** Puts `value` (the image's bytes, or what storing them returned) in the answer at `path`. */
	replaceWith(value: unknown): void;
}

/**
 * Reads one JSON answer fed in chunks (see parseJsonWithBase64Blobs in ../answer.ts). The strings
 * of the top-level `images` array are decoded from base64 as they arrive (base64Blob.ts), their
 * bytes handed to `sink` piece by piece, and stand as `null` in a skeleton of everything else,
 * which JSON.parse reads at the end; what the caller put in each image's place (replaceWith) then
 * takes the place of its `null`. So every other value is what JSON.parse makes of it.
 * What this reads itself is only what it must to find the images: nesting, the top-level keys,
 * and where strings end. Brackets that do not match and image strings that are not base64 fail at
 * once; anything else that is not JSON is found by JSON.parse at the end, after images already
 * stored (a paid result, kept with the execution's files like any other).
 */
export class SkeletonParser {
	/** The answer without its images' strings, in copied pieces. */
	private readonly skeleton: Buffer[] = [];
	/** The brackets open, innermost last. */
	private open = '';
	/** Bytes of the answer before the current chunk (for error messages). */
	private offset = 0;
	/** Inside a string that is not an image; `escaped` after its backslash. */
	private inString = false;
	private escaped = false;
	/** A top-level key being read (from its opening quote), then the last one read. */
	private keyParts: Buffer[] | undefined;
	private lastKey: string | undefined;
	/** In the top-level object: whether the next string is a key. */
	private expectKey = false;
	/** Inside the top-level `images` array: the index of the element being read. */
	private imageIndex: number | undefined;
	private blob: Base64Blob | undefined;
	private readonly scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
	/** What stands in for each image, by its index in `images`. */
	private images = new Map<number, unknown>();
	private finishedBlob: FinishedBlob | undefined;

	constructor(private readonly sink: PieceSink) {}

	/**
	 * Reads `bytes` from `start` up to their end, or up to the end of an image's string: then it
	 * returns where it stopped and the image is ready for takeFinishedBlob, so that it can be stored
	 * before the next image is decoded. Call again from the position returned.
	 */
	write(bytes: Buffer, start = 0): number {
		let position = start;
		while (position < bytes.length && !this.finishedBlob) {
			if (this.blob) position = this.readImage(bytes, position);
			else if (this.inString) position = this.readString(bytes, position);
			else position = this.readStructure(bytes, position);
		}
		if (position === bytes.length) this.offset += bytes.length;
		return position;
	}

	/** The image whose string write() stopped after, once. */
	takeFinishedBlob(): FinishedBlob | undefined {
		const blob = this.finishedBlob;
		this.finishedBlob = undefined;
		return blob;
	}

	end(): unknown {
		const text = Buffer.concat(this.skeleton).toString('utf8');
		if (this.blob || this.inString || this.open || text.trim() === '') throw new Error(TRUNCATED);
		const parsed = parseSkeleton(text);
		if ('error' in parsed) throw new Error(`${NOT_JSON}: ${parsed.error.message}`);
		const { answer } = parsed;
		const images = isObject(answer) && Array.isArray(answer.images) ? answer.images : [];
		for (const [index, image] of this.images) images[index] = image;
		return answer;
	}

	/** Bytes outside strings, copied up to the next string or the end of the chunk. */
	private readStructure(bytes: Buffer, start: number): number {
		let position = start;
		for (; position < bytes.length; position++) {
			const byte = bytes[position];
			if (byte === QUOTE) break;
			if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.opened(byte);
			else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) this.closed(bytes, position);
			else if (this.open.length === 1 && byte === COLON) this.expectKey = false;
			else if (byte === COMMA && this.open.length === 1) this.expectKey = this.open === '{';
			else if (byte === COMMA && this.imageIndex !== undefined && this.open.length === 2) {
				this.imageIndex++;
			}
		}
		this.copy(bytes, start, position);
		if (position === bytes.length) return position;
		// A string starts: an image, a top-level key, or any other string.
		if (this.imageIndex !== undefined && this.open.length === 2) {
			this.skeleton.push(IMAGE_PLACEHOLDER);
			const path: JsonPath = ['images', this.imageIndex];
			this.blob = new Base64Blob(path, (bytes) => this.sink(bytes, path));
			return position + 1;
		}
		this.inString = true;
		if (this.open === '{' && this.expectKey) this.keyParts = [];
		return this.readString(bytes, position, position + 1);
	}

	private opened(byte: number): void {
		const images = this.open === '{' && !this.expectKey && this.lastKey === 'images';
		this.open += byte === OPEN_BRACE ? '{' : '[';
		if (this.open === '{') this.expectKey = true;
		if (images && byte === OPEN_BRACKET) {
			// Another "images" (JSON.parse keeps the last) starts its own list.
			this.images = new Map();
			this.imageIndex = 0;
		}
	}

	private closed(bytes: Buffer, position: number): void {
		const expected = bytes[position] === CLOSE_BRACE ? '{' : '[';
		if (!this.open.endsWith(expected)) throw unexpectedByte(bytes, position, this.offset);
		if (this.open.length === 2) this.imageIndex = undefined;
		this.open = this.open.slice(0, -1);
	}

	/** A string's bytes up to its closing quote, copied; a top-level key's are kept to read it. */
	private readString(bytes: Buffer, start: number, scanFrom = start): number {
		let escaped = this.escaped;
		let position = scanFrom;
		for (; position < bytes.length; position++) {
			const byte = bytes[position];
			if (escaped) escaped = false;
			else if (byte === BACKSLASH) escaped = true;
			else if (byte === QUOTE) break;
		}
		this.escaped = escaped;
		const end = position < bytes.length ? position + 1 : position;
		this.copy(bytes, start, end);
		this.keyParts?.push(Buffer.from(bytes.subarray(start, end)));
		if (position === bytes.length) return position;
		this.inString = false;
		if (this.keyParts) {
			this.lastKey = keyOf(Buffer.concat(this.keyParts).toString('utf8'));
			this.keyParts = undefined;
		}
		return end;
	}

	/** An image's base64 (base64Blob.ts); at its closing quote it is ready for takeFinishedBlob. */
	private readImage(bytes: Buffer, position: number): number {
		const blob = this.blob;
		if (!blob) return position;
		const next = readBlob(blob, this.scratch, bytes, position, this.offset);
		if (blob.closed) {
			this.blob = undefined;
			blob.end();
			const [, index] = blob.path;
			const images = this.images;
			const replaceWith = (value: unknown) => images.set(Number(index), value);
			this.finishedBlob = { path: blob.path, replaceWith };
		}
		return next;
	}

	private copy(bytes: Buffer, start: number, end: number): void {
		if (end > start) this.skeleton.push(Buffer.from(bytes.subarray(start, end)));
	}
}

/**
 * JSON.parse of the skeleton, its error returned rather than thrown: n8n's scanner rule
 * require-node-api-error forbids throwing in a catch block.
 */
function parseSkeleton(text: string): { answer: unknown } | { error: Error } {
	try {
		return { answer: JSON.parse(text) };
	} catch (error) {
		return { error: error instanceof Error ? error : new Error(String(error)) };
	}
}

/** A key token's value, or undefined when it is not a valid string (JSON.parse then says why). */
function keyOf(token: string): string | undefined {
	try {
		return JSON.parse(token) as string;
	} catch {
		return undefined;
	}
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}
