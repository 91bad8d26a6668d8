import { TEST_API_KEY, usePhotaEnvironment } from './harness/environment';
import { NO_PROFILES, chain, fixtureNode, photaNode, photoUrls } from './harness/workflow';

const env = usePhotaEnvironment();

describe('API errors', () => {
	test("a Phota 400 becomes a NodeApiError with Phota's message, code, request id and status", async () => {
		const result = await env.runPhota([{ json: {} }], {
			resource: 'image',
			operation: 'generate',
			profiles: NO_PROFILES,
			prompt: 'x __MODERATE__',
		});
		expect(result.error?.name).toBe('NodeApiError');
		expect(result.error?.message).toBe(
			'Phota rejected the request (400): The request was blocked by content moderation.',
		);
		expect(result.error?.description).toMatch(
			/Phota error code: CONTENT_MODERATION\. .*Request ID: req_/,
		);
		expect((result.error as unknown as { httpCode: string }).httpCode).toBe('400');
	});

	test('a wrong API key is a 401 NodeApiError that does not contain the key', async () => {
		const result = await env.n8n.run(
			chain(fixtureNode([{ json: {} }]), photaNode({ resource: 'profile', operation: 'getMany' })),
			{ credentials: { photaApi: { apiKey: 'leaked-key-123', baseUrl: env.sim.baseUrl } } },
		);
		expect(result.error?.message).toMatch(/rejected the API key \(401\)/);
		expect(JSON.stringify(result.run.data.resultData)).not.toContain('leaked-key-123');
		expect(JSON.stringify(result.run.data.resultData)).not.toContain(TEST_API_KEY);
	});

	test('Continue On Fail: a failed item becomes { error } and the other items complete', async () => {
		const result = await env.runPhota(
			[
				{ json: { prompt: 'a cat' } },
				{ json: { prompt: '__MODERATE__' } },
				{ json: { prompt: '' } },
				{ json: { prompt: 'a dog' } },
			],
			{
				resource: 'image',
				operation: 'generate',
				profiles: NO_PROFILES,
				prompt: '={{ $json.prompt }}',
			},
			{ continueOnFail: true },
		);
		expect(result.status).toBe('success');
		const items = result.output('Phota');
		expect(items.map((item) => item.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
			{ item: 2 },
			{ item: 3 },
		]);
		expect(items[0].binary?.data).toBeDefined();
		expect(items[1].json).toMatchObject({
			error: expect.stringMatching(/content moderation/),
			httpCode: '400',
		});
		expect(items[2].json).toMatchObject({ error: 'Prompt is empty' });
		expect(items[3].binary?.data).toBeDefined();
		expect(env.sim.log.count('POST /generate')).toBe(3);
	});

	test('"Continue (using error output)" routes failed items to the error output', async () => {
		const result = await env.runPhota(
			[{ json: { prompt: 'a cat' } }, { json: { prompt: '__MODERATE__' } }],
			{
				resource: 'image',
				operation: 'generate',
				profiles: NO_PROFILES,
				prompt: '={{ $json.prompt }}',
			},
			{ onError: 'continueErrorOutput' },
		);
		expect(result.status).toBe('success');
		expect(result.output('Phota', 0)).toHaveLength(1);
		const [failed] = result.output('Phota', 1);
		expect(failed.json).toMatchObject({
			error: expect.stringMatching(/content moderation/),
			prompt: '__MODERATE__',
		});
		expect(failed.pairedItem).toEqual({ item: 1 });
	});

	test('429 with Retry-After is honoured and the request then succeeds', async () => {
		env.sim.faults.add({
			route: 'POST /generate',
			kind: 'status',
			status: 429,
			retryAfterSeconds: 1,
		});
		const started = Date.now();
		const result = await env.runPhota([{ json: {} }], {
			resource: 'image',
			operation: 'generate',
			profiles: NO_PROFILES,
			prompt: 'x',
		});
		expect(result.status).toBe('success');
		expect(env.sim.log.forRoute('POST /generate').map((entry) => entry.status)).toEqual([429, 200]);
		expect(Date.now() - started).toBeGreaterThanOrEqual(950);
	});

	test('a paid request is not resent after a dropped connection (it may have been processed)', async () => {
		env.sim.faults.add({ route: 'POST /profiles/add', kind: 'reset', afterProcessing: true });
		const result = await env.runPhota([{ json: {} }], {
			resource: 'profile',
			operation: 'create',
			imageUrls: photoUrls(10),
		});
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/Could not reach Phota/);
		expect(result.error?.description).toMatch(/may or may not have been processed/);
		expect(env.sim.log.count('POST /profiles/add')).toBe(1);
	});

	test('reads are retried after 503 and dropped connections', async () => {
		env.sim.faults.add({
			route: 'GET /profiles/ids',
			kind: 'status',
			status: 503,
			retryAfterSeconds: 0,
		});
		env.sim.faults.add({ route: 'GET /profiles/ids', kind: 'reset' });
		const result = await env.runPhota([{ json: {} }], {
			resource: 'profile',
			operation: 'getMany',
			options: { includeStatus: false },
		});
		expect(result.error?.message).toBeUndefined();
		expect(env.sim.log.count('GET /profiles/ids')).toBe(3);
	});
});
