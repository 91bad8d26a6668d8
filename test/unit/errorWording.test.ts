import type { INode } from 'n8n-workflow';

import { decodeBody } from '../../nodes/Phota/transport/errorWording';
import { photaHttpError } from '../../nodes/Phota/transport/errors';

describe('decodeBody', () => {
	test('gives an error body as JSON, or as its text when it is not JSON', () => {
		expect(decodeBody(Buffer.from('{"detail":"Not Found"}'))).toEqual({ detail: 'Not Found' });
		expect(decodeBody(Buffer.from('null'))).toBeNull();
		expect(decodeBody(Buffer.from('<html><title>Bad Gateway</title></html>'))).toBe(
			'<html><title>Bad Gateway</title></html>',
		);
		expect(decodeBody(Buffer.alloc(0))).toBe('');
	});
});

describe('photaHttpError', () => {
	const node: INode = {
		id: '1',
		name: 'Phota',
		type: 'n8n-nodes-phota.phota',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	};
	const request = { method: 'POST', endpoint: '/generate', deduplicated: false, itemIndex: 2 };

	test("quotes Phota's words, and says when the rest of its answer could not be read", () => {
		const error = photaHttpError(
			node,
			500,
			{
				errorBody: Buffer.from('{"detail":"boom","request_id":"req_1"}'),
				headers: {},
				errorBodyUnread: new Error('socket hang up'),
			},
			request,
		);
		expect(error.message).toContain('boom');
		expect(error.description).toContain('Request ID: req_1');
		expect(error.description).toContain(
			"The rest of Phota's answer could not be read (socket hang up).",
		);
		const whole = photaHttpError(node, 500, { errorBody: Buffer.from('{}'), headers: {} }, request);
		expect(whole.description).not.toContain('could not be read');
	});
});
