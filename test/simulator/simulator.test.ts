import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import jpeg from 'jpeg-js';
import { fetch } from 'undici';

import type { PhotaSimulator } from '.';
import { makePng, sniffImage, startSimulator } from '.';

const KEY = 'contract-key';
let sim: PhotaSimulator;

beforeAll(async () => {
	sim = await startSimulator({
		apiKeys: [KEY],
		// Phases far longer than a slow test run; tests move the simulated clock instead.
		trainingPhasesMs: { validating: 10_000, queuing: 10_000, inProgress: 30_000 },
		jobPhasesMs: { queued: 10_000, running: 10_000 },
	});
});
afterAll(async () => await sim.close());
beforeEach(() => sim.reset());

async function call(method: string, path: string, body?: unknown, key: string | null = KEY) {
	const response = await fetch(`${sim.baseUrl}${path}`, {
		method,
		headers: {
			...(key === null ? {} : { 'X-API-Key': key }),
			...(body ? { 'content-type': 'application/json' } : {}),
		},
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = Buffer.from(await response.arrayBuffer());
	const json = response.headers.get('content-type')?.includes('json')
		? (JSON.parse(text.toString()) as Record<string, any>)
		: undefined;
	return { status: response.status, headers: response.headers, json, bytes: text };
}

const urls = (count: number) =>
	Array.from({ length: count }, (_, index) => `https://x.org/${index}.jpg`);

async function readyProfile(tag?: string): Promise<string> {
	const { json } = await call('POST', '/profiles/add', {
		image_urls: urls(10),
		...(tag ? { tag } : {}),
	});
	sim.advanceClock(100_000);
	return json!.profile_id as string;
}

describe('auth', () => {
	test('wrong key → 401 with the documented body; missing key → 403 (switchable to 401)', async () => {
		const wrong = await call('GET', '/profiles/ids', undefined, 'nope');
		expect(wrong.status).toBe(401);
		expect(wrong.json).toEqual({
			detail: 'Missing or invalid API key in the X-API-Key header.',
			request_id: expect.any(String),
		});
		expect(wrong.headers.get('x-request-id')).toBe(wrong.json!.request_id);

		expect((await call('GET', '/profiles/ids', undefined, null)).status).toBe(403);
		sim.settings.missingKeyStatus = 401;
		expect((await call('GET', '/profiles/ids', undefined, null)).status).toBe(401);
	});

	test('auth is checked before body validation, and the key is never logged', async () => {
		expect((await call('POST', '/profiles/add', { image_urls: 'x' }, 'nope')).status).toBe(401);
		expect(JSON.stringify(sim.log.entries)).not.toContain('nope');
		expect(sim.log.entries[0].headers['x-api-key']).toBe('[redacted]');
	});
});

describe('profiles', () => {
	test('walk VALIDATING → QUEUING → IN_PROGRESS → READY on the simulated clock', async () => {
		const { json } = await call('POST', '/profiles/add', {
			image_urls: urls(10),
			training_tier: 'standard',
			tag: 'u1',
		});
		const id = json!.profile_id as string;
		const statuses: string[] = [];
		for (let step = 0; step < 4; step++) {
			statuses.push((await call('GET', `/profiles/${id}/status`)).json!.status as string);
			sim.advanceClock(step === 2 ? 30_000 : 10_000);
		}
		expect(statuses).toEqual(['VALIDATING', 'QUEUING', 'IN_PROGRESS', 'READY']);
	});

	test('forced ERROR and INACTIVE outcomes, with a message for ERROR', async () => {
		const error = await call('POST', '/profiles/add', {
			image_urls: [...urls(9), 'https://x.org/train-error.jpg'],
		});
		const inactive = await call('POST', '/profiles/add', {
			image_urls: [...urls(9), 'https://x.org/train-inactive.jpg'],
		});
		sim.advanceClock(100_000);
		expect((await call('GET', `/profiles/${error.json!.profile_id}/status`)).json).toMatchObject({
			status: 'ERROR',
			message: expect.stringMatching(/.+/),
		});
		expect((await call('GET', `/profiles/${inactive.json!.profile_id}/status`)).json).toMatchObject(
			{ status: 'INACTIVE' },
		);
	});

	test.each([
		['4 URLs', 422, { image_urls: urls(4) }],
		['51 URLs', 422, { image_urls: urls(51) }],
		['no image_urls', 422, {}],
		['an unknown tier', 422, { image_urls: urls(10), training_tier: 'turbo' }],
		['an empty tag', 422, { image_urls: urls(10), tag: '' }],
		['9 URLs on standard', 400, { image_urls: urls(9) }],
		['11 URLs on fast', 400, { image_urls: urls(11), training_tier: 'fast' }],
		['a no-subject photo', 400, { image_urls: [...urls(9), 'https://x.org/no-subject.jpg'] }],
	])('add with %s → %i', async (_label, status, body) => {
		const response = await call('POST', '/profiles/add', body);
		expect(response.status).toBe(status);
		if (status === 422)
			expect(response.json!.detail[0]).toMatchObject({
				loc: expect.arrayContaining(['body']),
				msg: expect.any(String),
			});
		if (status === 400)
			expect(response.json).toMatchObject({
				code: expect.any(String),
				detail: expect.any(String),
				request_id: expect.any(String),
			});
		expect(sim.profiles()).toHaveLength(0);
	});

	test('list by tag in both formats, picture is a real JPEG, delete then 404', async () => {
		const a = await readyProfile('t1');
		await readyProfile('t2');
		expect((await call('GET', '/profiles/ids?tag=t1')).json).toEqual({ profiles: [a] });
		sim.settings.listFormat = 'objects';
		expect((await call('GET', '/profiles/ids?tag=t1')).json).toEqual({
			profiles: [{ profile_id: a, status: 'READY', tag: 't1' }],
		});

		const picture = await call('GET', `/profiles/${a}/profile_picture`);
		expect(picture.headers.get('content-type')).toBe('image/jpeg');
		expect(jpeg.decode(picture.bytes).width).toBeGreaterThan(0);

		expect((await call('DELETE', `/profiles/${a}`)).json).toEqual({ profile_id: a, status: 'ok' });
		for (const path of [`/profiles/${a}/status`, `/profiles/${a}/profile_picture`])
			expect((await call('GET', path)).status).toBe(404);
		expect((await call('DELETE', `/profiles/${a}`)).status).toBe(404);
	});
});

describe('image endpoints', () => {
	test('bytes mode returns real images matching output_format, urls mode serves expiring signed URLs', async () => {
		const id = await readyProfile();
		const bytes = await call('POST', '/generate', {
			prompt: `[[${id}]] smiling`,
			num_output_images: 2,
			output_format: 'jpg',
		});
		expect(bytes.status).toBe(200);
		expect(bytes.headers.get('x-phota-deprecation-date')).toBe('2026-05-08');
		expect(bytes.json).toMatchObject({
			known_subjects: { counts: { [id]: 2 } },
			download_urls: [],
		});
		expect(
			bytes.json!.images.map((image: string) => sniffImage(Buffer.from(image, 'base64'))),
		).toEqual(['jpeg', 'jpeg']);

		const byUrl = await call('POST', '/enhance', {
			image: makePng('in').toString('base64'),
			profile_ids: [id],
			response_mode: 'urls',
		});
		expect(byUrl.json).toMatchObject({ images: [], download_urls: [expect.any(String)] });
		const file = await fetch(byUrl.json!.download_urls[0]);
		expect(sniffImage(Buffer.from(await file.arrayBuffer()))).toBe('png');
		sim.advanceClock(25 * 60 * 60 * 1000);
		expect((await fetch(byUrl.json!.download_urls[0])).status).toBe(403);
	});

	test.each([
		['/edit', 'no images', 422, { prompt: 'x', images: [] }],
		['/edit', '11 images', 422, { prompt: 'x', images: Array(11).fill('https://x.org/a.jpg') }],
		['/generate', '6 outputs', 422, { prompt: 'x', num_output_images: 5 }],
		['/generate', 'a bad aspect ratio', 422, { prompt: 'x', aspect_ratio: '2:1' }],
		['/generate', 'an unknown base model', 422, { prompt: 'x', base_model: 'dalle' }],
		['/generate', 'profile_ids', 422, { prompt: 'x', profile_ids: ['a'] }],
		['/generate', '2K on reve', 400, { prompt: 'x', base_model: 'reve', resolution: '2K' }],
		['/generate', 'quality without gpt-image-2', 400, { prompt: 'x', quality: 'high' }],
		['/generate', 'a moderated prompt', 400, { prompt: 'x __MODERATE__' }],
		['/generate', 'async without urls', 400, { prompt: 'x', async: true }],
		[
			'/generate',
			'callback_url without async',
			400,
			{ prompt: 'x', callback_url: 'https://h.org/cb' },
		],
		['/generate', 'an unknown profile token', 404, { prompt: '[[prof_unknown]] here' }],
		['/enhance', 'no image', 422, {}],
		[
			'/enhance',
			'bytes that are not an image',
			400,
			{ image: Buffer.from('not an image').toString('base64') },
		],
		[
			'/remix',
			'missing required fields',
			422,
			{ input_image: 'https://x.org/a.jpg', reference_image: 'https://x.org/b.jpg' },
		],
		[
			'/remix',
			'a resolution',
			400,
			{
				input_image: 'https://x.org/a.jpg',
				reference_image: 'https://x.org/b.jpg',
				num_output_images: 1,
				output_format: 'png',
				response_mode: 'bytes',
				resolution: '2K',
			},
		],
	])('%s with %s → %i', async (path, _label, status, body) => {
		expect((await call('POST', path, body)).status).toBe(status);
	});

	test('a 504 sync timeout is refunded; 402 when credit runs out', async () => {
		sim.settings.creditBalance = 3;
		expect(
			(await call('POST', '/generate', { prompt: 'slow __TIMEOUT__', num_output_images: 2 }))
				.status,
		).toBe(504);
		expect(sim.spentBy(KEY)).toBe(0);
		expect((await call('POST', '/generate', { prompt: 'x', num_output_images: 3 })).status).toBe(
			200,
		);
		const broke = await call('POST', '/generate', { prompt: 'x' });
		expect(broke.status).toBe(402);
		expect(broke.json!.code).toBe('INSUFFICIENT_CREDIT');
	});

	test('unknown profile ids can be switched to "ignored"', async () => {
		sim.settings.unknownProfileIds = 'ignore';
		const response = await call('POST', '/generate', { prompt: '[[prof_nobody]]' });
		expect(response.status).toBe(200);
		expect(response.json!.known_subjects).toEqual({ counts: {} });
	});
});

describe('async jobs', () => {
	test('202 + polling, idempotent client_request_id, signed callback', async () => {
		sim.settings.requireHttpsCallback = false;
		const received: Array<{ body: string; signature: string | undefined }> = [];
		const hook = createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (chunk: Buffer) => chunks.push(chunk));
			req.on('end', () => {
				received.push({
					body: Buffer.concat(chunks).toString(),
					signature: req.headers['x-phota-signature'] as string,
				});
				res.end('ok');
			});
		});
		await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
		const callbackUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/cb`;

		const body = {
			prompt: 'x',
			response_mode: 'urls',
			async: true,
			client_request_id: 'n8n-1',
			callback_url: callbackUrl,
		};
		const first = await call('POST', '/generate', body);
		const again = await call('POST', '/generate', body);
		expect(first.status).toBe(202);
		expect(again.json).toEqual(first.json);
		expect(sim.jobs()).toHaveLength(1);
		expect(sim.spentBy(KEY)).toBe(1);

		expect((await call('GET', `/jobs/${first.json!.job_id}`)).json).toMatchObject({
			status: 'queued',
			result: null,
		});
		sim.advanceClock(30_000);
		expect((await call('GET', `/jobs/${first.json!.job_id}`)).json).toMatchObject({
			status: 'succeeded',
			result: { download_urls: [expect.any(String)] },
		});

		for (let wait = 0; wait < 50 && received.length === 0; wait++)
			await new Promise((resolve) => setTimeout(resolve, 20));
		hook.close();
		expect(received).toHaveLength(1);
		const expected = createHmac('sha256', sim.settings.webhookSecret)
			.update(received[0].body)
			.digest('hex');
		expect(received[0].signature).toBe(expected);
		expect((await call('GET', '/webhook-secret')).json).toEqual({
			secret: sim.settings.webhookSecret,
		});
		expect((await call('GET', '/jobs/job_missing')).status).toBe(404);
	});
});

describe('faults, rate limits and the request log', () => {
	test('injected status with Retry-After, counted by times; delay; reset drops the socket', async () => {
		sim.faults.add({
			route: 'GET /profiles/ids',
			kind: 'status',
			status: 429,
			retryAfterSeconds: 2,
			times: 2,
		});
		const limited = await call('GET', '/profiles/ids');
		expect(limited.status).toBe(429);
		expect(limited.headers.get('retry-after')).toBe('2');
		expect((await call('GET', '/profiles/ids')).status).toBe(429);
		expect((await call('GET', '/profiles/ids')).status).toBe(200);

		sim.faults.add({ kind: 'delay', delayMs: 150 });
		const started = Date.now();
		await call('GET', '/profiles/ids');
		expect(Date.now() - started).toBeGreaterThanOrEqual(140);

		sim.faults.add({ route: /profiles/, kind: 'reset' });
		await expect(call('GET', '/profiles/ids')).rejects.toThrow();
		expect(sim.log.entries.at(-1)?.fault).toBe('reset');
	});

	test('afterProcessing faults create the resource and then fail the answer', async () => {
		sim.faults.add({
			route: 'POST /profiles/add',
			kind: 'status',
			status: 502,
			afterProcessing: true,
		});
		expect((await call('POST', '/profiles/add', { image_urls: urls(10) })).status).toBe(502);
		expect(sim.profiles()).toHaveLength(1);
	});

	test('rate limit by concurrency answers 429 with Retry-After', async () => {
		sim.settings.rateLimit = { maxConcurrent: 2, retryAfterSeconds: 1 };
		sim.settings.latencyMs = 100;
		const statuses = await Promise.all(
			Array.from({ length: 5 }, async () => (await call('GET', '/profiles/ids')).status),
		);
		expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
		expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(2);
	});

	test('log counts calls per route, keeps bodies and the peak of concurrent requests', async () => {
		sim.settings.latencyMs = { 'POST /generate': 80 };
		await Promise.all(
			Array.from(
				{ length: 3 },
				async (_, index) => await call('POST', '/generate', { prompt: `p${index}` }),
			),
		);
		expect(sim.log.count('POST /generate')).toBe(3);
		expect(sim.log.maxInFlightFor('POST /generate')).toBe(3);
		expect(
			sim.log
				.forRoute('POST /generate')
				.map((entry) => (entry.body as { prompt: string }).prompt)
				.sort(),
		).toEqual(['p0', 'p1', 'p2']);
	});

	test('admin endpoints drive a simulator in another process', async () => {
		await fetch(`${sim.origin}/__sim/faults`, {
			method: 'POST',
			body: JSON.stringify({ kind: 'status', status: 503, routeRegex: 'profiles' }),
		});
		expect((await call('GET', '/profiles/ids')).status).toBe(503);
		await fetch(`${sim.origin}/__sim/settings`, {
			method: 'PATCH',
			body: JSON.stringify({ listFormat: 'objects' }),
		});
		expect(sim.settings.listFormat).toBe('objects');
		const log = (await (await fetch(`${sim.origin}/__sim/log`)).json()) as { entries: unknown[] };
		expect(log.entries).toHaveLength(1);
		await fetch(`${sim.origin}/__sim/reset`, { method: 'POST' });
		expect(sim.log.count()).toBe(0);
	});
});
