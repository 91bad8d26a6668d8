import jpeg from 'jpeg-js';
import type { INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { usePhotaEnvironment } from './harness/environment';
import {
	NO_PROFILES,
	byId,
	chain,
	createThenGenerate,
	fixtureNode,
	photaNode,
} from './harness/workflow';
import type { NodeOptions } from './harness/workflow';
import type { FixtureItem } from './harness/testNodes';
import { imageDimensions, makePng, sniffImage } from '../simulator';

const env = usePhotaEnvironment();

function photoItem(json: FixtureItem['json'] = {}, property = 'data'): FixtureItem {
	return {
		json,
		binary: {
			[property]: {
				base64: makePng('input').toString('base64'),
				fileName: 'in.png',
				mimeType: 'image/png',
			},
		},
	};
}

async function bytesOf(item: INodeExecutionData, property = 'data'): Promise<Buffer> {
	return await env.n8n.binaryBuffer(item.binary![property]);
}

/** A READY profile, then one Generate item chained on its profile_ids. */
async function generateWithProfile(prompt: string, options: INodeParameters) {
	const [id] = await env.readyProfiles(1, 'ada');
	const result = await env.runPhota([{ json: { profile_ids: [id] } }], {
		resource: 'image',
		operation: 'generate',
		prompt,
		options,
	});
	return { id, result };
}

describe('Phota → Image → Generate', () => {
	test('Create → Generate chains on profile_ids: [[profile]] becomes the id, one item per image', async () => {
		const [id] = await env.readyProfiles(1, 'ada');
		const result = await env.runPhota([{ json: { profile_ids: [id] } }], {
			resource: 'image',
			operation: 'generate',
			prompt: 'Studio headshot of [[profile]], grey backdrop',
			options: { numberOfImages: 3, aspectRatio: '3:4', resolution: '2K' },
		});

		expect(result.status).toBe('success');
		const items = result.output('Phota');
		expect(items).toHaveLength(3);
		const [request] = env.sim.log.forRoute('POST /generate');
		expect(request.body).toEqual({
			prompt: `Studio headshot of [[${id}]], grey backdrop`,
			num_output_images: 3,
			output_format: 'png',
			response_mode: 'bytes',
			base_model: 'nb2',
			resolution: '2K',
			aspect_ratio: '3:4',
		});
		for (const [index, item] of items.entries()) {
			expect(item.json).toMatchObject({
				operation: 'generate',
				profile_ids: [id],
				known_subjects: { [id]: 3 },
				image_number: index + 1,
				images_in_request: 3,
				mime_type: 'image/png',
				file_name: `phota-generate-1-${index + 1}.png`,
			});
			expect(item.pairedItem).toEqual({ item: 0 });
			expect(item.binary?.data).toMatchObject({ mimeType: 'image/png', fileExtension: 'png' });
			expect(sniffImage(await bytesOf(item))).toBe('png');
		}
		const distinct = new Set(
			await Promise.all(items.map(async (item) => (await bytesOf(item)).toString('base64'))),
		);
		expect(distinct.size).toBe(3);
	});

	test('JPEG output is a decodable JPEG with the jpg extension', async () => {
		const result = await env.runPhota([{ json: {} }], {
			resource: 'image',
			operation: 'generate',
			profiles: NO_PROFILES,
			prompt: 'A lighthouse at dusk',
			options: { outputFormat: 'jpg' },
		});
		const [item] = result.output('Phota');
		expect(item.json).toMatchObject({
			mime_type: 'image/jpeg',
			file_name: 'phota-generate-1-1.jpg',
			profile_ids: [],
		});
		expect(jpeg.decode(await bytesOf(item)).width).toBeGreaterThan(0);
	});

	test.each([
		['4:3', '2K', 'png', { width: 2048, height: 1536 }, 'image/png', [0x89, 0x50, 0x4e, 0x47]],
		['16:9', '1K', 'jpg', { width: 1024, height: 576 }, 'image/jpeg', [0xff, 0xd8, 0xff]],
	])(
		'Generate %s at %s as %s: the image has that size, MIME type and magic bytes',
		async (aspectRatio, resolution, outputFormat, size, mimeType, magic) => {
			const result = await env.runPhota([{ json: {} }], {
				resource: 'image',
				operation: 'generate',
				profiles: NO_PROFILES,
				prompt: 'A lighthouse at dusk',
				options: { aspectRatio, resolution, outputFormat },
			});
			expect(result.status).toBe('success');
			const [item] = result.output('Phota');
			const bytes = await bytesOf(item);
			expect(item.binary!.data).toMatchObject({ mimeType, fileExtension: outputFormat });
			expect(item.json.mime_type).toBe(mimeType);
			expect([...bytes.subarray(0, magic.length)]).toEqual(magic);
			expect(imageDimensions(bytes)).toEqual(size);
		},
	);

	test('images made with Profiles empty get a hint naming those items; with a profile, none', async () => {
		const [id] = await env.readyProfiles(1, 'ada');
		const result = await env.runPhota(
			[{ json: { who: '' } }, { json: { who: id } }, { json: { who: '' } }],
			{
				resource: 'image',
				operation: 'generate',
				profiles: byId('={{ $json.who }}'),
				prompt: '={{ $json.who ? "[[profile]] on a beach" : "A beach" }}',
			},
		);
		expect(result.output('Phota').map((item) => item.json.profile_ids)).toEqual([[], [id], []]);
		const hints = result.run.data.resultData.runData.Phota[0].hints ?? [];
		expect(hints.map((hint) => hint.message)).toEqual([
			"No profile was chosen for input items 0, 2 (Profiles is empty), so those images keep no one's identity. To put a person in them, choose their profile in Profiles.",
			'What Phota billed for this run: Generate: 3 image requests billed; 3 images returned.',
		]);

		const withProfile = await generateWithProfile('[[profile]] hiking', {});
		const hintsWithProfile = withProfile.result.run.data.resultData.runData.Phota[0].hints ?? [];
		expect(hintsWithProfile.map((hint) => hint.message)).toEqual([
			'What Phota billed for this run: Generate: 1 image request billed; 1 image returned.',
		]);
	});

	test('URL delivery outputs signed download URLs without downloading them', async () => {
		const { result } = await generateWithProfile('[[profile]] hiking', {
			delivery: 'urls',
			numberOfImages: 2,
		});
		const items = result.output('Phota');
		expect(items.map((item) => item.json.download_url)).toEqual([
			expect.stringContaining(`${env.sim.otherHost.baseUrl}/files/`),
			expect.stringContaining(`${env.sim.otherHost.baseUrl}/files/`),
		]);
		expect(items.every((item) => item.binary === undefined)).toBe(true);
		expect(env.sim.log.forRoute('POST /generate')[0].body).toMatchObject({ response_mode: 'urls' });
		expect(env.sim.log.count('GET /files/:name')).toBe(0);
	});

	test('URL delivery with download fetches each file without sending the API key', async () => {
		const { result } = await generateWithProfile('[[profile]] hiking', {
			delivery: 'urlsThenBinary',
			numberOfImages: 2,
		});
		const items = result.output('Phota');
		expect(items).toHaveLength(2);
		for (const item of items) {
			expect(item.json.download_url).toEqual(expect.any(String));
			expect(sniffImage(await bytesOf(item))).toBe('png');
		}
		const downloads = env.sim.log.forRoute('GET /files/:name');
		expect(downloads).toHaveLength(2);
		expect(downloads.every((entry) => entry.headers['x-api-key'] === undefined)).toBe(true);
	});
});

describe('Phota → Image → Edit, Enhance, Remix', () => {
	test('Edit sends the binary photo as base64 plus URLs, and profile_ids', async () => {
		const [id] = await env.readyProfiles(1, 'ada');
		const result = await env.runPhota([photoItem({ profile_ids: [id] })], {
			resource: 'image',
			operation: 'edit',
			binaryProperties: 'data',
			imageUrls: ['https://x.org/second.jpg'],
			prompt: 'Put [[profile]] on a sunny beach',
		});
		expect(result.status).toBe('success');
		const [request] = env.sim.log.forRoute('POST /edit');
		expect(request.body).toMatchObject({
			prompt: `Put [[${id}]] on a sunny beach`,
			images: [makePng('input').toString('base64'), 'https://x.org/second.jpg'],
			profile_ids: [id],
		});
		expect(result.output('Phota')[0].json).toMatchObject({
			operation: 'edit',
			profile_ids: [id],
			known_subjects: { [id]: 1 },
		});
	});

	test('Enhance takes a URL and an optional prompt', async () => {
		const [id] = await env.readyProfiles(1, 'ada');
		const result = await env.runPhota([{ json: { profile_ids: [id] } }], {
			resource: 'image',
			operation: 'enhance',
			imageSource: 'url',
			imageUrl: 'https://x.org/p.jpg',
		});
		expect(result.status).toBe('success');
		expect(env.sim.log.forRoute('POST /enhance')[0].body).toEqual({
			image: 'https://x.org/p.jpg',
			profile_ids: [id],
			num_output_images: 1,
			output_format: 'png',
			response_mode: 'bytes',
		});
	});

	test('Remix sends input and reference images and all three required fields', async () => {
		const result = await env.runPhota(
			[
				{
					...photoItem({}, 'photo'),
					binary: {
						...photoItem({}, 'photo').binary,
						style: photoItem({}, 'style').binary!.style,
					},
				},
			],
			{
				resource: 'image',
				operation: 'remix',
				profiles: NO_PROFILES,
				inputBinaryProperty: 'photo',
				referenceSource: 'url',
				referenceUrl: 'https://x.org/noir.jpg',
				prompt: 'keep the red scarf',
			},
		);
		expect(result.status).toBe('success');
		expect(env.sim.log.forRoute('POST /remix')[0].body).toEqual({
			input_image: makePng('input').toString('base64'),
			reference_image: 'https://x.org/noir.jpg',
			prompt: 'keep the red scarf',
			num_output_images: 1,
			output_format: 'png',
			response_mode: 'bytes',
		});
	});
});

describe('Async mode and Job → Get', () => {
	test('returns the job id at once, then Job → Get returns the images when the job succeeded', async () => {
		const [id] = await env.readyProfiles(1, 'ada');
		const submit = await env.runPhota([{ json: { profile_ids: [id] } }], {
			resource: 'image',
			operation: 'generate',
			prompt: '[[profile]] at work',
			options: { async: true, numberOfImages: 2 },
		});
		const [handle] = submit.output('Phota');
		expect(handle.json).toMatchObject({
			operation: 'generate',
			status: 'queued',
			profile_ids: [id],
			job_id: expect.stringMatching(/^job_/),
		});
		const sent = env.sim.log.forRoute('POST /generate')[0].body as Record<string, unknown>;
		expect(sent).toMatchObject({
			async: true,
			response_mode: 'urls',
			client_request_id: expect.stringMatching(/^n8n-/),
		});

		env.sim.advanceClock(600_000);
		const fetched = await env.runPhota([{ json: handle.json }], {
			resource: 'job',
			operation: 'get',
		});
		const images = fetched.output('Phota');
		expect(images).toHaveLength(2);
		for (const image of images) {
			expect(image.json).toMatchObject({
				job_id: handle.json.job_id,
				status: 'succeeded',
				profile_ids: [id],
			});
			expect(sniffImage(await bytesOf(image))).toBe('png');
		}
	});

	test('Job → Get reports a running job and a failed job without failing the node', async () => {
		const submit = await env.runPhota([{ json: {} }, { json: {} }], {
			resource: 'image',
			operation: 'generate',
			profiles: NO_PROFILES,
			prompt: '={{ $itemIndex === 0 ? "A calm sea" : "__JOB_FAIL__ storm" }}',
			options: { async: true },
		});
		const handles = submit.output('Phota').map((item) => ({ json: item.json }));
		const running = await env.runPhota(handles, { resource: 'job', operation: 'get' });
		expect(running.output('Phota').map((item) => item.json.status)).toEqual(['queued', 'queued']);

		env.sim.advanceClock(600_000);
		const done = await env.runPhota(handles, {
			resource: 'job',
			operation: 'get',
			options: { download: false },
		});
		const [succeeded, failed] = done.output('Phota');
		expect(succeeded.json).toMatchObject({ status: 'succeeded', download_url: expect.any(String) });
		expect(failed.json).toMatchObject({
			status: 'failed',
			job_error: expect.any(String),
			job_error_code: 'GENERATION_FAILED',
		});
	});
});

describe('Parallel items', () => {
	/** Generate, one item per caption (the prompt), at `parallelRequests`. */
	async function generateCaptions(
		captions: string[],
		parallelRequests: number,
		settings?: NodeOptions,
	) {
		return await env.runPhota(
			captions.map((caption) => ({ json: { caption } })),
			{
				resource: 'image',
				operation: 'generate',
				profiles: NO_PROFILES,
				prompt: '={{ $json.caption }}',
				options: { parallelRequests },
			},
			settings,
		);
	}

	const sentPrompts = () =>
		env.sim.log
			.forRoute('POST /generate')
			.map((entry) => (entry.body as { prompt: string }).prompt);

	test('items run concurrently up to Parallel Requests and keep their order and pairing', async () => {
		env.sim.settings.latencyMs = { 'POST /generate': 150 };
		const captions = Array.from({ length: 8 }, (_, index) => `scene ${index}`);
		const result = await generateCaptions(captions, 4);
		expect(result.status).toBe('success');
		// Never more than the option; more than one shows the items overlap.
		expect(env.sim.log.maxInFlightFor('POST /generate')).toBeLessThanOrEqual(4);
		expect(env.sim.log.maxInFlightFor('POST /generate')).toBeGreaterThan(1);
		expect(result.output('Phota').map((item) => item.pairedItem)).toEqual(
			captions.map((_, item) => ({ item })),
		);
		expect(new Set(sentPrompts())).toEqual(new Set(captions));
	});

	const FIRST_FAILS = ['__MODERATE__ first', 'second', 'third', 'fourth', 'fifth'];

	test('items get ready beyond Parallel Requests, but none is sent after another failed the node', async () => {
		env.sim.settings.latencyMs = { 'POST /generate': 200 };
		// Parallel Requests 2: items 0 and 1 are sent, item 2 waits ready for a slot. Item 0 fails
		// and frees its slot first; item 2 must not take it.
		const result = await generateCaptions(FIRST_FAILS, 2);
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/content moderation/);
		expect(sentPrompts().sort()).toEqual(['__MODERATE__ first', 'second']);
		// The item that was already sent finished and is named, so its image is not paid for unseen.
		expect(result.error?.description).toContain('item 1: 1 image(s)');
	});

	test('with Continue On Fail the ready items go on after a failure', async () => {
		env.sim.settings.latencyMs = { 'POST /generate': 100 };
		const result = await generateCaptions(FIRST_FAILS, 2, { continueOnFail: true });
		expect(result.status).toBe('success');
		const items = result.output('Phota');
		expect(items[0].json.error).toMatch(/content moderation/);
		expect(items.slice(1).every((item) => item.binary?.data !== undefined)).toBe(true);
		expect(sentPrompts()).toHaveLength(5);
		expect(env.sim.log.maxInFlightFor('POST /generate')).toBeLessThanOrEqual(2);
	});
});

describe('Chaining without expressions', () => {
	test('Create → Generate in one workflow: the new profile_ids flow into [[profile]]', async () => {
		env.sim.settings.trainingPhasesMs = { validating: 0, queuing: 0, inProgress: 0 };
		const result = await env.run(createThenGenerate());
		const id = result.output('Create')[0].json.profile_id as string;
		const [image] = result.output('Generate');
		expect(image.json).toMatchObject({ profile_ids: [id], known_subjects: { [id]: 1 } });
		expect(image.pairedItem).toEqual({ item: 0 });
	});

	test('a profile that is still training gets a hint to wait for it', async () => {
		const created = await env.run(createThenGenerate());
		expect(created.error?.message).toMatch(/could not find the resource \(404\)/);
		expect(created.error?.description).toMatch(/still be training.*Wait for Profile Ready/);
	});
});

describe('Model options', () => {
	test('GPT Image 2 with quality and 4K is sent as chosen', async () => {
		const result = await env.runPhota([{ json: {} }], {
			resource: 'image',
			operation: 'generate',
			profiles: NO_PROFILES,
			prompt: 'A poster',
			options: {
				baseModel: 'gpt-image-2',
				quality: 'high',
				resolution: '4K',
				aspectRatio: '16:9',
			},
		});
		expect(result.status).toBe('success');
		expect(env.sim.log.forRoute('POST /generate')[0].body).toMatchObject({
			base_model: 'gpt-image-2',
			quality: 'high',
			resolution: '4K',
			aspect_ratio: '16:9',
		});
	});

	test('four 3 MB 4K images in bytes mode arrive whole (streamed and decoded on the fly)', async () => {
		env.sim.settings.outputBytes = { '1K': 0, '2K': 0, '4K': 3 * 1024 * 1024 };
		const { result } = await generateWithProfile('[[profile]] on a poster', {
			numberOfImages: 4,
			resolution: '4K',
		});
		const items = result.output('Phota');
		expect(items).toHaveLength(4);
		for (const item of items) {
			const bytes = await bytesOf(item);
			expect(bytes.length).toBeGreaterThanOrEqual(3 * 1024 * 1024);
			expect(sniffImage(bytes)).toBe('png');
			expect(item.binary?.data?.fileName).toMatch(/\.png$/);
		}
	});

	test('Max Retries 0 surfaces a 503 at once; the default resends it', async () => {
		const generate = (options: Record<string, number>) =>
			chain(
				fixtureNode([{ json: {} }]),
				photaNode({
					resource: 'image',
					operation: 'generate',
					profiles: NO_PROFILES,
					prompt: 'x',
					options,
				}),
			);
		env.sim.faults.add({
			route: 'POST /generate',
			kind: 'status',
			status: 503,
			retryAfterSeconds: 0,
		});
		const noRetry = await env.run(generate({ maxRetries: 0 }));
		expect(noRetry.error?.message).toMatch(/temporarily unavailable \(503\)/);

		env.sim.faults.add({
			route: 'POST /generate',
			kind: 'status',
			status: 503,
			retryAfterSeconds: 0,
		});
		const withRetry = await env.run(generate({}));
		expect(withRetry.status).toBe('success');
		expect(env.sim.log.forRoute('POST /generate').map((entry) => entry.status)).toEqual([
			503, 503, 200,
		]);
	});
});
