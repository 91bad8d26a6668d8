/**
 * A streaming JSON parser for Phota's sync image answers. Four 4K images arrive as ~60 MB of base64
 * text; buffering, converting and parsing that text would hold it three times over. This parser
 * reads the answer chunk by chunk and decodes the strings at "blob" paths (`images[i]`) straight
 * into bytes, so only the decoded images are held, never their base64 text.
 *
 * Every other value is exactly what `JSON.parse` gives for the whole answer, however the answer is
 * split into chunks (inside multi-byte characters, escapes, numbers or literals). Strings at blob
 * paths always become Buffers (an empty string becomes an empty Buffer).
 *
 * No imports on purpose: n8n's verified-node scanner rejects 'stream', so the input is typed as an
 * async iterable (a Node Readable is one).
 */

export type JsonPath = ReadonlyArray<string | number>;

const TRUNCATED = 'The answer ended early (truncated JSON)';
const NOT_JSON = 'The answer is not valid JSON';

/** True exactly for the top-level `images[<index>]` entries. */
export function isImagePath(path: JsonPath): boolean {
	return path.length === 2 && path[0] === 'images' && typeof path[1] === 'number';
}

/**
 * Parses a JSON answer as it streams in, turning the base64 strings at blob paths into Buffers
 * while they arrive. Rejects with a clear message when the answer is truncated, is not JSON, or
 * holds an image that is not base64.
 */
export async function parseJsonWithBase64Blobs(
	stream: AsyncIterable<Buffer | string | Uint8Array>,
	isBlobPath: (path: JsonPath) => boolean = isImagePath,
): Promise<unknown> {
	const parser = new StreamingJsonParser(isBlobPath);
	for await (const chunk of stream) parser.write(toBuffer(chunk));
	return parser.end();
}

function toBuffer(chunk: Buffer | string | Uint8Array): Buffer {
	if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
	if (Buffer.isBuffer(chunk)) return chunk;
	return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

// Bytes.
const TAB = 0x09;
const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const COLON = 0x3a;
const EQUALS = 0x3d;
const OPEN_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** 1 for the base64 data characters A–Z a–z 0–9 + / (not `=`, which is padding). */
const BASE64_DATA = new Uint8Array(256);
for (const range of ['AZ', 'az', '09', '++', '//']) {
	for (let code = range.charCodeAt(0); code <= range.charCodeAt(1); code++) BASE64_DATA[code] = 1;
}

/** 1 for the characters a JSON number token is made of (validated once the token is complete). */
const NUMBER_CHAR = new Uint8Array(256);
for (const character of '0123456789+-.eE') NUMBER_CHAR[character.charCodeAt(0)] = 1;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

// What the parser expects next, outside of tokens.
const EXPECT_VALUE = 0;
const EXPECT_VALUE_OR_ARRAY_END = 1;
const EXPECT_KEY = 2;
const EXPECT_KEY_OR_OBJECT_END = 3;
const EXPECT_COLON = 4;
const EXPECT_COMMA_OR_END = 5;
const DONE = 6;
// Inside a token.
const IN_STRING = 7;
const IN_BLOB = 8;
const IN_NUMBER = 9;
const IN_LITERAL = 10;

const LITERALS: Record<number, [string, boolean | null]> = {
	0x74: ['true', true],
	0x66: ['false', false],
	0x6e: ['null', null],
};

/** JSON's escapes by the byte after the backslash: what they stand for ('u' for \uXXXX). */
const ESCAPES: Record<number, string> = {
	0x22: '"',
	0x5c: '\\',
	0x2f: '/',
	0x62: '\b',
	0x66: '\f',
	0x6e: '\n',
	0x72: '\r',
	0x74: '\t',
	0x75: 'u',
};

const HEX_DIGITS: Record<number, number> = {};
for (let digit = 0; digit < 16; digit++) {
	HEX_DIGITS[digit.toString(16).charCodeAt(0)] = digit;
	HEX_DIGITS[digit.toString(16).toUpperCase().charCodeAt(0)] = digit;
}

/** Blob escape states: 0–3 are the hex digits of \uXXXX read so far. */
const NO_ESCAPE = -1;
const AFTER_BACKSLASH = -2;
/** readBlobEscape's answer when an escape yields no base64 data character. */
const NOTHING = -1;
/** Base64 characters gathered from a chunk before they are decoded (see readBlob). */
const SCRATCH_BYTES = 64 * 1024;

interface Frame {
	/** Set for an array; otherwise `object` is set. */
	array?: unknown[];
	object?: Record<string, unknown>;
	/** The key of the member being read (objects). */
	key: string;
}

class StreamingJsonParser {
	private state = EXPECT_VALUE;
	private readonly stack: Frame[] = [];
	private root: unknown;
	/** Bytes of the input before the current chunk (for error messages). */
	private offset = 0;

	// A string (non-blob) spanning chunks: its raw bytes so far, from the opening quote.
	private stringParts: Buffer[] = [];
	private stringIsKey = false;
	private stringEscaped = false;

	private blob: Base64Blob | undefined;
	private readonly scratch = Buffer.allocUnsafe(SCRATCH_BYTES);

	private numberText = '';

	private literalText = '';
	private literalValue: boolean | null = null;
	private literalMatched = 0;

	constructor(private readonly isBlobPath: (path: JsonPath) => boolean) {}

	write(bytes: Buffer): void {
		let position = 0;
		while (position < bytes.length) {
			switch (this.state) {
				case IN_STRING:
					position = this.readString(bytes, position, position);
					break;
				case IN_BLOB:
					position = this.readBlob(bytes, position);
					break;
				case IN_NUMBER:
					position = this.readNumber(bytes, position);
					break;
				case IN_LITERAL:
					position = this.readLiteral(bytes, position);
					break;
				default: {
					const byte = bytes[position];
					if (byte === SPACE || byte === LINE_FEED || byte === CARRIAGE_RETURN || byte === TAB) {
						position++;
					} else {
						position = this.readStructure(bytes, position);
					}
				}
			}
		}
		this.offset += bytes.length;
	}

	end(): unknown {
		if (this.state === IN_NUMBER && this.stack.length === 0) this.endNumber();
		if (this.state !== DONE) throw new Error(TRUNCATED);
		return this.root;
	}

	/** A byte outside any token: whitespace is skipped by the caller. */
	private readStructure(bytes: Buffer, position: number): number {
		const byte = bytes[position];
		switch (this.state) {
			case EXPECT_VALUE_OR_ARRAY_END:
				if (byte === CLOSE_BRACKET) return this.closeContainer(position);
				return this.startValue(bytes, position);
			case EXPECT_VALUE:
				return this.startValue(bytes, position);
			case EXPECT_KEY_OR_OBJECT_END:
				if (byte === CLOSE_BRACE) return this.closeContainer(position);
				return this.startKey(bytes, position);
			case EXPECT_KEY:
				return this.startKey(bytes, position);
			case EXPECT_COLON:
				if (byte !== COLON) throw this.unexpected(bytes, position);
				this.state = EXPECT_VALUE;
				return position + 1;
			case EXPECT_COMMA_OR_END: {
				const top = this.stack[this.stack.length - 1];
				if (byte === COMMA) {
					this.state = top.array ? EXPECT_VALUE : EXPECT_KEY;
					return position + 1;
				}
				if (byte === (top.array ? CLOSE_BRACKET : CLOSE_BRACE)) {
					return this.closeContainer(position);
				}
				throw this.unexpected(bytes, position);
			}
			default:
				throw this.unexpected(bytes, position);
		}
	}

	private startKey(bytes: Buffer, position: number): number {
		if (bytes[position] !== QUOTE) throw this.unexpected(bytes, position);
		this.stringIsKey = true;
		this.state = IN_STRING;
		return this.readString(bytes, position + 1, position);
	}

	private startValue(bytes: Buffer, position: number): number {
		const byte = bytes[position];
		if (byte === QUOTE) {
			const path = this.path();
			if (this.isBlobPath(path)) {
				this.blob = new Base64Blob(path);
				this.state = IN_BLOB;
				return position + 1;
			}
			this.stringIsKey = false;
			this.state = IN_STRING;
			return this.readString(bytes, position + 1, position);
		}
		if (byte === OPEN_BRACE) {
			this.stack.push({ object: {}, key: '' });
			this.state = EXPECT_KEY_OR_OBJECT_END;
			return position + 1;
		}
		if (byte === OPEN_BRACKET) {
			this.stack.push({ array: [], key: '' });
			this.state = EXPECT_VALUE_OR_ARRAY_END;
			return position + 1;
		}
		if (byte === MINUS || (byte >= DIGIT_0 && byte <= DIGIT_9)) {
			this.numberText = '';
			this.state = IN_NUMBER;
			return position;
		}
		const literal = LITERALS[byte];
		if (literal) {
			this.literalText = literal[0];
			this.literalValue = literal[1];
			this.literalMatched = 0;
			this.state = IN_LITERAL;
			return position;
		}
		throw this.unexpected(bytes, position);
	}

	/**
	 * Reads a key or a non-blob string up to its closing quote. Its raw bytes (from `start`, the
	 * opening quote when in this chunk) are kept and handed to JSON.parse once complete, so escapes,
	 * surrogates and invalid input behave exactly as in JSON.parse of the whole answer.
	 */
	private readString(bytes: Buffer, position: number, start: number): number {
		let escaped = this.stringEscaped;
		let scan = position;
		for (; scan < bytes.length; scan++) {
			const byte = bytes[scan];
			if (escaped) escaped = false;
			else if (byte === BACKSLASH) escaped = true;
			else if (byte === QUOTE) break;
		}
		this.stringEscaped = escaped;
		if (scan === bytes.length) {
			// The string goes on in the next chunk: keep a copy of this part.
			this.stringParts.push(Buffer.from(bytes.subarray(start)));
			return scan;
		}
		let token: string;
		if (this.stringParts.length) {
			this.stringParts.push(bytes.subarray(start, scan + 1));
			token = Buffer.concat(this.stringParts).toString('utf8');
			this.stringParts = [];
		} else {
			token = bytes.toString('utf8', start, scan + 1);
		}
		const parsed = parseStringToken(token);
		if (typeof parsed !== 'string') {
			throw new Error(
				`${NOT_JSON}: bad string ending at byte ${this.offset + scan} (${parsed.message})`,
			);
		}
		const value = parsed;
		if (this.stringIsKey) {
			this.stack[this.stack.length - 1].key = value;
			this.state = EXPECT_COLON;
		} else {
			this.completeValue(value);
		}
		return scan + 1;
	}

	/** Reads a string at a blob path, decoding its base64 as it goes; nothing of its text is kept. */
	private readBlob(bytes: Buffer, position: number): number {
		const blob = this.blob as Base64Blob;
		const length = bytes.length;
		// Fast path: plain base64 up to the end of the chunk is decoded straight from the chunk.
		const start = position;
		if (blob.escape === NO_ESCAPE && blob.padding === 0) {
			while (position < length && BASE64_DATA[bytes[position]] === 1) position++;
			if (position === length) {
				blob.add(bytes.toString('latin1', start, length));
				return position;
			}
		}
		// Otherwise the base64 characters are gathered in `scratch` (skipping whitespace and undoing
		// escapes) and decoded whenever it is full and at the end of the chunk or string.
		if (position > start) blob.add(bytes.toString('latin1', start, position));
		const scratch = this.scratch;
		let gathered = 0;
		while (position < length) {
			if (blob.escape === NO_ESCAPE && blob.padding === 0) {
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
			if (blob.escape !== NO_ESCAPE) {
				byte = this.readBlobEscape(blob, bytes, position);
			} else if (BASE64_DATA[byte] !== 1) {
				if (byte === QUOTE) {
					blob.add(scratch.toString('latin1', 0, gathered));
					this.blob = undefined;
					this.completeValue(blob.end());
					return position + 1;
				}
				if (byte === BACKSLASH) blob.escape = AFTER_BACKSLASH;
				else if (byte === EQUALS) blob.padding++;
				else if (byte < SPACE) throw this.unexpected(bytes, position);
				else if (byte !== SPACE) throw blob.invalid();
				byte = NOTHING;
			}
			position++;
			if (byte === NOTHING) continue;
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
	 * for, or NOTHING (escape not complete yet, whitespace, or padding).
	 */
	private readBlobEscape(blob: Base64Blob, bytes: Buffer, position: number): number {
		const byte = bytes[position];
		if (blob.escape === AFTER_BACKSLASH) {
			const meaning = ESCAPES[byte];
			if (meaning === undefined) throw this.unexpected(bytes, position);
			if (meaning === 'u') {
				blob.escape = 0;
				blob.escapedCode = 0;
				return NOTHING;
			}
			blob.escape = NO_ESCAPE;
			return blob.escaped(meaning.charCodeAt(0));
		}
		const digit = HEX_DIGITS[byte];
		if (digit === undefined) throw this.unexpected(bytes, position);
		blob.escapedCode = blob.escapedCode * 16 + digit;
		blob.escape++;
		if (blob.escape < 4) return NOTHING;
		blob.escape = NO_ESCAPE;
		return blob.escaped(blob.escapedCode);
	}

	private readNumber(bytes: Buffer, position: number): number {
		const start = position;
		while (position < bytes.length && NUMBER_CHAR[bytes[position]] === 1) position++;
		this.numberText += bytes.toString('latin1', start, position);
		if (position < bytes.length) this.endNumber(position);
		return position;
	}

	private endNumber(position = 0): void {
		if (!JSON_NUMBER.test(this.numberText)) {
			throw new Error(
				`${NOT_JSON}: bad number ${JSON.stringify(this.numberText.slice(0, 40))} before byte ${this.offset + position}`,
			);
		}
		this.completeValue(Number(this.numberText));
	}

	private readLiteral(bytes: Buffer, position: number): number {
		const text = this.literalText;
		while (position < bytes.length && this.literalMatched < text.length) {
			if (bytes[position] !== text.charCodeAt(this.literalMatched)) {
				throw this.unexpected(bytes, position);
			}
			this.literalMatched++;
			position++;
		}
		if (this.literalMatched === text.length) this.completeValue(this.literalValue);
		return position;
	}

	private closeContainer(position: number): number {
		const frame = this.stack.pop() as Frame;
		this.completeValue(frame.array ?? frame.object);
		return position + 1;
	}

	private completeValue(value: unknown): void {
		const top = this.stack[this.stack.length - 1];
		if (!top) {
			this.root = value;
			this.state = DONE;
			return;
		}
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
		this.state = EXPECT_COMMA_OR_END;
	}

	/** Where the value about to be read sits: object keys and array indexes from the top. */
	private path(): JsonPath {
		return this.stack.map((frame) => (frame.array ? frame.array.length : frame.key));
	}

	private unexpected(bytes: Buffer, position: number): Error {
		const byte = bytes[position];
		const shown =
			byte > SPACE && byte < 0x7f
				? `'${String.fromCharCode(byte)}'`
				: `byte 0x${byte.toString(16).padStart(2, '0')}`;
		return new Error(`${NOT_JSON}: unexpected ${shown} at byte ${this.offset + position}`);
	}
}

/** Decoded bytes are written into blocks of this many bytes at most (a multiple of 3). */
const MAX_BLOCK_BYTES = 3 * 1024 * 1024;
const FIRST_BLOCK_BYTES = 3 * 4096;

/**
 * The decoded bytes of one base64 string, fed in pieces of any length. Holds the decoded bytes and
 * fewer than 4 pending base64 characters. Whitespace is skipped; `=` padding may only end the
 * string; anything else that is not base64 is an error naming the path.
 */
class Base64Blob {
	/** Where an escape in the string stands (NO_ESCAPE, AFTER_BACKSLASH, or hex digits read). */
	escape = NO_ESCAPE;
	escapedCode = 0;
	/** `=` characters seen; only whitespace may follow them. */
	padding = 0;
	private pending = '';
	private readonly blocks: Buffer[] = [];
	private block: Buffer | undefined;
	private used = 0;

	constructor(private readonly path: JsonPath) {}

	/**
	 * What an escaped character means in base64: a data character (returned, checked by the caller
	 * like any other), padding, or skipped whitespace (NOTHING); anything else is invalid.
	 */
	escaped(code: number): number {
		if (BASE64_DATA[code] === 1) return code;
		if (code === EQUALS) this.padding++;
		else if (code !== LINE_FEED && code !== CARRIAGE_RETURN && code !== TAB && code !== SPACE) {
			throw this.invalid();
		}
		return NOTHING;
	}

	/** Adds base64 data characters (no padding, no whitespace) and decodes every whole group of 4. */
	add(characters: string): void {
		if (!characters) return;
		const text = this.pending + characters;
		const whole = text.length - (text.length % 4);
		this.pending = text.slice(whole);
		for (let start = 0; start < whole; ) {
			if (!this.block || this.used === this.block.length) this.nextBlock();
			const block = this.block as Buffer;
			// Each group of 4 characters is 3 bytes; blocks and `used` stay multiples of 3.
			const take = Math.min(((block.length - this.used) / 3) * 4, whole - start);
			const piece = start === 0 && take === text.length ? text : text.slice(start, start + take);
			this.used += block.write(piece, this.used, 'base64');
			start += take;
		}
	}

	end(): Buffer {
		const characters = this.pending.length;
		const valid =
			(characters === 0 && this.padding === 0) ||
			(characters === 2 && (this.padding === 0 || this.padding === 2)) ||
			(characters === 3 && (this.padding === 0 || this.padding === 1));
		if (!valid) throw this.invalid();
		if (characters) {
			const tail = Buffer.from(this.pending, 'base64');
			if (!this.block || this.block.length - this.used < tail.length) this.nextBlock();
			this.used += tail.copy(this.block as Buffer, this.used);
		}
		if (!this.block) return Buffer.alloc(0);
		if (!this.blocks.length && this.used === this.block.length) return this.block;
		this.blocks.push(this.block.subarray(0, this.used));
		return Buffer.concat(this.blocks);
	}

	invalid(): Error {
		return new Error(`The image at ${describePath(this.path)} is not valid base64`);
	}

	private nextBlock(): void {
		if (this.block) this.blocks.push(this.block.subarray(0, this.used));
		const size = this.block ? Math.min(this.block.length * 2, MAX_BLOCK_BYTES) : FIRST_BLOCK_BYTES;
		this.block = Buffer.allocUnsafe(size);
		this.used = 0;
	}
}

/** `images[0]`, `a.b[2]`: a path as one would write it in an n8n expression. */
function describePath(path: JsonPath): string {
	if (!path.length) return 'the top level';
	return path
		.map((part, index) =>
			typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`,
		)
		.join('');
}

/** A JSON string token's value, or why it is not one. */
function parseStringToken(token: string): string | Error {
	try {
		return JSON.parse(token) as string;
	} catch (error) {
		return error as Error;
	}
}
