import { decodeBody } from '../../nodes/Phota/transport/errorWording';

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
