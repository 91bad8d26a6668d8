/**
 * Sync image answers are parsed as they stream in, with the base64 images decoded on the fly
 * (bounded memory for 4K images). Only strings at `images[i]` become Buffers; everything else must
 * equal JSON.parse of the whole answer, whatever the chunking.
 *
 * The property test is seeded: a failure prints its seed; rerun it alone with
 * STREAMED_JSON_SEED=<seed> STREAMED_JSON_RUNS=1 npx jest test/unit/streamedJson.test.ts
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

import type { BlobToStore } from '../../nodes/Phota/transport';
import { parseJsonWithBase64Blobs } from '../../nodes/Phota/transport/answer';

const TRUNCATED = 'The answer ended early (truncated JSON)';
const NOT_JSON = 'The answer is not valid JSON';

// ---------------------------------------------------------------------------------------------
// Helpers

/** mulberry32: a small seeded PRNG, so every generated case can be replayed from its seed. */
function prng(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

type Random = () => number;
const int = (random: Random, min: number, max: number) =>
	min + Math.floor(random() * (max - min + 1));
const pick = <T>(random: Random, items: readonly T[]): T => items[int(random, 0, items.length - 1)];
const chance = (random: Random, probability: number) => random() < probability;

type Chunk = Buffer | string | Uint8Array;

async function* yieldAll(chunks: readonly Chunk[]): AsyncGenerator<Chunk> {
	for (const chunk of chunks) yield chunk;
}

function fixedChunks(text: string | Buffer, size: number): Buffer[] {
	const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
	const chunks: Buffer[] = [];
	for (let start = 0; start < bytes.length; start += size) {
		chunks.push(bytes.subarray(start, start + size));
	}
	return chunks;
}

/** A store that reads what it is given to the end: the image's bytes, streamed or not. */
async function readWhole({ data }: BlobToStore): Promise<Buffer> {
	if (Buffer.isBuffer(data)) return data;
	const pieces: Buffer[] = [];
	for await (const piece of data) pieces.push(Buffer.from(piece));
	return Buffer.concat(pieces);
}

function parse(text: string | Buffer, chunkSize = 1000): Promise<unknown> {
	return parseJsonWithBase64Blobs(yieldAll(fixedChunks(text, chunkSize)));
}

/** The message a parse rejects with (fails the test if it resolves). */
async function errorOf(text: string | Buffer, chunkSize = 1000): Promise<string> {
	try {
		await parse(text, chunkSize);
	} catch (error) {
		return (error as Error).message;
	}
	throw new Error(`parsed without error: ${String(text).slice(0, 200)}`);
}

/**
 * Splits bytes at random points, in one of several ways: 1-byte chunks, many small chunks, a few
 * large ones. Chunks arrive as Buffers, as plain Uint8Arrays (views into a larger ArrayBuffer) or,
 * when they are whole UTF-8, as strings.
 */
function randomChunks(random: Random, bytes: Buffer): Chunk[] {
	const mode = int(random, 0, 3);
	const cuts: number[] = [];
	if (mode === 0) {
		for (let at = 1; at < bytes.length; at++) cuts.push(at);
	} else if (mode === 1) {
		for (let at = int(random, 1, 16); at < bytes.length; at += int(random, 1, 16)) cuts.push(at);
	} else if (mode === 2) {
		for (let count = int(random, 1, 12); count > 0; count--)
			cuts.push(int(random, 1, bytes.length));
	}
	cuts.sort((a, b) => a - b);
	const chunks: Chunk[] = [];
	let start = 0;
	for (const at of [...cuts, bytes.length]) {
		if (at <= start) continue;
		const piece = bytes.subarray(start, at);
		start = at;
		const form = int(random, 0, 5);
		if (form === 0) {
			const padded = new Uint8Array(piece.length + 8);
			padded.set(piece, 3);
			chunks.push(new Uint8Array(padded.buffer, 3, piece.length));
		} else if (form === 1 && Buffer.from(piece.toString('utf8'), 'utf8').equals(piece)) {
			chunks.push(piece.toString('utf8'));
		} else {
			chunks.push(Buffer.from(piece));
		}
	}
	return chunks;
}

// ---------------------------------------------------------------------------------------------
// Random JSON documents, written out with random (valid) escapes and whitespace

type Doc =
	| { kind: 'literal'; text: string }
	| { kind: 'string'; value: string }
	| { kind: 'array'; items: Doc[] }
	| { kind: 'object'; entries: Array<[string, Doc]> }
	| { kind: 'base64'; bytes: Buffer; style: Base64Style };

interface Base64Style {
	slashEscape: boolean;
	/** Characters per line (0: one line), and the JSON text of the line break. */
	lineLength: number;
	lineBreak: string;
	unicodeEscapes: boolean;
	stripPadding: boolean;
	spaces: boolean;
}

const STRING_PIECES = [
	'a',
	'Z',
	' ',
	'word ',
	'"',
	'\\',
	'/',
	'\\n',
	'\n',
	'\r',
	'\t',
	'\b',
	'\f',
	'\u0000',
	'\u001f',
	'\u007f',
	'é',
	'ünïcödé',
	'✓',
	'€',
	'😀',
	'👩‍👩‍👧',
	'\ud800',
	'\udfff',
	'\u2028',
	'\ufeff',
	'\uffff',
	'A',
	'=',
	'+',
	'QUJD',
	'"images"',
	'\\u00e9',
];
const KEYS = ['a', 'b', 'id', 'note', 'x y', 'é', '😀', '', '"q"', 'back\\slash', '__proto__', '0'];
const NUMBERS = [
	'0',
	'-0',
	'1',
	'-1',
	'42',
	'3.14',
	'-2.5e-3',
	'1e5',
	'1E+5',
	'6.02E23',
	'1e400',
	'-1e-400',
	'123456789012345678901234567890',
	'0.1',
	'12.50',
	'9007199254740993',
];

function randomString(random: Random): string {
	if (chance(random, 0.05)) return 'A'.repeat(int(random, 1, 3000)) + ' then words';
	let text = '';
	for (let count = int(random, 0, 12); count > 0; count--) text += pick(random, STRING_PIECES);
	return text;
}

function randomValue(random: Random, depth: number, topLevel = false): Doc {
	const kind = int(random, 0, depth > 3 ? 3 : 6);
	if (kind === 0) return { kind: 'literal', text: pick(random, ['true', 'false', 'null']) };
	if (kind === 1) {
		const text = chance(random, 0.5)
			? pick(random, NUMBERS)
			: JSON.stringify((random() - 0.5) * 10 ** int(random, 0, 12));
		return { kind: 'literal', text };
	}
	if (kind <= 3) return { kind: 'string', value: randomString(random) };
	if (kind === 4) {
		const items: Doc[] = [];
		for (let count = int(random, 0, 5); count > 0; count--)
			items.push(randomValue(random, depth + 1));
		return { kind: 'array', items };
	}
	const entries: Array<[string, Doc]> = [];
	for (let count = int(random, 0, 5); count > 0; count--) {
		// "images" below the top level is an ordinary field: its strings stay strings.
		const key = chance(random, 0.1) && !topLevel ? 'images' : pick(random, KEYS);
		entries.push([key, randomValue(random, depth + 1)]);
	}
	return { kind: 'object', entries };
}

function randomImages(random: Random): Doc {
	const style: Base64Style = {
		slashEscape: chance(random, 0.3),
		lineLength: chance(random, 0.4) ? pick(random, [76, 64, 4, 1, int(random, 1, 100)]) : 0,
		lineBreak: pick(random, ['\\n', '\\r\\n', '\\u000a', '\\u000D', '\\t', ' ', '\\n\\n']),
		unicodeEscapes: chance(random, 0.15),
		stripPadding: chance(random, 0.2),
		spaces: chance(random, 0.1),
	};
	const items: Doc[] = [];
	for (let count = int(random, 0, 4); count > 0; count--) {
		if (chance(random, 0.1)) {
			// Not a string: stays what JSON.parse gives.
			const value = randomValue(random, 3);
			items.push(value.kind === 'string' ? { kind: 'literal', text: 'null' } : value);
			continue;
		}
		const size = chance(random, 0.1) ? int(random, 0, 3) : int(random, 0, 3000);
		items.push({ kind: 'base64', bytes: randomBytesFrom(random, size), style });
	}
	return { kind: 'array', items };
}

function randomBytesFrom(random: Random, size: number): Buffer {
	const bytes = Buffer.alloc(size);
	for (let index = 0; index < size; index++) bytes[index] = int(random, 0, 255);
	return bytes;
}

function randomDocument(random: Random): Doc {
	if (chance(random, 0.2)) return randomValue(random, 0, true);
	const entries: Array<[string, Doc]> = [];
	for (let count = int(random, 0, 4); count > 0; count--) {
		entries.push([pick(random, KEYS), randomValue(random, 1)]);
	}
	if (chance(random, 0.8)) {
		entries.splice(int(random, 0, entries.length), 0, ['images', randomImages(random)]);
	} else if (chance(random, 0.5)) {
		// A top-level "images" that is not an array: not a blob path.
		entries.push(['images', { kind: 'string', value: 'QUJD' }]);
	}
	return { kind: 'object', entries };
}

const SHORT_ESCAPES: Record<string, string> = {
	'"': '\\"',
	'\\': '\\\\',
	'\b': '\\b',
	'\f': '\\f',
	'\n': '\\n',
	'\r': '\\r',
	'\t': '\\t',
};

function unicodeEscape(random: Random, code: number): string {
	const hex = code.toString(16).padStart(4, '0');
	return `\\u${chance(random, 0.5) ? hex : hex.toUpperCase()}`;
}

/** A JSON string literal for `value`, choosing escapes at random (all valid JSON). */
function writeString(random: Random, value: string): string {
	let out = '"';
	for (let index = 0; index < value.length; index++) {
		const code = value.charCodeAt(index);
		const character = value[index];
		const isHigh = code >= 0xd800 && code <= 0xdbff;
		const next = value.charCodeAt(index + 1);
		if (isHigh && next >= 0xdc00 && next <= 0xdfff) {
			// A surrogate pair: raw (4 UTF-8 bytes) or as two \u escapes.
			out += chance(random, 0.5)
				? value.slice(index, index + 2)
				: unicodeEscape(random, code) + unicodeEscape(random, next);
			index++;
		} else if (code >= 0xd800 && code <= 0xdfff) {
			out += unicodeEscape(random, code); // a lone surrogate can only be escaped
		} else if (character in SHORT_ESCAPES || code < 0x20) {
			out +=
				character in SHORT_ESCAPES && chance(random, 0.7)
					? SHORT_ESCAPES[character]
					: unicodeEscape(random, code);
		} else if (character === '/' && chance(random, 0.5)) {
			out += '\\/';
		} else {
			out += chance(random, 0.1) ? unicodeEscape(random, code) : character;
		}
	}
	return `${out}"`;
}

function writeBase64(random: Random, bytes: Buffer, style: Base64Style): string {
	let base64 = bytes.toString('base64');
	if (style.stripPadding) base64 = base64.replace(/=+$/, '');
	let out = '"';
	for (let index = 0; index < base64.length; index++) {
		if (style.lineLength && index > 0 && index % style.lineLength === 0) out += style.lineBreak;
		if (style.spaces && chance(random, 0.05)) out += ' ';
		const character = base64[index];
		if (style.unicodeEscapes && chance(random, 0.05)) {
			out += unicodeEscape(random, character.charCodeAt(0));
		} else {
			out += character === '/' && style.slashEscape ? '\\/' : character;
		}
	}
	if (style.lineLength && base64.length && chance(random, 0.5)) out += style.lineBreak;
	return `${out}"`;
}

function space(random: Random): string {
	return chance(random, 0.7) ? '' : pick(random, [' ', '\n', '\t', '\r\n', '  ']);
}

function write(random: Random, doc: Doc): string {
	switch (doc.kind) {
		case 'literal':
			return doc.text;
		case 'string':
			return writeString(random, doc.value);
		case 'base64':
			return writeBase64(random, doc.bytes, doc.style);
		case 'array':
			return `[${space(random)}${doc.items
				.map((item) => write(random, item) + space(random))
				.join(`,${space(random)}`)}]`;
		case 'object':
			return `{${space(random)}${doc.entries
				.map(
					([key, value]) =>
						`${writeString(random, key)}${space(random)}:${space(random)}${write(random, value)}${space(random)}`,
				)
				.join(`,${space(random)}`)}}`;
	}
}

/** JSON.parse of the whole text, with the strings at top-level images[i] decoded as expected. */
function expectedFor(text: string, doc: Doc): unknown {
	const expected = JSON.parse(text) as unknown;
	if (!expected || typeof expected !== 'object' || Array.isArray(expected)) return expected;
	const images = (expected as { images?: unknown }).images;
	if (!Array.isArray(images)) return expected;
	images.forEach((entry, index) => {
		if (typeof entry === 'string') {
			images[index] = Buffer.from(entry.replace(/[ \t\r\n]/g, ''), 'base64');
		}
	});
	// The generated bytes are what comes out (a check on the expectation itself).
	const generated =
		doc.kind === 'object' ? doc.entries.find(([key]) => key === 'images') : undefined;
	if (generated?.[1].kind === 'array') {
		generated[1].items.forEach((item, index) => {
			if (item.kind === 'base64') expect(images[index]).toStrictEqual(item.bytes);
		});
	}
	return expected;
}

// ---------------------------------------------------------------------------------------------

describe('parseJsonWithBase64Blobs: property test against JSON.parse', () => {
	const baseSeed = Number(process.env.STREAMED_JSON_SEED ?? 20_240_611);
	const runs = Number(process.env.STREAMED_JSON_RUNS ?? 300);

	test(`${runs} random documents, random chunking (base seed ${baseSeed})`, async () => {
		for (let run = 0; run < runs; run++) {
			const seed = baseSeed + run;
			const random = prng(seed);
			const doc = randomDocument(random);
			const text = space(random) + write(random, doc) + space(random);
			const bytes = Buffer.from(text, 'utf8');
			const chunkings = [randomChunks(random, bytes), randomChunks(random, bytes)];
			try {
				const expected = expectedFor(text, doc);
				for (const chunks of chunkings) {
					// Images gathered into Buffers, and streamed to a store (from a Node stream).
					expect(await parseJsonWithBase64Blobs(yieldAll(chunks))).toStrictEqual(expected);
					const streamed = await parseJsonWithBase64Blobs(Readable.from(chunks), {
						storeBlob: readWhole,
					});
					expect(streamed).toStrictEqual(expected);
				}
			} catch (error) {
				const message = (error as Error).message;
				throw new Error(
					`Failed for seed ${seed} (rerun: STREAMED_JSON_SEED=${seed} STREAMED_JSON_RUNS=1)\n` +
						`document: ${text.length > 400 ? `${text.slice(0, 400)}…` : text}\n${message}`,
				);
			}
		}
	});
});

describe('parseJsonWithBase64Blobs', () => {
	const image = randomBytes(100_000);
	const smallImage = randomBytes(900);
	const answer = {
		known_subjects: { counts: { prof_a: 1 }, note: 'quote " backslash \\ slash / ünïcödé ✓ 😀' },
		images: [image.toString('base64'), smallImage.toString('base64'), ''],
		download_urls: [],
		long_text: 'not base64! '.repeat(10_000),
	};

	test.each([1, 7, 4096, 65_536, 10_000_000])(
		'chunks of %i bytes: images become Buffers, everything else equals JSON.parse',
		async (chunkSize) => {
			const parsed = await parse(JSON.stringify(answer), chunkSize);
			expect(parsed).toStrictEqual({
				...answer,
				images: [image, smallImage, Buffer.alloc(0)],
			});
		},
	);

	test('reads a Node Readable, as the transport passes it', async () => {
		const text = JSON.stringify(answer);
		const parsed = (await parseJsonWithBase64Blobs(Readable.from(fixedChunks(text, 16_384)))) as {
			images: Buffer[];
		};
		expect(parsed.images[0].equals(image)).toBe(true);
	});

	test('regression: a 70 KB run of "A" followed by words, outside images, stays a string', async () => {
		const text = `${'A'.repeat(70_000)} and then ordinary words`;
		const json = JSON.stringify({ caption: text, images: [] });
		for (const chunkSize of [1000, 70_000, 1_000_000]) {
			expect(await parse(json, chunkSize)).toStrictEqual({ caption: text, images: [] });
		}
	});

	test('regression: base64 wrapped with JSON \\n line breaks (MIME) decodes to exactly its bytes', async () => {
		const bytes = randomBytes(60_000);
		const wrapped = bytes.toString('base64').replace(/.{76}/g, '$&\n');
		const json = JSON.stringify({ images: [wrapped] });
		expect(json).toContain('\\n');
		for (const chunkSize of [1, 1000, 65_536]) {
			const parsed = (await parse(json, chunkSize)) as { images: Buffer[] };
			expect(parsed.images[0].length).toBe(60_000);
			expect(parsed.images[0].equals(bytes)).toBe(true);
		}
	});

	test('base64 with \\r\\n, \\u000a and \\/ escapes, split inside the escapes', async () => {
		const bytes = randomBytes(3000);
		const base64 = bytes.toString('base64');
		const variants = [
			base64.replace(/.{64}/g, '$&\\r\\n'),
			base64.replace(/.{76}/g, '$&\\u000a'),
			base64.replace(/.{76}/g, '$&\\u000D\\u000A'),
			base64.replace(/\//g, '\\/'),
			base64.replace(/\//g, '\\u002f').replace(/\+/g, '\\u002B'),
		];
		for (const variant of variants) {
			const json = `{"images":["${variant}"]}`;
			for (const chunkSize of [1, 2, 3, 5, 77]) {
				const parsed = (await parse(json, chunkSize)) as { images: Buffer[] };
				expect(parsed.images[0].equals(bytes)).toBe(true);
			}
		}
	});

	test('strings at images[i] are always Buffers, whatever their length; nothing else is', async () => {
		const json = JSON.stringify({
			images: ['', 'QQ==', 'QUI', 'QUJD', 7, { nested: 'QUJD' }, ['QUJD'], null],
			other: { images: ['QUJD'] },
			list: [{ images: ['QUJD'] }],
		});
		expect(await parse(json, 1)).toStrictEqual({
			images: [
				Buffer.alloc(0),
				Buffer.from('A'),
				Buffer.from('AB'),
				Buffer.from('ABC'),
				7,
				{ nested: 'QUJD' },
				['QUJD'],
				null,
			],
			other: { images: ['QUJD'] },
			list: [{ images: ['QUJD'] }],
		});
		expect(await parse('{"images":"QUJD"}')).toStrictEqual({ images: 'QUJD' });
		expect(await parse('[{"images":["QUJD"]}]')).toStrictEqual([{ images: ['QUJD'] }]);
	});

	test('a repeated top-level "images" key: the last one counts, as in JSON.parse, with its own images', async () => {
		const text = '{"images":["QUJD","QUJD"],"x":1,"images":[7,"QQ=="]}';
		for (const chunkSize of [1, 1000]) {
			expect(await parse(text, chunkSize)).toStrictEqual({ images: [7, Buffer.from('A')], x: 1 });
		}
	});

	test('top-level scalars, trailing whitespace and "__proto__" keys behave as in JSON.parse', async () => {
		for (const text of [
			'42',
			' -0 ',
			'1e400',
			'"x\\u00e9\\ud83d\\ude00"',
			'null\n',
			'true',
			'[]',
			'{}',
			' [ 1 , [ ] , { } ] \r\n\t',
			'{"__proto__":{"polluted":true},"a":1,"a":2}',
		]) {
			for (const chunkSize of [1, 1000]) {
				expect(await parse(text, chunkSize)).toStrictEqual(JSON.parse(text));
			}
		}
		const parsed = (await parse('{"__proto__":{"polluted":true}}')) as object;
		expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
		expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
	});

	describe('errors', () => {
		test('a truncated answer, cut anywhere, is rejected with the truncation message', async () => {
			const text = JSON.stringify({
				a: [1, -2.5e3, true, false, null, 'x"\\é😀'],
				images: [randomBytes(200).toString('base64'), 'QQ=='],
			});
			for (let length = 0; length < text.length; length++) {
				const cut = text.slice(0, length);
				for (const chunkSize of [1, 7, 10_000]) {
					expect(`${length}: ${await errorOf(cut, chunkSize)}`).toBe(`${length}: ${TRUNCATED}`);
				}
			}
			expect(await errorOf('   ')).toBe(TRUNCATED);
			expect(await errorOf('[1, 2')).toBe(TRUNCATED);
			expect(await errorOf('[nul')).toBe(TRUNCATED);
			expect(await errorOf('{"images":["QUJD\\u00')).toBe(TRUNCATED);
		});

		test('invalid JSON is rejected as not valid JSON', async () => {
			const invalid = [
				'{"a":1,}',
				'{"a" 1}',
				'{"a":1 "b":2}',
				'[1 2]',
				'[1,]',
				'[,1]',
				'{,}',
				'{a:1}',
				"{'a':1}",
				'tru e',
				'nulll',
				'{"a":01}',
				'{"a":1.}',
				'{"a":-}',
				'{"a":+1}',
				'{"a":.5}',
				'{"a":1e}',
				'"\\x"',
				'"\\u12G4"',
				'"tab\there"',
				'"line\nbreak"',
				'{} x',
				'{}}',
				'1 2',
				']',
				'\ufeff{}',
				'{"images":["QUJD\nQUJD"]}',
				'{"images":["QUJD\\x"]}',
				'{"images":["QU\\u00G0"]}',
				'{"images":["QUJD"}',
				'{"images" ["QUJD"]}',
			];
			for (const text of invalid) {
				expect(() => JSON.parse(text)).toThrow(); // the cases really are invalid
				for (const chunkSize of [1, 1000]) {
					const message = await errorOf(text, chunkSize);
					expect(`${text} -> ${message}`).toMatch(/ -> The answer is not valid JSON: /);
					expect(message.startsWith(NOT_JSON)).toBe(true);
				}
			}
		});

		test('an image that is not base64 is rejected, naming the image', async () => {
			const good = randomBytes(300).toString('base64');
			const invalid = [
				'QU*D',
				'QUJD!',
				'QUJDé',
				'QUJD\\"',
				'QUJD\\\\',
				'QUJD\\b',
				'QUJD\\f',
				'QUJD\\u0000',
				'QUJD\\u00e9',
				'QUJD\\ud83d\\ude00',
				'QQ==QUJD',
				'QQ==\\/',
				'QUJDR',
				'QQ=',
				'QUI==',
				'====',
				'QUJD=',
				'-_-_',
			];
			for (const bad of invalid) {
				const json = `{"images":["${good}","${good}${bad}"]}`;
				for (const chunkSize of [1, 5, 1000]) {
					expect(`${bad} -> ${await errorOf(json, chunkSize)}`).toBe(
						`${bad} -> The image at images[1] is not valid base64`,
					);
				}
			}
		});

		test('the alphabet is checked in every chunk, not only the first', async () => {
			const base64 = randomBytes(300_000).toString('base64');
			const json = `{"images":["${base64.slice(0, 350_000)}#${base64.slice(350_000)}"]}`;
			expect(await errorOf(json, 65_536)).toBe('The image at images[0] is not valid base64');
		});
	});
});

describe('parseJsonWithBase64Blobs with storeBlob', () => {
	test('each image is handed over as soon as its string ends, before the next chunk is read, and replaced by what the store returns', async () => {
		const images = ['first image', 'second image', 'third'].map((text) => Buffer.from(text));
		const answer = `{"images":[${images.map((image) => `"${image.toString('base64')}"`).join(',')}],"note":"${Buffer.from('not an image').toString('base64')}"}`;
		const chunks = fixedChunks(answer, 7);
		const events: string[] = [];
		async function* stream() {
			for (const [index, chunk] of chunks.entries()) {
				events.push(`chunk ${index}`);
				yield chunk;
			}
		}
		const parsed = await parseJsonWithBase64Blobs(stream(), {
			storeBlob: async (image, path) => {
				events.push(`store ${path.join('.')}: ${(await readWhole(image)).toString()}`);
				return { stored: path[1] };
			},
		});

		expect(parsed).toStrictEqual({
			images: [{ stored: 0 }, { stored: 1 }, { stored: 2 }],
			note: Buffer.from('not an image').toString('base64'),
		});
		const stores = events.filter((event) => event.startsWith('store'));
		expect(stores).toEqual([
			'store images.0: first image',
			'store images.1: second image',
			'store images.2: third',
		]);
		// Each store comes right after the chunk that ended its string, before the next one is read.
		for (const [index, image] of images.entries()) {
			const end = answer.indexOf('"', answer.indexOf(image.toString('base64')));
			const chunkIndex = Math.floor(end / 7);
			expect(events.indexOf(`chunk ${chunkIndex + 1}`)).toBeGreaterThan(
				events.indexOf(stores[index]),
			);
			expect(events.indexOf(`chunk ${chunkIndex}`)).toBeLessThan(events.indexOf(stores[index]));
		}
	});

	test('images in one chunk are stored one by one, each before the next is read', async () => {
		// The second image is not base64: it fails only once read, after the first is stored.
		const answer = `{"images":["${Buffer.from('first image').toString('base64')}","n*t base64"]}`;
		const stored: string[] = [];
		await expect(
			parseJsonWithBase64Blobs([Buffer.from(answer)], {
				storeBlob: async (image) => {
					stored.push((await readWhole(image)).toString());
					return 'stored';
				},
			}),
		).rejects.toThrow('The image at images[1] is not valid base64');
		expect(stored).toEqual(['first image']);
	});

	test('a failed store fails the parse, and nothing after it is read', async () => {
		const answer = `{"images":["${Buffer.from('one').toString('base64')}","${Buffer.from('two').toString('base64')}"]}`;
		const stored: string[] = [];
		await expect(
			parseJsonWithBase64Blobs(yieldAll(fixedChunks(answer, 4)), {
				storeBlob: async (image) => {
					stored.push((await readWhole(image)).toString());
					throw new Error('disk full');
				},
			}),
		).rejects.toThrow('disk full');
		expect(stored).toEqual(['one']);
	});
});

describe('parseJsonWithBase64Blobs streaming images to the store (from a Node stream)', () => {
	const ANSWER_CHUNK = 64 * 1024;

	/** An answer with one image of `imageBytes` random bytes (a PNG signature first), in 64 KB chunks. */
	function answerWithImage(imageBytes: number) {
		const image = randomBytes(imageBytes);
		Buffer.from('89504e470d0a1a0a', 'hex').copy(image);
		const answer = Buffer.from(`{"images":["${image.toString('base64')}"],"note":"after"}`);
		return { image, chunks: fixedChunks(answer, ANSWER_CHUNK) };
	}

	test("an image's pieces reach the store while its string still arrives, its first bytes with the first", async () => {
		const { image, chunks } = answerWithImage(4 * 1024 * 1024);
		let chunksRead = 0;
		// One chunk read ahead at most, so that chunksRead is what the parser has read.
		const source = Readable.from(
			(function* () {
				for (const chunk of chunks) {
					chunksRead++;
					yield chunk;
				}
			})(),
			{ highWaterMark: 1 },
		);
		const chunksReadAtEachPiece: number[] = [];
		let head: Buffer | undefined;
		const parsed = await parseJsonWithBase64Blobs(source, {
			storeBlob: async (stored) => {
				head = stored.head;
				expect(Buffer.isBuffer(stored.data)).toBe(false);
				const pieces: Buffer[] = [];
				for await (const piece of stored.data) {
					chunksReadAtEachPiece.push(chunksRead);
					pieces.push(Buffer.from(piece));
				}
				return { bytes: Buffer.concat(pieces) };
			},
		});

		expect(parsed).toStrictEqual({ images: [{ bytes: image }], note: 'after' });
		expect(head?.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
		// The 5.3 MB of base64 arrive in 86 chunks, a piece (192 KB) in 4: the store takes the first
		// pieces while most of the image is still to come, and the rest as it comes.
		expect(chunksReadAtEachPiece[0]).toBeLessThan(chunks.length / 2);
		expect(new Set(chunksReadAtEachPiece).size).toBeGreaterThan(10);
	});

	test('the answer is read only a little ahead of a slow store', async () => {
		const { image, chunks } = answerWithImage(3 * 1024 * 1024);
		let chunksRead = 0;
		let bytesStored = 0;
		let mostDecodedAhead = 0;
		const source = Readable.from(
			(function* () {
				for (const chunk of chunks) {
					chunksRead++;
					// Base64 decodes to 3/4 of its length: what was decoded, less what the store took.
					const decoded = Math.min(image.length, ((chunksRead * ANSWER_CHUNK) / 4) * 3);
					mostDecodedAhead = Math.max(mostDecodedAhead, decoded - bytesStored);
					yield chunk;
				}
			})(),
			{ highWaterMark: 1 },
		);
		await parseJsonWithBase64Blobs(source, {
			storeBlob: async ({ data }) => {
				if (Buffer.isBuffer(data)) throw new Error('expected a stream');
				for await (const piece of data) {
					await new Promise((resolve) => setTimeout(resolve, 2));
					bytesStored += Buffer.from(piece).length;
				}
				return 'stored';
			},
		});

		expect(bytesStored).toBe(image.length);
		// At most 3 pieces of 192 KB waiting, one in the store's stream, one it reads and one being
		// decoded (1.1 MB when measured): not the 3 MB image, as when it was decoded whole first.
		expect(mostDecodedAhead).toBeLessThan(1.5 * 1024 * 1024);
	});

	test('an answer that ends inside an image fails, and so does the store of that image', async () => {
		const { chunks } = answerWithImage(1024 * 1024);
		let storeFailure: unknown;
		await expect(
			parseJsonWithBase64Blobs(Readable.from(chunks.slice(0, 10)), {
				storeBlob: async (stored) => {
					try {
						return await readWhole(stored);
					} catch (error) {
						storeFailure = error;
						return 'failed';
					}
				},
			}),
		).rejects.toThrow(TRUNCATED);
		// The store's stream errors (its file is then not complete), not just ends.
		await new Promise((resolve) => setImmediate(resolve));
		expect((storeFailure as Error | undefined)?.message).toBe(
			'the answer ended before this image did',
		);
	});

	test('a store that fails while the image streams in fails the parse', async () => {
		const { chunks } = answerWithImage(1024 * 1024);
		await expect(
			parseJsonWithBase64Blobs(Readable.from(chunks), {
				storeBlob: async ({ data }) => {
					if (Buffer.isBuffer(data)) throw new Error('expected a stream');
					for await (const piece of data) if (piece) break;
					throw new Error('disk full');
				},
			}),
		).rejects.toThrow('disk full');
	});
});
