import { N8nHarness } from './harness/n8n';
import type { PhotaSimulator } from '../simulator';
import { startSimulator } from '../simulator';

const API_KEY = 'cred-test-key-3f9a';

let sim: PhotaSimulator;
let n8n: N8nHarness;

beforeAll(async () => {
	sim = await startSimulator({ apiKeys: [API_KEY] });
	n8n = await N8nHarness.start();
});

afterAll(async () => {
	await sim.close();
	await N8nHarness.shutdown();
});

beforeEach(() => sim.reset());

describe('Phota API credential', () => {
	test('is loaded by n8n with the Phota node', () => {
		expect(n8n.nodeTypeNames()).toContain('n8n-nodes-phota.phota');
		expect(n8n.types.credential('photaApi').displayName).toBe('Phota API');
	});

	test('"Test credential" succeeds with the right key, sending it as X-API-Key to GET /profiles/ids', async () => {
		const result = await n8n.testCredential('photaApi', { apiKey: API_KEY, baseUrl: sim.baseUrl });

		expect(result).toEqual({ status: 'OK', message: 'Connection successful!' });
		expect(sim.log.count('GET /profiles/ids')).toBe(1);
		expect(sim.log.entries[0].apiKeyValid).toBe(true);
	});

	test('"Test credential" fails with a clear message on a wrong key, without echoing the key', async () => {
		const wrongKey = 'wrong-key-77c1';
		const result = await n8n.testCredential('photaApi', { apiKey: wrongKey, baseUrl: sim.baseUrl });

		expect(result).toEqual({
			status: 'Error',
			message: 'Phota rejected the API key (401). Check that you copied the whole key.',
		});
		expect(sim.log.forRoute('GET /profiles/ids').every((entry) => entry.status === 401)).toBe(true);
	});

	test('"Test credential" fails when the key is empty (no X-API-Key header value)', async () => {
		const result = await n8n.testCredential('photaApi', { apiKey: '', baseUrl: sim.baseUrl });
		expect(result).toEqual({
			status: 'Error',
			message: 'Phota received no API key (403). Enter your key in the API Key field.',
		});
	});

	test('"Test credential" names a Base URL that is not the Phota API (404)', async () => {
		const result = await n8n.testCredential('photaApi', {
			apiKey: API_KEY,
			baseUrl: sim.baseUrl.replace('/v1/phota', '/v1'),
		});
		expect(result).toEqual({
			status: 'Error',
			message:
				'No Phota API at this Base URL (404). It should end in /v1/phota, e.g. https://api.photalabs.com/v1/phota.',
		});
	});

	test('"Test credential" fails on any other answer that is not the profile list (a proxy\'s error page)', async () => {
		sim.faults.add({ kind: 'html', status: 502 });
		const result = await n8n.testCredential('photaApi', { apiKey: API_KEY, baseUrl: sim.baseUrl });
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/^Phota did not answer with your profile list/);
	});

	test('a trailing slash on the Base URL is tolerated', async () => {
		const result = await n8n.testCredential('photaApi', {
			apiKey: API_KEY,
			baseUrl: `${sim.baseUrl}/`,
		});
		expect(result.status).toBe('OK');
	});

	test('an unreachable Base URL is reported, not hung on', async () => {
		const closed = await startSimulator();
		const deadUrl = closed.baseUrl;
		await closed.close();
		const result = await n8n.testCredential('photaApi', { apiKey: API_KEY, baseUrl: deadUrl });
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/ECONNREFUSED|connect|refused/i);
	});
});
