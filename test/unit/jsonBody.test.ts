import type { INode } from 'n8n-workflow';

import { ImageBytes, encodeJsonBody } from '../../nodes/Phota/transport/jsonBody';
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
	test('a body without images is sent as it is (n8n writes its JSON)', async () => {
		const body = { prompt: 'hello', images: ['https://example.org/a.png'] };
		expect(await encodeJsonBody.call(context, body, 0)).toBe(body);
		expect(await encodeJsonBody.call(context, undefined, 0)).toBeUndefined();
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
