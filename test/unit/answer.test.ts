/**
 * readAnswer: how one attempt's body is read, per the request's encoding, and what an error status
 * keeps of its body. Bodies come as n8n hands them over with `encoding: 'stream'` (a Readable).
 */
import { Readable } from 'node:stream';

import { readAnswer } from '../../nodes/Phota/transport/answer';
import { toBuffer } from '../../nodes/Phota/transport/bodyStreams';
import type { RawResponse } from '../../nodes/Phota/transport/types';

function raw(statusCode: number, body: unknown): RawResponse {
	return { statusCode, headers: {}, body };
}

const streamOf = (...chunks: Array<string | Buffer>) => Readable.from(chunks);

describe('readAnswer', () => {
	test('reads a JSON answer; an empty one is an empty object', async () => {
		const json = await readAnswer(raw(200, streamOf('{"a":', '[1,2]}')), {}, 'json');
		expect(json).toMatchObject({ kind: 'response', body: { a: [1, 2] } });
		const empty = await readAnswer(raw(204, streamOf(' \n')), {}, 'json');
		expect(empty).toMatchObject({ kind: 'response', body: {} });
	});

	test('an answer that is not JSON is unreadable, quoting its start', async () => {
		const answer = await readAnswer(raw(200, streamOf('<html>proxy</html>')), {}, 'json');
		expect(answer).toMatchObject({
			kind: 'unreadable',
			reason: new Error('the answer is not JSON: <html>proxy</html>'),
		});
	});

	test('decodes images from a streamed answer, and from a body already in memory', async () => {
		const text = '{"images":["QUJD"],"n":1}';
		for (const body of [streamOf(text.slice(0, 9), text.slice(9)), Buffer.from(text)]) {
			const answer = await readAnswer(raw(200, body), {}, 'jsonWithBlobs');
			expect(answer).toMatchObject({
				kind: 'response',
				body: { images: [Buffer.from('ABC')], n: 1 },
			});
		}
	});

	test('an error status keeps only the first bytes of its body', async () => {
		const big = 'x'.repeat(100 * 1024);
		const answer = await readAnswer(raw(502, streamOf(big)), {}, 'json');
		expect(answer.statusCode).toBe(502);
		expect(answer.kind === 'errorStatus' && answer.errorBody.length).toBe(64 * 1024);
	});

	test('an error body that cannot be read becomes an empty one, with why; the status still tells', async () => {
		const broken = new Readable({
			read() {
				this.destroy(new Error('socket hang up'));
			},
		});
		const answer = await readAnswer(raw(500, broken), {}, 'json');
		expect(answer).toMatchObject({
			kind: 'errorStatus',
			statusCode: 500,
			errorBody: Buffer.alloc(0),
			errorBodyUnread: new Error('socket hang up'),
		});
	});
});

describe('toBuffer', () => {
	test('wraps a view of a larger buffer without copying it', () => {
		const backing = new Uint8Array([0, 1, 2, 3, 4]);
		const wrapped = toBuffer(new Uint8Array(backing.buffer, 1, 3));
		expect([...wrapped]).toEqual([1, 2, 3]);
		backing[2] = 9;
		expect(wrapped[1]).toBe(9);
	});

	test('turns strings, ArrayBuffers, nothing and other values into bytes', () => {
		expect(toBuffer('é').toString('utf8')).toBe('é');
		expect([...toBuffer(new Uint8Array([7, 8]).buffer)]).toEqual([7, 8]);
		expect(toBuffer(undefined).length).toBe(0);
		expect(toBuffer(null).length).toBe(0);
		expect(toBuffer({ a: 1 }).toString()).toBe('{"a":1}');
	});
});
