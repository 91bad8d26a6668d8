import { checkedBaseUrl } from '../../nodes/Phota/transport/credential';

describe('plain http:// only where it cannot leave this machine', () => {
	test.each([
		['http://localhost:8787/v1/phota', 'http://localhost:8787/v1/phota'],
		['http://127.0.0.1:8787/v1/phota/', 'http://127.0.0.1:8787/v1/phota'],
		['http://127.1.2.3/v1/phota', 'http://127.1.2.3/v1/phota'],
		['http://[::1]:8787/v1/phota', 'http://[::1]:8787/v1/phota'],
		// The URL parser writes the hexadecimal form of 127.0.0.1 as 127.0.0.1.
		['http://0x7f000001:8787/v1/phota', 'http://127.0.0.1:8787/v1/phota'],
		['https://proxy.example.com/phota', 'https://proxy.example.com/phota'],
	])('accepts %s', (raw, checked) => {
		expect(checkedBaseUrl(raw)).toBe(checked);
	});

	test.each([
		// Names a resolver may send elsewhere (a DNS search domain, a wildcard record).
		'http://sim.localhost:8787/v1/phota',
		'http://localhost.example.com/v1/phota',
		'http://127.0.0.1.nip.io/v1/phota',
		'http://api.example.com/v1/phota',
		'http://10.0.0.5/v1/phota',
		'http://[::ffff:7f00:1]/v1/phota',
	])('refuses %s, naming the risk', (raw) => {
		expect(() => checkedBaseUrl(raw)).toThrow(/would send your API key unencrypted/);
	});
});
