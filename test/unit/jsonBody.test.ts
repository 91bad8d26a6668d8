import { Readable } from 'node:stream';

import type { INode } from 'n8n-workflow';

import {
	ImageBytes,
	StreamedJsonBody,
	encodeJsonBody,
	holdsImageBytes,
} from '../../nodes/Phota/transport/jsonBody';
import type { PhotaContext } from '../../nodes/Phota/transport/types';

const node = { name: 'Phota' } as INode;
const context = { getNode: () => node } as unknown as PhotaContext;

function image(bytes: Buffer, byteLength: number | 'unknown' = bytes.length) {
	let reads = 0;
	const imageBytes = new ImageBytes(
		async () => {
			reads++;
			return bytes;
		},
		byteLength === 'unknown' ? undefined : byteLength,
		'binary field "photo" of input item 0',
	);
	return { imageBytes, reads: () => reads };
}

function randomBytes(length: number, seed: number): Buffer {
	const bytes = Buffer.alloc(length);
	for (let index = 0; index < length; index++) bytes[index] = (index * 131 + seed * 17) % 256;
	return bytes;
}

describe('encodeJsonBody', () => {
	test('only a body with images needs encoding (any other goes as it is: n8n writes its JSON)', () => {
		expect(holdsImageBytes({ prompt: 'hello', images: ['https://example.org/a.png'] })).toBe(false);
		expect(holdsImageBytes(undefined)).toBe(false);
		const { imageBytes } = image(Buffer.from('png'));
		expect(holdsImageBytes({ prompt: 'hello', image: imageBytes })).toBe(true);
		expect(holdsImageBytes({ images: ['https://example.org/a.png', imageBytes] })).toBe(true);
	});

	test('the bytes are exactly JSON.stringify of the body with each image as its base64, for every size and place', async () => {
		// Sizes around the slice boundary (3 × 64 KB) and every remainder modulo 3.
		for (const size of [0, 1, 2, 3, 196_607, 196_608, 196_609, 600_001]) {
			const first = randomBytes(size, 1);
			const second = randomBytes(size + 1, 2);
			const body = {
				prompt: 'Put ünïcode ✓ "quotes" and @@phota-image-abc-0@@ in the prompt',
				images: [image(first).imageBytes, 'https://example.org/b.png', image(second).imageBytes],
				image: image(second, 'unknown').imageBytes,
				num_output_images: 2,
			};
			const encoded = await encodeJsonBody.call(context, body, 0);
			expect(Buffer.isBuffer(encoded)).toBe(true);
			expect((encoded as Buffer).toString('utf8')).toBe(
				JSON.stringify({
					...body,
					images: [
						first.toString('base64'),
						'https://example.org/b.png',
						second.toString('base64'),
					],
					image: second.toString('base64'),
				}),
			);
		}
	});

	test('an image whose size is known is read once; one of unknown size is read to measure it, then to write it', async () => {
		const known = image(randomBytes(10, 3));
		const unknown = image(randomBytes(10, 4), 'unknown');
		await encodeJsonBody.call(context, { images: [known.imageBytes, unknown.imageBytes] }, 0);
		expect(known.reads()).toBe(1);
		expect(unknown.reads()).toBe(2);
	});

	test('an image that is not the size its binary data says fails, naming it and the item', async () => {
		const wrong = image(randomBytes(10, 5), 12);
		await expect(
			encodeJsonBody.call(context, { image: wrong.imageBytes }, 3),
		).rejects.toMatchObject({
			message:
				'The input image binary field "photo" of input item 0 is 10 bytes, but its binary data says 12',
			context: { itemIndex: 3 },
		});
	});

	test('JSON.stringify of a body shows where an image comes from, never its bytes', () => {
		expect(JSON.stringify({ image: image(Buffer.from('secret')).imageBytes })).toBe(
			'{"image":"<image bytes of binary field \\"photo\\" of input item 0>"}',
		);
	});
});

/** An image as n8n's binary store gives it: a stream in chunks of `chunkBytes` (or odd sizes). */
function storedImage(bytes: Buffer, { oddChunks = false, byteLength = bytes.length } = {}) {
	const opened: Readable[] = [];
	let reads = 0;
	const imageBytes = new ImageBytes(
		async () => {
			reads++;
			return bytes;
		},
		byteLength,
		'binary field "photo" of input item 0',
		async (chunkBytes) => {
			const chunks: Buffer[] = [];
			for (let start = 0, step = 1; start < bytes.length; start += step) {
				step = oddChunks ? 1 + ((start * 7) % 9_001) : chunkBytes;
				chunks.push(bytes.subarray(start, start + step));
			}
			const stream = Readable.from(chunks, { objectMode: false });
			opened.push(stream);
			return stream;
		},
	);
	return { imageBytes, opened, reads: () => reads };
}

async function readStream(stream: AsyncIterable<unknown>): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
	return Buffer.concat(chunks).toString('utf8');
}

describe("encodeJsonBody with images in n8n's binary store (streamed)", () => {
	test('the stream is exactly JSON.stringify of the body, its length known up front, for every size, chunking and place', async () => {
		for (const size of [0, 1, 2, 3, 196_607, 196_608, 196_609, 600_001]) {
			for (const oddChunks of [false, true]) {
				const first = randomBytes(size, 1);
				const second = randomBytes(size + 1, 2);
				const inMemory = randomBytes(size + 2, 3);
				const body = {
					prompt: 'Put ünïcode ✓ "quotes" and @@phota-image-abc-0@@ in the prompt',
					images: [
						image(inMemory).imageBytes,
						storedImage(first, { oddChunks }).imageBytes,
						'https://example.org/b.png',
					],
					image: storedImage(second, { oddChunks }).imageBytes,
				};
				const encoded = await encodeJsonBody.call(context, body, 0);
				if (!(encoded instanceof StreamedJsonBody)) throw new Error('expected a streamed body');
				const expected = JSON.stringify({
					...body,
					images: [
						inMemory.toString('base64'),
						first.toString('base64'),
						'https://example.org/b.png',
					],
					image: second.toString('base64'),
				});
				expect(encoded.byteLength).toBe(Buffer.byteLength(expected));
				expect(await readStream(await encoded.open())).toBe(expected);
			}
		}
	});

	test('each attempt opens the body afresh and gets the same bytes; nothing is read before it is sent', async () => {
		const stored = storedImage(randomBytes(1_000, 4));
		const encoded = await encodeJsonBody.call(context, { image: stored.imageBytes }, 0);
		if (!(encoded instanceof StreamedJsonBody)) throw new Error('expected a streamed body');
		expect(stored.opened).toHaveLength(0);
		expect(stored.reads()).toBe(0);
		const once = await readStream(await encoded.open());
		expect(await readStream(await encoded.open())).toBe(once);
		expect(stored.opened).toHaveLength(2);
		expect(stored.reads()).toBe(0);
	});

	test('a body destroyed before its end (an early answer, a failure) closes the image streams it opened', async () => {
		const first = storedImage(randomBytes(600_000, 5));
		const second = storedImage(randomBytes(600_000, 6));
		const encoded = await encodeJsonBody.call(
			context,
			{ images: [first.imageBytes, second.imageBytes] },
			0,
		);
		if (!(encoded instanceof StreamedJsonBody)) throw new Error('expected a streamed body');
		const upload = await encoded.open();
		for await (const chunk of upload) {
			if (chunk) break;
		}
		await new Promise((resolve) => setImmediate(resolve));
		expect(first.opened[0].destroyed).toBe(true);
		// Destroyed before anything was read: the image opened with it is closed all the same.
		(await encoded.open()).destroy();
		await new Promise((resolve) => setImmediate(resolve));
		expect(first.opened[1].destroyed).toBe(true);
		// The second image was never reached, so never opened.
		expect(second.opened).toHaveLength(0);
	});

	test('a stored image that is not the size its binary data says fails the stream, naming it and the item', async () => {
		const wrong = storedImage(randomBytes(10, 7), { byteLength: 12 });
		const encoded = await encodeJsonBody.call(context, { image: wrong.imageBytes }, 3);
		if (!(encoded instanceof StreamedJsonBody)) throw new Error('expected a streamed body');
		await expect(readStream(await encoded.open())).rejects.toMatchObject({
			message:
				'The input image binary field "photo" of input item 0 is 10 bytes, but its binary data says 12',
			context: { itemIndex: 3 },
		});
	});
});
