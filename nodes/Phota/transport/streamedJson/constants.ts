/** Bytes and escape tables of the streamed JSON reader, and its error messages. */

export const TRUNCATED = 'The answer ended early (truncated JSON)';
export const NOT_JSON = 'The answer is not valid JSON';

// Bytes.
export const TAB = 0x09;
export const LINE_FEED = 0x0a;
export const CARRIAGE_RETURN = 0x0d;
export const SPACE = 0x20;
export const QUOTE = 0x22;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const EQUALS = 0x3d;
export const OPEN_BRACKET = 0x5b;
export const BACKSLASH = 0x5c;
export const CLOSE_BRACKET = 0x5d;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;

/** JSON's escapes by the byte after the backslash: what they stand for ('u' for \uXXXX). */
export const ESCAPES: Record<number, string> = {
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

export const HEX_DIGITS: Record<number, number> = {};
for (let digit = 0; digit < 16; digit++) {
	HEX_DIGITS[digit.toString(16).charCodeAt(0)] = digit;
	HEX_DIGITS[digit.toString(16).toUpperCase().charCodeAt(0)] = digit;
}

/** The error for a byte that cannot stand where it is; `offset` is where the chunk starts. */
export function unexpectedByte(bytes: Buffer, position: number, offset: number): Error {
	const byte = bytes[position];
	const shown =
		byte > SPACE && byte < 0x7f
			? `'${String.fromCharCode(byte)}'`
			: `byte 0x${byte.toString(16).padStart(2, '0')}`;
	return new Error(`${NOT_JSON}: unexpected ${shown} at byte ${offset + position}`);
}
