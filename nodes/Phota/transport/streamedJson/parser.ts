import { Base64Blob, readBlob, SCRATCH_BYTES } from './base64Blob';
import {
	BACKSLASH,
	CARRIAGE_RETURN,
	CLOSE_BRACE,
	CLOSE_BRACKET,
	COLON,
	COMMA,
	DIGIT_0,
	DIGIT_9,
	DONE,
	EXPECT_COLON,
	EXPECT_COMMA_OR_END,
	EXPECT_KEY,
	EXPECT_KEY_OR_OBJECT_END,
	EXPECT_VALUE,
	EXPECT_VALUE_OR_ARRAY_END,
	IN_BLOB,
	IN_LITERAL,
	IN_NUMBER,
	IN_STRING,
	JSON_NUMBER,
	LINE_FEED,
	LITERALS,
	MINUS,
	NOT_JSON,
	NUMBER_CHAR,
	OPEN_BRACE,
	OPEN_BRACKET,
	parseStringToken,
	QUOTE,
	SPACE,
	TAB,
	TRUNCATED,
	unexpectedByte,
} from './constants';
import type { FinishedBlob, Frame, ObjectFrame } from './frames';
import { addToFrame, pathOf, replaceLatest } from './frames';
import type { JsonPath } from './paths';

/** Parses one JSON answer fed in chunks (see parseJsonWithBase64Blobs in ../answer.ts). */
export class StreamingJsonParser {
	private state = EXPECT_VALUE;
	private readonly stack: Frame[] = [];
	private root: unknown;
	/** Bytes of the input before the current chunk (for error messages). */
	private offset = 0;

	// A string (non-blob) spanning chunks: its raw bytes so far, from the opening quote.
	private stringParts: Buffer[] = [];
	/** Set while the string is a key: the object it is a key of. */
	private keyOf: ObjectFrame | undefined;
	private stringEscaped = false;

	private blob: Base64Blob | undefined;
	private readonly finishedBlobs: FinishedBlob[] = [];
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

	/** The first blob read whole and not taken yet (blobs are taken in the order they ended). */
	takeFinishedBlob(): FinishedBlob | undefined {
		return this.finishedBlobs.shift();
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
				if (byte === CLOSE_BRACKET) return this.closeContainer(bytes, position);
				return this.startValue(bytes, position);
			case EXPECT_VALUE:
				return this.startValue(bytes, position);
			case EXPECT_KEY_OR_OBJECT_END:
				if (byte === CLOSE_BRACE) return this.closeContainer(bytes, position);
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
					this.state = top.kind === 'array' ? EXPECT_VALUE : EXPECT_KEY;
					return position + 1;
				}
				if (byte === (top.kind === 'array' ? CLOSE_BRACKET : CLOSE_BRACE)) {
					return this.closeContainer(bytes, position);
				}
				throw this.unexpected(bytes, position);
			}
			default:
				throw this.unexpected(bytes, position);
		}
	}

	private startKey(bytes: Buffer, position: number): number {
		const top = this.stack[this.stack.length - 1];
		// The EXPECT_KEY states come only inside an object: the kind check is for the compiler.
		if (bytes[position] !== QUOTE || top.kind !== 'object') throw this.unexpected(bytes, position);
		this.keyOf = top;
		this.state = IN_STRING;
		return this.readString(bytes, position + 1, position);
	}

	private startValue(bytes: Buffer, position: number): number {
		const byte = bytes[position];
		if (byte === QUOTE) {
			const path = pathOf(this.stack);
			if (this.isBlobPath(path)) {
				this.blob = new Base64Blob(path);
				this.state = IN_BLOB;
				return position + 1;
			}
			this.state = IN_STRING;
			return this.readString(bytes, position + 1, position);
		}
		if (byte === OPEN_BRACE) {
			this.stack.push({ kind: 'object', value: {}, key: '' });
			this.state = EXPECT_KEY_OR_OBJECT_END;
			return position + 1;
		}
		if (byte === OPEN_BRACKET) {
			this.stack.push({ kind: 'array', value: [] });
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
		if (this.keyOf) {
			this.keyOf.key = parsed;
			this.keyOf = undefined;
			this.state = EXPECT_COLON;
		} else {
			this.completeValue(parsed);
		}
		return scan + 1;
	}

	/** Reads a string at a blob path (base64Blob.ts); completes the value at its closing quote. */
	private readBlob(bytes: Buffer, position: number): number {
		// startValue sets the blob with the IN_BLOB state: this check is for the compiler.
		const blob = this.blob;
		if (!blob) throw new Error('The streamed JSON parser is in a blob string without one');
		const next = readBlob(blob, this.scratch, bytes, position, this.offset);
		if (blob.closed) {
			// Completed like any value, and listed for takeFinishedBlob with where it sits.
			this.blob = undefined;
			const top = this.stack[this.stack.length - 1];
			const bytes = blob.end();
			this.completeValue(bytes);
			const setRoot = (value: unknown) => (this.root = value);
			const replaceWith = top ? replaceLatest(top) : setRoot;
			this.finishedBlobs.push({ path: blob.path, bytes, replaceWith });
		}
		return next;
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

	private closeContainer(bytes: Buffer, position: number): number {
		const frame = this.stack.pop();
		if (!frame) throw this.unexpected(bytes, position);
		this.completeValue(frame.value);
		return position + 1;
	}

	private completeValue(value: unknown): void {
		const top = this.stack[this.stack.length - 1];
		if (!top) {
			this.root = value;
			this.state = DONE;
			return;
		}
		addToFrame(top, value);
		this.state = EXPECT_COMMA_OR_END;
	}

	private unexpected(bytes: Buffer, position: number): Error {
		return unexpectedByte(bytes, position, this.offset);
	}
}
