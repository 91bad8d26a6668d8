/** Bytes, character tables and states of the streaming JSON parser, its error messages, and the value of a string token. */

export const TRUNCATED = 'The answer ended early (truncated JSON)';
export const NOT_JSON = 'The answer is not valid JSON';

// Bytes.
export const TAB = 0x09;
export const LINE_FEED = 0x0a;
export const CARRIAGE_RETURN = 0x0d;
export const SPACE = 0x20;
export const QUOTE = 0x22;
export const COMMA = 0x2c;
export const MINUS = 0x2d;
export const DIGIT_0 = 0x30;
export const DIGIT_9 = 0x39;
export const COLON = 0x3a;
export const EQUALS = 0x3d;
export const OPEN_BRACKET = 0x5b;
export const BACKSLASH = 0x5c;
export const CLOSE_BRACKET = 0x5d;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;

/** 1 for the characters a JSON number token is made of (validated once the token is complete). */
export const NUMBER_CHAR = new Uint8Array(256);
for (const character of '0123456789+-.eE') NUMBER_CHAR[character.charCodeAt(0)] = 1;
export const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

// What the parser expects next, outside of tokens.
export const EXPECT_VALUE = 0;
export const EXPECT_VALUE_OR_ARRAY_END = 1;
export const EXPECT_KEY = 2;
export const EXPECT_KEY_OR_OBJECT_END = 3;
export const EXPECT_COLON = 4;
export const EXPECT_COMMA_OR_END = 5;
export const DONE = 6;
// Inside a token.
export const IN_STRING = 7;
export const IN_BLOB = 8;
export const IN_NUMBER = 9;
export const IN_LITERAL = 10;

export const LITERALS: Record<number, [string, boolean | null]> = {
	0x74: ['true', true],
	0x66: ['false', false],
	0x6e: ['null', null],
};

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

/** A JSON string token's value, or why it is not one. */
export function parseStringToken(token: string): string | Error {
	try {
		return JSON.parse(token) as string;
	} catch (error) {
		// Returned, not thrown: the scanner's require-node-api-error rule forbids a plain Error here.
		return error as Error;
	}
}
