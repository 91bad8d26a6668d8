import type { INodeParameters } from 'n8n-workflow';

import { TEST_API_KEY, photoUrls, usePhotaEnvironment } from './harness/environment';
import type { FixtureItem } from './harness/testNodes';
import { chain, fixtureNode, photaNode } from './harness/workflow';
import { makePng } from './simulator';

const env = usePhotaEnvironment();

const noProfiles = { __rl: true, mode: 'id', value: '' };
const png = { base64: makePng('in').toString('base64'), fileName: 'in.png', mimeType: 'image/png' };
const pdf = {
	base64: Buffer.from('%PDF-1.4 not an image').toString('base64'),
	fileName: 'brief.pdf',
	mimeType: 'application/pdf',
};

interface BadInputCase {
	name: string;
	items: FixtureItem[];
	parameters: INodeParameters;
	/** Expected error message (substring) and the item it names. */
	message: RegExp;
	itemIndex: number;
}

const badInputs: BadInputCase[] = [
	{
		name: 'edit with no binary field and no URL',
		items: [{ json: {} }],
		parameters: {
			resource: 'image',
			operation: 'edit',
			binaryProperties: '',
			profiles: noProfiles,
			prompt: 'x',
		},
		message: /No input image/,
		itemIndex: 0,
	},
	{
		name: 'edit naming a binary field the item does not have',
		items: [{ json: {}, binary: { data: png } }, { json: {} }],
		parameters: { resource: 'image', operation: 'edit', profiles: noProfiles, prompt: 'x' },
		message: /Binary Fields: input item 1 has no binary field "data"/,
		itemIndex: 1,
	},
	{
		name: 'edit with a PDF instead of an image',
		items: [{ json: {}, binary: { data: pdf } }],
		parameters: { resource: 'image', operation: 'edit', profiles: noProfiles, prompt: 'x' },
		message: /not an image Phota accepts \(application\/pdf, brief\.pdf\)/,
		itemIndex: 0,
	},
	{
		name: 'edit with 11 images',
		items: [{ json: {}, binary: { data: png } }],
		parameters: {
			resource: 'image',
			operation: 'edit',
			imageUrls: photoUrls(10),
			profiles: noProfiles,
			prompt: 'x',
		},
		message: /Too many input images: 11/,
		itemIndex: 0,
	},
	{
		name: 'edit with a URL that is not http(s)',
		items: [{ json: {} }],
		parameters: {
			resource: 'image',
			operation: 'edit',
			binaryProperties: '',
			imageUrls: ['ftp://x.org/a.jpg'],
			profiles: noProfiles,
			prompt: 'x',
		},
		message: /Image URLs: "ftp:\/\/x.org\/a.jpg" is not an http\(s\) URL/,
		itemIndex: 0,
	},
	{
		name: 'generate with an empty prompt',
		items: [{ json: {} }, { json: {} }],
		parameters: {
			resource: 'image',
			operation: 'generate',
			profiles: noProfiles,
			prompt: '={{ $itemIndex === 1 ? "" : "a cat" }}',
		},
		message: /^Prompt is empty$/,
		itemIndex: 1,
	},
	{
		name: 'generate with a [[token]] that is not a profile id',
		items: [{ json: {} }],
		parameters: {
			resource: 'image',
			operation: 'generate',
			profiles: noProfiles,
			prompt: 'Photo of [[Ada Lovelace]]',
		},
		message: /Prompt token \[\[Ada Lovelace\]\] is not a profile ID/,
		itemIndex: 0,
	},
	{
		name: 'generate with [[profile_2]] but one profile chosen',
		items: [{ json: { profile_ids: ['prof_a'] } }],
		parameters: {
			resource: 'image',
			operation: 'generate',
			prompt: '[[profile]] and [[profile_2]]',
		},
		message: /Prompt uses \[\[profile_2\]\] but only 1 profile\(s\) are chosen/,
		itemIndex: 0,
	},
	{
		name: 'generate with 4K on Flux 2',
		items: [{ json: {} }],
		parameters: {
			resource: 'image',
			operation: 'generate',
			profiles: noProfiles,
			prompt: 'x',
			options: { baseModel: 'flux-2', resolution: '4K' },
		},
		message: /Resolution 4K is not available with the base model flux-2/,
		itemIndex: 0,
	},
	{
		name: 'generate with quality on Nano Banana 2',
		items: [{ json: {} }],
		parameters: {
			resource: 'image',
			operation: 'generate',
			profiles: noProfiles,
			prompt: 'x',
			options: { quality: 'high' },
		},
		message: /Quality only works with the GPT Image 2 base model/,
		itemIndex: 0,
	},
	{
		name: 'edit with an untyped binary that is not an image',
		items: [
			{
				json: {},
				binary: { data: { ...pdf, mimeType: 'application/octet-stream', fileName: 'blob' } },
			},
		],
		parameters: { resource: 'image', operation: 'edit', profiles: noProfiles, prompt: 'x' },
		message: /not an image Phota accepts \(application\/octet-stream, blob\)/,
		itemIndex: 0,
	},
	{
		name: 'generate with an http callback URL',
		items: [{ json: {} }],
		parameters: {
			resource: 'image',
			operation: 'generate',
			profiles: noProfiles,
			prompt: 'x',
			options: { async: true, callbackUrl: 'http://h.org/cb' },
		},
		message: /Callback URL must be an https:\/\/ URL/,
		itemIndex: 0,
	},
	{
		name: 'generate with 5 images',
		items: [{ json: {} }],
		parameters: {
			resource: 'image',
			operation: 'generate',
			profiles: noProfiles,
			prompt: 'x',
			options: { numberOfImages: 5 },
		},
		message: /Number of Images must be a whole number from 1 to 4/,
		itemIndex: 0,
	},
	{
		name: 'a profile id with spaces in profile_ids',
		items: [{ json: { profile_ids: ['prof a1'] } }],
		parameters: { resource: 'image', operation: 'generate', prompt: '[[profile]]' },
		message: /^"prof a1" in Profiles is not a Phota profile ID$/,
		itemIndex: 0,
	},
	{
		name: 'enhance from a URL that is a file path',
		items: [{ json: {} }],
		parameters: {
			resource: 'image',
			operation: 'enhance',
			imageSource: 'url',
			imageUrl: '/home/me/photo.jpg',
			profiles: noProfiles,
		},
		message: /Image URL: "\/home\/me\/photo.jpg" is not an http\(s\) URL/,
		itemIndex: 0,
	},
	{
		name: 'remix without the reference binary',
		items: [{ json: {}, binary: { data: png } }],
		parameters: {
			resource: 'image',
			operation: 'remix',
			profiles: noProfiles,
			referenceBinaryProperty: 'style',
		},
		message: /Reference Image Binary Field: input item 0 has no binary field "style"/,
		itemIndex: 0,
	},
	{
		name: 'create profile with a non-URL photo',
		items: [{ json: {} }],
		parameters: {
			resource: 'profile',
			operation: 'create',
			imageUrls: [...photoUrls(9), 'photo10.jpg'],
		},
		message: /Photo URL 10 is not an http\(s\) URL/,
		itemIndex: 0,
	},
	{
		name: 'create profile with a 129-character tag',
		items: [{ json: {} }],
		parameters: {
			resource: 'profile',
			operation: 'create',
			imageUrls: photoUrls(10),
			tag: 'x'.repeat(129),
		},
		message: /Tag is 129 characters long/,
		itemIndex: 0,
	},
	{
		name: 'create profile from all items when one item has no URL',
		items: [...photoUrls(9).map((url) => ({ json: { url } })), { json: {} }],
		parameters: { resource: 'profile', operation: 'create', imageSource: 'allItems' },
		message: /Input item 9 has no photo URL in the field "url"/,
		itemIndex: 9,
	},
	{
		name: 'job get without a job id',
		items: [{ json: {} }],
		parameters: { resource: 'job', operation: 'get' },
		message: /Job ID is empty/,
		itemIndex: 0,
	},
];

badInputs.push(
	{
		name: 'create profile whose 12 URLs hold only 9 distinct photos',
		items: [{ json: {} }],
		parameters: {
			resource: 'profile',
			operation: 'create',
			imageUrls: [...photoUrls(9), ...photoUrls(3)],
		},
		message: /standard tier needs 10–50 distinct photos, got 9/,
		itemIndex: 0,
	},
	{
		name: 'create profile from a list field the item does not have',
		items: [{ json: { photos: [] } }],
		parameters: { resource: 'profile', operation: 'create', imageSource: 'field' },
		message: /Input item 0 has no "image_urls" field with photo URLs/,
		itemIndex: 0,
	},
	{
		name: 'edit with an empty prompt',
		items: [{ json: {}, binary: { data: png } }],
		parameters: { resource: 'image', operation: 'edit', profiles: noProfiles, prompt: '  ' },
		message: /^Prompt is empty$/,
		itemIndex: 0,
	},
	{
		name: 'remix without the input binary',
		items: [{ json: {} }],
		parameters: {
			resource: 'image',
			operation: 'remix',
			profiles: noProfiles,
			referenceSource: 'url',
			referenceUrl: 'https://x.org/r.jpg',
		},
		message: /Input Image Binary Field: input item 0 has no binary field "data"/,
		itemIndex: 0,
	},
	{
		name: 'generate with [[profile]] but no profile chosen',
		items: [{ json: {} }],
		parameters: {
			resource: 'image',
			operation: 'generate',
			profiles: noProfiles,
			prompt: 'Portrait of [[profile]]',
		},
		message: /Prompt uses \[\[profile\]\] but no profile is chosen/,
		itemIndex: 0,
	},
);

describe('bad input is refused before any request, naming the field and the item', () => {
	test.each(badInputs.map((badInput) => [badInput.name, badInput] as const))(
		'%s',
		async (_name, badInput) => {
			const result = await env.runPhota(badInput.items, badInput.parameters);

			expect(result.status).toBe('error');
			expect(result.error?.name).toBe('NodeOperationError');
			expect(result.error?.message).toMatch(badInput.message);
			expect(
				(result.error as unknown as { context: { itemIndex?: number } }).context.itemIndex,
			).toBe(badInput.itemIndex);
			expect(env.sim.log.count()).toBe(0);
		},
	);
});

describe('API errors', () => {
	test("a Phota 400 becomes a NodeApiError with Phota's message, code, request id and status", async () => {
		const result = await env.runPhota([{ json: {} }], {
			resource: 'image',
			operation: 'generate',
			profiles: noProfiles,
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
				profiles: noProfiles,
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
				profiles: noProfiles,
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
			profiles: noProfiles,
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
