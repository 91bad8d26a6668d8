/**
 * A string at a blob path: reading its characters from the chunks (readBlob: whitespace and escapes
 * undone) and decoding them (Base64Blob). What the loops over base64 data read for every byte
 * (BASE64_DATA, SCRATCH_BYTES, the escape states) is defined here, not imported: read from another
 * module's exports it made MIME-wrapped base64 10–20% slower. The byte values imported from
 * constants.ts (QUOTE, BACKSLASH, EQUALS, SPACE…) are read only for the bytes that are not base64
 * data: line breaks, escapes, padding and the closing quote.
 */
import {
	BACKSLASH,
	CARRIAGE_RETURN,
	EQUALS,
	ESCAPES,
	HEX_DIGITS,
	LINE_FEED,
	QUOTE,
	SPACE,
	TAB,
	unexpectedByte,
} from './constants';
import type { JsonPath } from './paths';
import { describePath } from './paths';

/** 1 for the base64 data characters A–Z a–z 0–9 + / (not `=`, which is padding). */
const BASE64_DATA = new Uint8Array(256);
for (const range of ['AZ', 'az', '09', '++', '//']) {
	for (let code = range.charCodeAt(0); code <= range.charCodeAt(1); code++) BASE64_DATA[code] = 1;
}

/** Blob escape states: not in one, just after a backslash, or 0–3 hex digits of \uXXXX read. */
const NOT_IN_ESCAPE = -1;
const AFTER_BACKSLASH = -2;
/**
 * What readBlobEscape and Base64Blob.escaped return, in place of a byte, when what was read yields
 * no base64 data character (an unfinished escape, whitespace, padding).
 */
const NO_DATA_CHARACTER = -1;
/** Base64 characters gathered from a chunk before they are decoded (see readBlob). */
export const SCRATCH_BYTES = 64 * 1024;

/**
 * Decoded bytes are handed on in pieces of this many bytes (a multiple of 3; the last piece of an
 * image is shorter): an image is never whole in memory, and n8n's store writes it as it comes.
 */
export const PIECE_BYTES = 3 * 64 * 1024;

/**
 * The decoded bytes of one base64 string, fed in pieces of any length and handed on to `onPiece`
 * as each piece of PIECE_BYTES fills. Holds one piece and fewer than 4 pending base64 characters.
 * Whitespace is skipped; `=` padding may only end the string; anything else that is not base64
 * is an error naming the path.
 */
export class Base64Blob {
	/** Where an escape in the string stands (NOT_IN_ESCAPE, AFTER_BACKSLASH, or hex digits read). */
	escape = NOT_IN_ESCAPE;
	escapedCode = 0;
	/** `=` characters seen; only whitespace may follow them. */
	padding = 0;
	/** Set by readBlob once the string's closing quote is read. */
	closed = false;
	private pending = '';
	private piece: Buffer | undefined;
	private used = 0;

	constructor(
		readonly path: JsonPath,
		private readonly onPiece: (bytes: Buffer) => void,
	) {}

	/**
	 * What an escaped character means in base64: a data character (returned, checked by the caller
	 * like any other), padding, or skipped whitespace (NO_DATA_CHARACTER); anything else is invalid.
	 */
	escaped(code: number): number {
		if (BASE64_DATA[code] === 1) return code;
		if (code === EQUALS) this.padding++;
		else if (code !== LINE_FEED && code !== CARRIAGE_RETURN && code !== TAB && code !== SPACE) {
			throw this.invalid();
		}
		return NO_DATA_CHARACTER;
	}

	/** Adds base64 data characters (no padding, no whitespace) and decodes every whole group of 4. */
	add(characters: string): void {
		if (!characters) return;
		const text = this.pending + characters;
		const whole = text.length - (text.length % 4);
		this.pending = text.slice(whole);
		for (let start = 0; start < whole; ) {
			this.piece ??= Buffer.allocUnsafe(PIECE_BYTES);
			// Each group of 4 characters is 3 bytes; pieces and `used` stay multiples of 3.
			const take = Math.min(((PIECE_BYTES - this.used) / 3) * 4, whole - start);
			const slice = start === 0 && take === text.length ? text : text.slice(start, start + take);
			this.used += this.piece.write(slice, this.used, 'base64');
			start += take;
			if (this.used === PIECE_BYTES) this.handOnPiece();
		}
	}

	/** Checks how the string ended and hands on its last piece. */
	end(): void {
		const characters = this.pending.length;
		const valid =
			(characters === 0 && this.padding === 0) ||
			(characters === 2 && (this.padding === 0 || this.padding === 2)) ||
			(characters === 3 && (this.padding === 0 || this.padding === 1));
		if (!valid) throw this.invalid();
		if (characters) {
			// At most 2 bytes, and a piece not yet full has at least 3 free.
			this.piece ??= Buffer.allocUnsafe(PIECE_BYTES);
			this.used += Buffer.from(this.pending, 'base64').copy(this.piece, this.used);
		}
		if (this.used > 0) this.handOnPiece();
	}

	invalid(): Error {
		return new Error(`The image at ${describePath(this.path)} is not valid base64`);
	}

	private handOnPiece(): void {
		const piece = this.piece?.subarray(0, this.used);
		this.piece = undefined;
		this.used = 0;
		if (piece) this.onPiece(piece);
	}
}

/**
 * Reads the string at a blob path from `position` in a chunk, decoding its base64 as it goes;
 * nothing of its text is kept. Returns where reading stopped: the end of the chunk, or just after
 * the closing quote (then `blob.closed` is set). `scratch` is the parser's buffer of SCRATCH_BYTES,
 * `offset` where the chunk starts in the answer (for error messages).
 */
export function readBlob(
	blob: Base64Blob,
	scratch: Buffer,
	bytes: Buffer,
	position: number,
	offset: number,
): number {
	const length = bytes.length;
	// Fast path: plain base64 up to the end of the chunk is decoded straight from the chunk.
	const start = position;
	if (blob.escape === NOT_IN_ESCAPE && blob.padding === 0) {
		while (position < length && BASE64_DATA[bytes[position]] === 1) position++;
		if (position === length) {
			blob.add(bytes.toString('latin1', start, length));
			return position;
		}
	}
	// Otherwise the base64 characters are gathered in `scratch` (skipping whitespace and undoing
	// escapes) and decoded whenever it is full and at the end of the chunk or string.
	if (position > start) blob.add(bytes.toString('latin1', start, position));
	let gathered = 0;
	while (position < length) {
		if (blob.escape === NOT_IN_ESCAPE && blob.padding === 0) {
			// Copy a run of data characters (the hot loop).
			const limit = Math.min(length, position + SCRATCH_BYTES - gathered);
			while (position < limit) {
				const byte = bytes[position];
				if (BASE64_DATA[byte] !== 1) break;
				scratch[gathered++] = byte;
				position++;
			}
			if (gathered === SCRATCH_BYTES) {
				blob.add(scratch.toString('latin1', 0, gathered));
				gathered = 0;
			}
			if (position === limit) continue;
		}
		let byte = bytes[position];
		if (blob.escape !== NOT_IN_ESCAPE) {
			byte = readBlobEscape(blob, bytes, position, offset);
		} else if (BASE64_DATA[byte] !== 1) {
			if (byte === QUOTE) {
				blob.add(scratch.toString('latin1', 0, gathered));
				blob.closed = true;
				return position + 1;
			}
			if (byte === BACKSLASH) blob.escape = AFTER_BACKSLASH;
			else if (byte === EQUALS) blob.padding++;
			else if (byte < SPACE) throw unexpectedByte(bytes, position, offset);
			else if (byte !== SPACE) throw blob.invalid();
			byte = NO_DATA_CHARACTER;
		}
		position++;
		if (byte === NO_DATA_CHARACTER) continue;
		// A data character from an escape, or after padding (invalid).
		if (blob.padding) throw blob.invalid();
		if (gathered === SCRATCH_BYTES) {
			blob.add(scratch.toString('latin1', 0, gathered));
			gathered = 0;
		}
		scratch[gathered++] = byte;
	}
	blob.add(scratch.toString('latin1', 0, gathered));
	return position;
}

/**
 * One byte of an escape in a blob string. Returns the base64 data character the escape stands
 * for, or NO_DATA_CHARACTER (escape not complete yet, whitespace, or padding).
 */
function readBlobEscape(blob: Base64Blob, bytes: Buffer, position: number, offset: number): number {
	const byte = bytes[position];
	if (blob.escape === AFTER_BACKSLASH) {
		const meaning = ESCAPES[byte];
		if (meaning === undefined) throw unexpectedByte(bytes, position, offset);
		if (meaning === 'u') {
			blob.escape = 0;
			blob.escapedCode = 0;
			return NO_DATA_CHARACTER;
		}
		blob.escape = NOT_IN_ESCAPE;
		return blob.escaped(meaning.charCodeAt(0));
	}
	const digit = HEX_DIGITS[byte];
	if (digit === undefined) throw unexpectedByte(bytes, position, offset);
	blob.escapedCode = blob.escapedCode * 16 + digit;
	blob.escape++;
	if (blob.escape < 4) return NO_DATA_CHARACTER;
	blob.escape = NOT_IN_ESCAPE;
	return blob.escaped(blob.escapedCode);
}
