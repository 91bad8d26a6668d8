import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

import jpeg from 'jpeg-js';
import { fetch, request as undiciRequest } from 'undici';

import type { PhotaSimulator } from '../../simulator';
import { makePng, sniffImage, startSimulator } from '../../simulator';
import { drawLatency } from '../../simulator/routes';
import { defaultSettings } from '../../simulator/settings';
import { SimState } from '../../simulator/state';

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

	test('a route latency of { min, max } draws each request time from that range', async () => {
		sim.settings.latencyMs = { 'GET /profiles/ids': { min: 60, max: 120 } };
		await Promise.all(Array.from({ length: 8 }, async () => await call('GET', '/profiles/ids')));
		const times = sim.log
			.forRoute('GET /profiles/ids')
			.map((entry) => entry.endedAt - entry.startedAt);
		expect(times).toHaveLength(8);
		for (const time of times) {
			expect(time).toBeGreaterThanOrEqual(59);
			expect(time).toBeLessThan(120 + 400);
		}
		// Drawn, not fixed: eight uniform draws from a 60 ms wide range are not all within 5 ms.
		expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(5);
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

/** A request to any absolute URL (e.g. the other host), returning the raw answer. */
async function raw(url: string, init: RequestInit & { key?: string | null } = {}) {
	const { key = KEY, headers, ...rest } = init;
	return await fetch(url, {
		redirect: 'manual',
		...rest,
		headers: { ...(key === null ? {} : { 'X-API-Key': key }), ...(headers as object) },
	} as Parameters<typeof fetch>[1]);
}

describe('the other host (CDN-like origin for signed download URLs)', () => {
	test('download URLs live on the other host, which records whether the key arrived', async () => {
		const other = new URL(sim.otherHost.baseUrl);
		expect(other.origin).toBe(sim.otherHost.baseUrl);
		expect(other.origin).not.toBe(new URL(sim.baseUrl).origin);

		const { json } = await call('POST', '/generate', { prompt: 'x', response_mode: 'urls' });
		const url = json!.download_urls[0] as string;
		expect(url).toMatch(
			new RegExp(`^${sim.otherHost.baseUrl}/files/[0-9a-f]+\\.png\\?expires=\\d+&sig=[0-9a-f]+$`),
		);

		const withoutKey = await raw(url, { key: null });
		expect(withoutKey.status).toBe(200);
		expect(sniffImage(Buffer.from(await withoutKey.arrayBuffer()))).toBe('png');
		const withKey = await raw(url);
		expect(withKey.status).toBe(200);
		await withKey.arrayBuffer();

		expect(sim.otherHost.requests).toEqual([
			expect.objectContaining({
				method: 'GET',
				path: new URL(url).pathname,
				apiKeyPresent: false,
				apiKeyValid: false,
			}),
			expect.objectContaining({ apiKeyPresent: true, apiKeyValid: true }),
		]);
		expect(sim.otherHost.requests[1].headers['x-api-key']).toBe('[redacted]');
		expect(JSON.stringify(sim.otherHost.requests)).not.toContain(KEY);
		// Downloads are in the request log too, so faults on GET /files/:name apply to them.
		expect(sim.log.forRoute('GET /files/:name').map((entry) => entry.host)).toEqual([
			'other',
			'other',
		]);

		// The API host does not serve them, and a changed signature is refused.
		const onApi = `${sim.baseUrl}/files/${new URL(url).pathname.split('/').pop()}${new URL(url).search}`;
		expect((await raw(onApi)).status).toBe(404);
		expect((await raw(url.replace(/sig=\w+/, 'sig=0000'))).status).toBe(403);

		sim.reset();
		expect(sim.otherHost.requests).toEqual([]);
	});

	test('any other path answers 200 {"ok": true, "host": "other"} after recording it', async () => {
		const response = await raw(`${sim.otherHost.baseUrl}/v1/phota/generate?x=1`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: '{}',
			key: 'wrong-key',
		});
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toBe('application/json');
		expect(await response.json()).toEqual({ ok: true, host: 'other' });
		expect(sim.otherHost.requests).toEqual([
			{
				method: 'POST',
				path: '/v1/phota/generate',
				query: { x: '1' },
				apiKeyPresent: true,
				apiKeyValid: false,
				headers: expect.objectContaining({ 'x-api-key': '[redacted]' }),
			},
		]);
		sim.otherHost.clear();
		expect(sim.otherHost.requests).toHaveLength(0);
		expect(sim.log.count()).toBe(0);
	});

	test('downloadOrigin "api" serves the URLs from the API host again', async () => {
		sim.settings.downloadOrigin = 'api';
		const { json } = await call('POST', '/generate', {
			prompt: 'x',
			response_mode: 'urls',
			output_format: 'jpg',
		});
		const url = json!.download_urls[0] as string;
		expect(url.startsWith(`${sim.baseUrl}/files/`)).toBe(true);
		expect(sniffImage(Buffer.from(await (await raw(url, { key: null })).arrayBuffer()))).toBe(
			'jpeg',
		);
		const onOther = `${sim.otherHost.baseUrl}/files/${new URL(url).pathname.split('/').pop()}${new URL(url).search}`;
		expect((await raw(onOther)).status).toBe(404);
	});

	test('close() closes the other host too', async () => {
		const own = await startSimulator({ apiKeys: [KEY] });
		const base = own.otherHost.baseUrl;
		expect((await raw(`${base}/anything`)).status).toBe(200);
		await own.close();
		await expect(raw(`${base}/anything`)).rejects.toThrow();
	});
});

describe('new fault kinds', () => {
	test('redirect to the other host keeps path and query; the follow-up there is recorded', async () => {
		sim.faults.add({ route: 'GET /profiles/ids', kind: 'redirect' });
		const response = await raw(`${sim.baseUrl}/profiles/ids?tag=t1`);
		expect(response.status).toBe(307);
		const location = response.headers.get('location')!;
		expect(location).toBe(`${sim.otherHost.baseUrl}/v1/phota/profiles/ids?tag=t1`);
		expect(sim.log.entries.at(-1)).toMatchObject({ status: 307, processed: false });
		expect(sim.log.entries.at(-1)?.fault).toMatch(/^redirect 307 otherHost/);

		// A client that follows it with the key leaks the key to another origin: visible here.
		expect(await (await raw(location)).json()).toEqual({ ok: true, host: 'other' });
		expect(sim.otherHost.requests.at(-1)).toMatchObject({
			path: '/v1/phota/profiles/ids',
			apiKeyPresent: true,
		});
	});

	test('redirect to the same origin, with a custom status, is processed normally when followed', async () => {
		sim.faults.add({
			route: 'POST /generate',
			kind: 'redirect',
			redirectTo: 'sameOrigin',
			status: 308,
		});
		const first = await raw(`${sim.baseUrl}/generate`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ prompt: 'x' }),
		});
		expect(first.status).toBe(308);
		expect(first.headers.get('location')).toBe(`${sim.baseUrl}/generate`);
		expect(sim.spentBy(KEY)).toBe(0);
		const followed = await raw(first.headers.get('location')!, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ prompt: 'x' }),
		});
		expect(followed.status).toBe(200);
		expect(sim.spentBy(KEY)).toBe(1);
	});

	test('redirect after processing: charged, then 307', async () => {
		sim.faults.add({ route: 'POST /generate', kind: 'redirect', afterProcessing: true });
		expect((await call('POST', '/generate', { prompt: 'x' })).status).toBe(200); // fetch follows
		expect(sim.spentBy(KEY)).toBe(1);
		expect(sim.log.forRoute('POST /generate')[0]).toMatchObject({ status: 307, processed: true });
		expect(sim.otherHost.requests).toHaveLength(1);
	});

	test('cut before processing: full Content-Length, half the body, then the socket closes', async () => {
		const body = { padding: 'x'.repeat(400) };
		sim.faults.add({ route: 'GET /profiles/ids', kind: 'cut', body });
		const response = await raw(`${sim.baseUrl}/profiles/ids`);
		expect(response.status).toBe(200);
		expect(response.headers.get('content-length')).toBe(String(JSON.stringify(body).length));
		await expect(response.arrayBuffer()).rejects.toThrow();
		expect(sim.log.entries.at(-1)).toMatchObject({ status: 200, fault: 'cut', processed: false });
	});

	test('cut after processing sends the real status and headers, and the work is done', async () => {
		sim.faults.add({ route: 'POST /generate', kind: 'cut', afterProcessing: true });
		const response = await raw(`${sim.baseUrl}/generate`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ prompt: 'x' }),
		});
		expect(response.status).toBe(200);
		expect(response.headers.get('x-phota-deprecation-date')).toBe('2026-05-08');
		expect(Number(response.headers.get('content-length'))).toBeGreaterThan(100);
		await expect(response.arrayBuffer()).rejects.toThrow();
		expect(sim.spentBy(KEY)).toBe(1);
		expect(sim.log.entries.at(-1)).toMatchObject({ fault: 'cut', processed: true });
	});

	test('html answers a gateway page of about bodyBytes', async () => {
		sim.faults.add({ route: 'POST /generate', kind: 'html' });
		const page = await call('POST', '/generate', { prompt: 'x' });
		expect(page.status).toBe(502);
		expect(page.headers.get('content-type')).toBe('text/html');
		const text = page.bytes.toString();
		expect(text.startsWith('<html><head><title>502 Bad Gateway</title>')).toBe(true);
		expect(text.trimEnd().endsWith('</html>')).toBe(true);
		expect(Math.abs(page.bytes.length - 6000)).toBeLessThan(100);
		expect(sim.log.entries.at(-1)?.fault).toBe('html 502');

		sim.faults.add({ kind: 'html', status: 504, bodyBytes: 300, afterProcessing: true });
		const small = await call('POST', '/generate', { prompt: 'x' });
		expect(small.status).toBe(504);
		expect(small.bytes.toString()).toContain('<title>504 Gateway Timeout</title>');
		expect(Math.abs(small.bytes.length - 300)).toBeLessThan(100);
		expect(sim.spentBy(KEY)).toBe(1);
	});

	test('trickle sends the body one byte per delayMs; after processing it is the real answer', async () => {
		sim.faults.add({ route: 'GET /profiles/ids', kind: 'trickle', delayMs: 30, body: { a: 1 } });
		const started = Date.now();
		const response = await raw(`${sim.baseUrl}/profiles/ids`);
		expect(response.status).toBe(200);
		const headersAfter = Date.now() - started;
		expect(await response.json()).toEqual({ a: 1 });
		// 7 bytes, 30 ms apart.
		expect(Date.now() - started - headersAfter).toBeGreaterThanOrEqual(6 * 30);
		expect(sim.log.entries.at(-1)).toMatchObject({ status: 200, fault: 'trickle' });

		await readyProfile();
		sim.faults.add({
			route: 'GET /profiles/ids',
			kind: 'trickle',
			delayMs: 1,
			afterProcessing: true,
		});
		const real = await call('GET', '/profiles/ids');
		expect(real.json!.profiles).toHaveLength(1);
		expect(real.headers.get('x-request-id')).toMatch(/^req_/);
	});

	test('trickle timers are cleared by close()', async () => {
		const own = await startSimulator({ apiKeys: [KEY] });
		own.faults.add({ kind: 'trickle', delayMs: 60_000 });
		const response = await raw(`${own.baseUrl}/profiles/ids`);
		expect(response.status).toBe(200);
		const body = response.arrayBuffer();
		const started = Date.now();
		await own.close();
		expect(Date.now() - started).toBeLessThan(1000);
		await expect(body).rejects.toThrow();
	});

	test('stall sends headers and a few bytes, then nothing until the client gives up', async () => {
		await readyProfile();
		sim.faults.add({ route: 'GET /profiles/ids', kind: 'stall', afterProcessing: true });
		const response = await raw(`${sim.baseUrl}/profiles/ids`, {
			signal: AbortSignal.timeout(400),
		});
		expect(response.status).toBe(200);
		expect(Number(response.headers.get('content-length'))).toBeGreaterThan(8);
		// The body never completes: only the client's own timeout ends it.
		await expect(response.arrayBuffer()).rejects.toMatchObject({ name: 'TimeoutError' });
		expect(sim.log.entries.at(-1)).toMatchObject({ status: 200, fault: 'stall', processed: true });

		sim.faults.add({ kind: 'stall', status: 503, body: { detail: 'slow' } });
		const before = await raw(`${sim.baseUrl}/profiles/ids`, { signal: AbortSignal.timeout(300) });
		expect(before.status).toBe(503);
		await expect(before.text()).rejects.toMatchObject({ name: 'TimeoutError' });
	});

	test('status with retryAfterDate sends an HTTP-date', async () => {
		sim.faults.add({ kind: 'status', status: 503, retryAfterSeconds: 3, retryAfterDate: true });
		const response = await call('GET', '/profiles/ids');
		expect(response.status).toBe(503);
		const header = response.headers.get('retry-after')!;
		expect(header).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
		const ahead = Date.parse(header) - Date.now();
		expect(ahead).toBeGreaterThan(2000);
		expect(ahead).toBeLessThanOrEqual(4000);
	});

	test('status 200 with a custom body crafts odd success answers', async () => {
		sim.faults.add({
			route: 'POST /generate',
			kind: 'status',
			status: 200,
			body: { images: [], download_urls: [] },
			afterProcessing: true,
		});
		const empty = await call('POST', '/generate', { prompt: 'x' });
		expect(empty.status).toBe(200);
		expect(empty.json).toEqual({ images: [], download_urls: [] });
		expect(sim.spentBy(KEY)).toBe(1);

		const job = { job_id: 'job_odd', status: 'COMPLETED', result: { images: ['abc'] } };
		sim.faults.add({ route: 'GET /jobs/:id', kind: 'status', status: 200, body: job });
		const polled = await call('GET', '/jobs/job_odd');
		expect(polled.status).toBe(200);
		expect(polled.json).toEqual(job);
		expect(sim.log.entries.at(-1)).toMatchObject({ status: 200, fault: 'status 200' });
	});

	test('faults apply to signed downloads on the other host', async () => {
		const { json } = await call('POST', '/generate', { prompt: 'x', response_mode: 'urls' });
		sim.faults.add({ route: 'GET /files/:name', kind: 'status', status: 503 });
		expect((await raw(json!.download_urls[0], { key: null })).status).toBe(503);
		expect((await raw(json!.download_urls[0], { key: null })).status).toBe(200);
	});

	test('POST /__sim/faults accepts the new kinds and fields, and refuses unknown kinds', async () => {
		const add = async (spec: Record<string, unknown>) =>
			await fetch(`${sim.origin}/__sim/faults`, { method: 'POST', body: JSON.stringify(spec) });
		expect(
			(await add({ kind: 'redirect', redirectTo: 'sameOrigin', routeRegex: 'ids' })).status,
		).toBe(200);
		expect((await add({ kind: 'html', status: 503, bodyBytes: 500 })).status).toBe(200);
		expect(
			(await add({ kind: 'status', status: 429, retryAfterSeconds: 1, retryAfterDate: true }))
				.status,
		).toBe(200);
		expect((await add({ kind: 'teleport' })).status).toBe(400);
		expect((await add({ kind: 'redirect', redirectTo: 'mars' })).status).toBe(400);

		const redirected = await raw(`${sim.baseUrl}/profiles/ids`);
		expect(redirected.status).toBe(307);
		expect(redirected.headers.get('location')).toBe(`${sim.baseUrl}/profiles/ids`);
		const html = await call('GET', '/profiles/ids');
		expect(html.status).toBe(503);
		expect(html.headers.get('content-type')).toBe('text/html');
		const limited = await call('GET', '/profiles/ids');
		expect(limited.status).toBe(429);
		expect(Number.isNaN(Date.parse(limited.headers.get('retry-after')!))).toBe(false);
		expect(sim.log.entries.map((entry) => entry.fault)).toEqual([
			'redirect 307 sameOrigin',
			'html 503',
			'status 429',
		]);
	});
});

describe('settings for the unknowns', () => {
	test('statusMessage: null (default), "" (text) or absent; ERROR keeps its text', async () => {
		const { json } = await call('POST', '/profiles/add', { image_urls: urls(10) });
		const path = `/profiles/${json!.profile_id}/status`;
		expect((await call('GET', path)).json).toEqual({
			profile_id: json!.profile_id,
			status: 'VALIDATING',
			message: null,
		});
		sim.settings.statusMessage = 'text';
		expect((await call('GET', path)).json!.message).toBe('');
		sim.settings.statusMessage = 'absent';
		expect('message' in (await call('GET', path)).json!).toBe(false);

		const error = await call('POST', '/profiles/add', {
			image_urls: [...urls(9), 'https://x.org/train-error.jpg'],
		});
		sim.advanceClock(100_000);
		expect((await call('GET', path)).json).toEqual({
			profile_id: json!.profile_id,
			status: 'READY',
		});
		expect((await call('GET', `/profiles/${error.json!.profile_id}/status`)).json!.message).toMatch(
			/.+/,
		);
	});

	test('rate limiting comes after authentication; retryAfterFormat "date"', async () => {
		sim.settings.rateLimit = { perSecond: 1, retryAfterSeconds: 2 };
		expect((await call('GET', '/profiles/ids')).status).toBe(200);
		expect((await call('GET', '/profiles/ids', undefined, 'nope')).status).toBe(401);
		expect((await call('GET', '/profiles/ids', undefined, null)).status).toBe(403);
		const limited = await call('GET', '/profiles/ids');
		expect(limited.status).toBe(429);
		expect(limited.headers.get('retry-after')).toBe('2');

		sim.settings.retryAfterFormat = 'date';
		const dated = await call('GET', '/profiles/ids');
		expect(dated.status).toBe(429);
		const ahead = Date.parse(dated.headers.get('retry-after')!) - Date.now();
		expect(ahead).toBeGreaterThan(1000);
		expect(ahead).toBeLessThanOrEqual(3000);
	});

	test('X-Phota-Deprecation-Date is on every image endpoint answer, 202 and errors included', async () => {
		const answers = [
			await call('POST', '/generate', { prompt: 'x' }),
			await call('POST', '/generate', { prompt: 'x', response_mode: 'urls', async: true }),
			await call('POST', '/generate', { prompt: 'x', num_output_images: 9 }),
			await call('POST', '/enhance', { image: 'https://x.org/a.jpg', prompt: '__MODERATE__' }),
			await call('POST', '/edit', { prompt: 'x' }, 'nope'),
		];
		expect(answers.map((answer) => answer.status)).toEqual([200, 202, 422, 400, 401]);
		for (const answer of answers)
			expect(answer.headers.get('x-phota-deprecation-date')).toBe('2026-05-08');
		expect((await call('GET', '/profiles/ids')).headers.get('x-phota-deprecation-date')).toBeNull();
	});

	test('enhanceExtraFields: ignored by default, 400 when set to reject400', async () => {
		const body = { image: 'https://x.org/a.jpg', aspect_ratio: '1:1' };
		expect((await call('POST', '/enhance', body)).status).toBe(200);
		sim.settings.enhanceExtraFields = 'reject400';
		const rejected = await call('POST', '/enhance', body);
		expect(rejected.status).toBe(400);
		expect(rejected.json!.code).toBe('UNSUPPORTED_FIELD');
	});

	test('pictureBeforeReady: served by default, 404 before READY when set to reject404', async () => {
		const { json } = await call('POST', '/profiles/add', { image_urls: urls(10) });
		const path = `/profiles/${json!.profile_id}/profile_picture`;
		expect((await call('GET', path)).status).toBe(200);
		sim.settings.pictureBeforeReady = 'reject404';
		expect((await call('GET', path)).status).toBe(404);
		sim.advanceClock(100_000);
		expect((await call('GET', path)).headers.get('content-type')).toBe('image/jpeg');
	});

	test('tokensCountOnEnhanceRemix: [[id]] on /enhance and /remix count by default, or are plain text', async () => {
		const id = await readyProfile();
		const remix = {
			input_image: 'https://x.org/a.jpg',
			reference_image: 'https://x.org/b.jpg',
			num_output_images: 1,
			output_format: 'png',
			response_mode: 'bytes',
		};
		const enhance = { image: 'https://x.org/a.jpg', prompt: `keep [[${id}]]` };
		expect((await call('POST', '/enhance', enhance)).json!.known_subjects).toEqual({
			counts: { [id]: 1 },
		});
		expect(
			(await call('POST', '/remix', { ...remix, prompt: `keep [[${id}]]` })).json!.known_subjects,
		).toEqual({ counts: { [id]: 1 } });

		sim.settings.tokensCountOnEnhanceRemix = false;
		expect((await call('POST', '/enhance', enhance)).json!.known_subjects).toEqual({ counts: {} });
		// An unknown token is not even looked up.
		expect((await call('POST', '/remix', { ...remix, prompt: '[[prof_nobody]]' })).status).toBe(
			200,
		);
		// profile_ids still count, and /generate tokens are unaffected.
		expect(
			(await call('POST', '/enhance', { ...enhance, profile_ids: [id] })).json!.known_subjects,
		).toEqual({ counts: { [id]: 1 } });
		expect((await call('POST', '/generate', { prompt: `[[${id}]]` })).json!.known_subjects).toEqual(
			{
				counts: { [id]: 1 },
			},
		);
	});

	test('transferEncoding "chunked" drops Content-Length; gzip compresses JSON for Accept-Encoding: gzip', async () => {
		const get = async (headers: Record<string, string> = {}) =>
			await undiciRequest(`${sim.baseUrl}/profiles/ids`, {
				headers: { 'x-api-key': KEY, ...headers },
			});
		const plain = await get({ 'accept-encoding': 'gzip' });
		expect(plain.headers['content-length']).toBe('15');
		expect(plain.headers['content-encoding']).toBeUndefined();
		expect(await plain.body.json()).toEqual({ profiles: [] });

		sim.settings.transferEncoding = 'chunked';
		const chunked = await get();
		expect(chunked.headers['transfer-encoding']).toBe('chunked');
		expect(chunked.headers['content-length']).toBeUndefined();
		expect(await chunked.body.json()).toEqual({ profiles: [] });

		sim.settings.transferEncoding = 'content-length';
		sim.settings.gzip = true;
		const identity = await get();
		expect(identity.headers['content-encoding']).toBeUndefined();
		expect(await identity.body.json()).toEqual({ profiles: [] });
		const zipped = await get({ 'accept-encoding': 'gzip, deflate' });
		expect(zipped.headers['content-encoding']).toBe('gzip');
		expect(JSON.parse(gunzipSync(Buffer.from(await zipped.body.arrayBuffer())).toString())).toEqual(
			{
				profiles: [],
			},
		);

		// Both at once, and an image stays uncompressed.
		sim.settings.transferEncoding = 'chunked';
		const id = await readyProfile();
		const both = await get({ 'accept-encoding': 'gzip' });
		expect(both.headers['transfer-encoding']).toBe('chunked');
		expect(JSON.parse(gunzipSync(Buffer.from(await both.body.arrayBuffer())).toString())).toEqual({
			profiles: [id],
		});
		const picture = await undiciRequest(`${sim.baseUrl}/profiles/${id}/profile_picture`, {
			headers: { 'x-api-key': KEY, 'accept-encoding': 'gzip' },
		});
		expect(picture.headers['content-encoding']).toBeUndefined();
		expect(sniffImage(Buffer.from(await picture.body.arrayBuffer()))).toBe('jpeg');
	});

	test('client_request_id alone deduplicates: another prompt or endpoint returns the first job, uncharged', async () => {
		const submit = async (path: string, prompt: string, id: string) =>
			await call('POST', path, {
				prompt,
				response_mode: 'urls',
				async: true,
				client_request_id: id,
				...(path === '/enhance' ? { image: 'https://x.org/a.jpg' } : {}),
			});
		const first = await submit('/generate', 'a red fox', 'same-id');
		expect(first.status).toBe(202);
		expect(sim.spentBy(KEY)).toBe(1);

		const otherPrompt = await submit('/generate', 'a blue whale', 'same-id');
		expect(otherPrompt.status).toBe(202);
		expect(otherPrompt.json).toEqual(first.json);
		const otherEndpoint = await submit('/enhance', 'brighter', 'same-id');
		expect(otherEndpoint.json).toEqual(first.json);
		expect(sim.jobs()).toHaveLength(1);
		expect(sim.spentBy(KEY)).toBe(1);

		const second = await submit('/generate', 'a red fox', 'another-id');
		expect(second.status).toBe(202);
		expect(second.json!.job_id).not.toBe(first.json!.job_id);
		expect(sim.jobs()).toHaveLength(2);
		expect(sim.spentBy(KEY)).toBe(2);
	});
});

describe('latency', () => {
	test('images drawn while the latency runs are the ones drawn without latency', async () => {
		const answerOf = async () => {
			const { status, headers, json } = await call('POST', '/generate', {
				prompt: 'a lighthouse at dusk',
				num_output_images: 2,
			});
			expect(status).toBe(200);
			const seed = headers.get('x-request-id');
			return { seed, images: json!.images as string[] };
		};
		const atOnce = await answerOf();
		sim.settings.latencyMs = { 'POST /generate': 30 };
		const afterLatency = await answerOf();
		for (const { seed, images } of [atOnce, afterLatency]) {
			expect(images).toEqual(
				// Generate's default: 1K, 'auto' (1:1 without an input image).
				[0, 1].map((index) => makePng(`${seed}-${index}`, 1024).toString('base64')),
			);
		}
	});

	test("spread 'even' covers the range evenly in a scrambled order; a reset starts it again", () => {
		const state = new SimState(defaultSettings());
		const range = { min: 100, max: 200, spread: 'even' as const };
		const draws = Array.from({ length: 200 }, () => drawLatency(state, 'POST /edit', range));
		const mean = (values: number[]) =>
			values.reduce((sum, value) => sum + value, 0) / values.length;
		expect(Math.abs(mean(draws) - 150)).toBeLessThan(0.5);
		expect(Math.abs(mean(draws.slice(0, 40)) - 150)).toBeLessThan(2.5);
		expect(Math.min(...draws)).toBeGreaterThanOrEqual(100);
		expect(Math.max(...draws)).toBeLessThan(200);
		// Each tenth of the range gets its share, not in rising order.
		for (let tenth = 0; tenth < 10; tenth++) {
			const inTenth = draws.filter((draw) => Math.floor((draw - 100) / 10) === tenth);
			expect(inTenth.length).toBeGreaterThanOrEqual(19);
			expect(inTenth.length).toBeLessThanOrEqual(21);
		}
		expect(draws.slice(1).some((draw, index) => draw < draws[index])).toBe(true);
		// Routes count apart, and a reset starts over.
		expect(drawLatency(state, 'POST /generate', range)).toBe(draws[0]);
		state.reset();
		expect(drawLatency(state, 'POST /edit', range)).toBe(draws[0]);
	});
});
