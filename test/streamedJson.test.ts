/**
 * Sync image answers are parsed as they stream in, with large base64 images decoded on the fly
 * (bounded memory for 4K images). The result must equal JSON.parse, whatever the chunking.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

import { parseJsonWithBase64Blobs } from '../dist/nodes/Phota/transport/streamedJson';

function chunked(text: string, chunkSize: number): Readable {
	const bytes = Buffer.from(text, 'utf8');
	const chunks: Buffer[] = [];
	for (let start = 0; start < bytes.length; start += chunkSize) {
		chunks.push(bytes.subarray(start, start + chunkSize));
	}
	return Readable.from(chunks);
}

const image = randomBytes(100_000);
const smallImage = randomBytes(900);
const answer = {
	known_subjects: { counts: { prof_a: 1 }, note: 'quote " backslash \\ slash / ünïcödé ✓' },
	images: [image.toString('base64'), smallImage.toString('base64')],
	download_urls: [],
	long_text: 'not base64! '.repeat(10_000),
};

describe('parseJsonWithBase64Blobs', () => {
	test.each([1, 7, 4096, 65_536, 10_000_000])(
		'chunks of %i bytes: large base64 strings become Buffers, everything else equals JSON.parse',
		async (chunkSize) => {
			const parsed = (await parseJsonWithBase64Blobs(
				chunked(JSON.stringify(answer), chunkSize),
			)) as Omit<typeof answer, 'images'> & { images: unknown[] };

			expect(Buffer.isBuffer(parsed.images[0])).toBe(true);
			expect((parsed.images[0] as Buffer).equals(image)).toBe(true);
			// Small strings stay strings (base64 as Phota sent it).
			expect(parsed.images[1]).toBe(smallImage.toString('base64'));
			expect(parsed.known_subjects).toEqual(answer.known_subjects);
			expect(parsed.long_text).toBe(answer.long_text);
			expect(parsed.download_urls).toEqual([]);
		},
	);

	test('JSON-escaped slashes inside base64 ("\\/") are decoded correctly across chunk borders', async () => {
		const escaped = JSON.stringify({ images: [image.toString('base64')] }).replace(/\//g, '\\/');
		for (const chunkSize of [1, 3, 5000]) {
			const parsed = (await parseJsonWithBase64Blobs(chunked(escaped, chunkSize))) as {
				images: Buffer[];
			};
			expect(parsed.images[0].equals(image)).toBe(true);
		}
	});

	test('a truncated answer is an error, not a partial result', async () => {
		const text = JSON.stringify(answer);
		await expect(
			parseJsonWithBase64Blobs(chunked(text.slice(0, text.length / 2), 4096)),
		).rejects.toThrow(/ended in the middle of a string|JSON/);
	});
});
