/**
 * Async jobs and their callbacks as the Phota Trigger meets them: the job document, when a job
 * finishes, signed deliveries with retries, and the callback faults. The receiver is a plain
 * node:http server on a free loopback port that checks the HMAC itself.
 */
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { fetch } from 'undici';

import type { CallbackRecord, PhotaSimulator } from '../../simulator';
import { startSimulator } from '../../simulator';

const KEY = 'callback-key';
let sim: PhotaSimulator;

beforeAll(async () => {
	sim = await startSimulator({ apiKeys: [KEY] });
});
afterAll(async () => await sim.close());
beforeEach(() => {
	sim.reset();
	// Short phases: these tests wait for real deliveries instead of moving the clock.
	sim.settings.jobPhasesMs = { queued: 20, running: 40 };
	sim.settings.httpCallbacksOnLoopback = true;
});

async function call(method: string, path: string, body?: unknown) {
	const response = await fetch(`${sim.baseUrl}${path}`, {
		method,
		headers: { 'X-API-Key': KEY, ...(body ? { 'content-type': 'application/json' } : {}) },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await response.text();
	return { status: response.status, json: JSON.parse(text) as Record<string, any>, text };
}

async function admin(method: string, path: string, body?: unknown) {
	const response = await fetch(`${sim.origin}${path}`, {
		method,
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	return { status: response.status, json: (await response.json()) as Record<string, any> };
}

function submit(callbackUrl: string | undefined, extra: Record<string, unknown> = {}) {
	return call('POST', '/generate', {
		prompt: 'a lighthouse',
		response_mode: 'urls',
		async: true,
		...(callbackUrl ? { callback_url: callbackUrl } : {}),
		...extra,
	});
}

interface Received {
	body: string;
	headers: IncomingHttpHeaders;
	at: number;
}

/** A callback receiver: records every POST, answers each with the next of `answers` (then 200). */
class Receiver {
	readonly received: Received[] = [];
	readonly answers: number[] = [];
	private readonly server: Server;

	constructor() {
		this.server = createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (chunk: Buffer) => chunks.push(chunk));
			req.on('end', () => {
				const body = Buffer.concat(chunks).toString();
				this.received.push({ body, headers: req.headers, at: sim.now() });
				res.statusCode = this.answers.shift() ?? 200;
				res.end('ok');
			});
		});
	}

	get url(): string {
		return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/phota`;
	}

	async listen(): Promise<this> {
		await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
		return this;
	}

	async close(): Promise<void> {
		this.server.closeAllConnections();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}

	/** Waits until `count` callbacks arrived (or fails after `ms`). */
	async waitFor(count: number, ms = 3000): Promise<Received[]> {
		const deadline = Date.now() + ms;
		while (this.received.length < count) {
			if (Date.now() > deadline)
				throw new Error(`${this.received.length} of ${count} callbacks after ${ms} ms`);
			await pause(5);
		}
		return this.received;
	}
}

const pause = async (ms: number) => await new Promise((resolve) => setTimeout(resolve, ms));

function hmac(secret: string, body: string): string {
	return createHmac('sha256', secret).update(body).digest('hex');
}

/** A loopback URL nothing listens on (a port just freed). */
async function closedUrl(): Promise<string> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	await new Promise<void>((resolve) => server.close(() => resolve()));
	return `http://127.0.0.1:${port}/phota`;
}

/** sim.callbacks() once each of its POSTs has its answer or error. */
async function settledCallbacks(): Promise<CallbackRecord[]> {
	for (let wait = 0; wait < 200; wait++) {
		const records = sim.callbacks();
		if (records.every((record) => record.answeredAt !== undefined || record.attempt === 0))
			return records;
		await pause(5);
	}
	throw new Error('callbacks still unanswered');
}

let receiver: Receiver;
beforeEach(async () => {
	receiver = await new Receiver().listen();
});
afterEach(async () => await receiver.close());

describe('the job document', () => {
	test('carries client_request_id, null when none was sent', async () => {
		const withId = await submit(undefined, { client_request_id: 'n8n-exec-7-item-0' });
		const withoutId = await submit(undefined);
		expect((await call('GET', `/jobs/${withId.json.job_id}`)).json).toMatchObject({
			job_id: withId.json.job_id,
			client_request_id: 'n8n-exec-7-item-0',
		});
		expect((await call('GET', `/jobs/${withoutId.json.job_id}`)).json).toMatchObject({
			client_request_id: null,
		});
	});
});

describe('callback_url', () => {
	test('httpCallbacksOnLoopback: plain http to localhost, 127.x.x.x or [::1] is accepted (and delivered)', async () => {
		for (const url of [
			'http://localhost:9/cb',
			'http://127.8.9.10:9/cb',
			'http://[::1]:9/cb',
			'https://hooks.example.org/phota',
		])
			expect([url, (await submit(url)).status]).toEqual([url, 202]);
		const { json } = await submit(receiver.url);
		const [received] = await receiver.waitFor(1);
		expect(JSON.parse(received.body)).toMatchObject({ job_id: json.job_id });
	});

	test('any other plain http URL is refused with 400, as is loopback without the setting', async () => {
		for (const url of [
			'http://hooks.example.org/phota',
			'http://app.localhost/cb',
			'http://localhost.example.org/cb',
			'http://127.0.0.1.nip.io/cb',
			'http://localhost@example.org/cb',
			'http://10.0.0.1/cb',
			'ftp://127.0.0.1/cb',
			'not a url',
		]) {
			const { status, json } = await submit(url);
			expect([url, status, json.code]).toEqual([url, 400, 'INVALID_CALLBACK_URL']);
		}
		sim.settings.httpCallbacksOnLoopback = false;
		expect((await submit(receiver.url)).status).toBe(400);
		sim.settings.requireHttpsCallback = false;
		expect((await submit('http://hooks.example.org/phota')).status).toBe(202);
	});
});

describe('how long a job runs', () => {
	test("the route's latency range is the running phase; finishedAt records its end; the callback comes then", async () => {
		sim.settings.latencyMs = { 'POST /generate': { min: 300, max: 500 } };
		const startedAt = Date.now();
		const { status, json } = await submit(receiver.url);
		expect(status).toBe(202);
		// Answered at once: the latency is the job's, not the submission's.
		expect(Date.now() - startedAt).toBeLessThan(300);
		const [job] = sim.jobs();
		expect(job).toMatchObject({ id: json.job_id, finishedAt: null });
		expect(job.phasesMs.queued).toBe(20);
		expect(job.phasesMs.running).toBeGreaterThanOrEqual(300);
		expect(job.phasesMs.running).toBeLessThan(500);

		const [received] = await receiver.waitFor(1);
		const finishedAt = job.createdAt + 20 + job.phasesMs.running;
		expect(sim.jobs()[0].finishedAt).toBe(finishedAt);
		expect(received.at).toBeGreaterThanOrEqual(finishedAt);
		expect(received.at - finishedAt).toBeLessThan(500);
		const { jobs } = (await (await fetch(`${sim.origin}/__sim/jobs`)).json()) as {
			jobs: Array<Record<string, unknown>>;
		};
		expect(jobs[0]).toMatchObject({ id: json.job_id, finishedAt });
	});

	test("another route's latency does not apply (jobPhasesMs.running does); one number above 0 applies to all", async () => {
		sim.settings.latencyMs = { 'POST /edit': 5000 };
		await submit(undefined);
		sim.settings.latencyMs = 70;
		await submit(undefined);
		sim.settings.latencyMs = 0;
		await submit(undefined);
		expect(sim.jobs().map((job) => job.phasesMs.running)).toEqual([40, 70, 40]);
	});

	test('the sync time limit does not apply to an async job', async () => {
		sim.settings.syncTimeLimitMs = 100;
		sim.settings.latencyMs = { 'POST /generate': 150 };
		expect((await call('POST', '/generate', { prompt: 'sync' })).status).toBe(504);
		const { json } = await submit(receiver.url);
		const [received] = await receiver.waitFor(1);
		expect(JSON.parse(received.body)).toMatchObject({ job_id: json.job_id, status: 'succeeded' });
	});

	test('moving the clock past a job finishes it and sends its callback at once', async () => {
		sim.settings.jobPhasesMs = { queued: 60_000, running: 60_000 };
		const { json } = await submit(receiver.url);
		sim.advanceClock(120_000);
		const [received] = await receiver.waitFor(1);
		expect(sim.jobs()[0].finishedAt).not.toBeNull();
		expect(JSON.parse(received.body)).toMatchObject({ job_id: json.job_id, status: 'succeeded' });
	});
});

describe('delivery', () => {
	test('the body is the job document of GET /jobs, signed with the secret; the POST is recorded', async () => {
		const { json } = await submit(receiver.url, { client_request_id: 'item-1' });
		const [received] = await receiver.waitFor(1);
		expect(received.headers['content-type']).toBe('application/json');
		expect(received.headers['x-phota-signature']).toBe(
			hmac(sim.settings.webhookSecret, received.body),
		);
		const polled = await call('GET', `/jobs/${json.job_id}`);
		expect(received.body).toBe(polled.text);
		expect(JSON.parse(received.body)).toMatchObject({
			job_id: json.job_id,
			status: 'succeeded',
			client_request_id: 'item-1',
			result: { download_urls: [expect.any(String)] },
			error: null,
		});

		const records = await settledCallbacks();
		expect(records).toEqual([
			{
				jobId: json.job_id,
				url: receiver.url,
				attempt: 1,
				sentAt: expect.any(Number),
				answeredStatus: 200,
				answeredAt: expect.any(Number),
				signature: received.headers['x-phota-signature'],
			},
		]);
		expect(records[0].sentAt).toBeGreaterThanOrEqual(sim.jobs()[0].finishedAt!);
		expect((await admin('GET', '/__sim/callbacks')).json).toEqual({ callbacks: records });
		expect(JSON.stringify(records)).not.toContain(sim.settings.webhookSecret);
	});

	test('a failed job is called back too, with its error', async () => {
		await call('POST', '/generate', {
			prompt: '__JOB_FAIL__',
			response_mode: 'urls',
			async: true,
			callback_url: receiver.url,
		});
		const [received] = await receiver.waitFor(1);
		expect(JSON.parse(received.body)).toMatchObject({
			status: 'failed',
			result: null,
			error: { code: 'GENERATION_FAILED' },
		});
	});

	test('a 500 answer is retried after callbackRetryDelayMs, with the same body', async () => {
		sim.settings.callbackRetryDelayMs = 80;
		receiver.answers.push(500);
		await submit(receiver.url);
		const [first, second] = await receiver.waitFor(2);
		expect(second.body).toBe(first.body);
		expect(second.headers['x-phota-signature']).toBe(first.headers['x-phota-signature']);
		expect(second.at - first.at).toBeGreaterThanOrEqual(80);
		expect(
			(await settledCallbacks()).map(({ attempt, answeredStatus }) => [attempt, answeredStatus]),
		).toEqual([
			[1, 500],
			[2, 200],
		]);
	});

	test('callbackRetries retries at most, on non-2xx answers and on connection errors', async () => {
		sim.settings.callbackRetryDelayMs = 10;
		receiver.answers.push(503, 302, 500, 500);
		await submit(receiver.url);
		await receiver.waitFor(3);
		const unreachable = await closedUrl();
		await submit(unreachable);
		await pause(300);
		expect(receiver.received).toHaveLength(3);
		const records = sim.callbacks();
		expect(
			records.filter((record) => record.url === receiver.url).map((r) => r.answeredStatus),
		).toEqual([503, 302, 500]);
		const refused = records.filter((record) => record.url === unreachable);
		expect(refused.map((record) => record.attempt)).toEqual([1, 2, 3]);
		for (const record of refused) {
			expect(record.answeredStatus).toBeUndefined();
			expect(record.error).toMatch(/ECONNREFUSED/);
		}
	});

	test('dropCallbacks: no callback at all, the job still finishes', async () => {
		sim.settings.dropCallbacks = true;
		const { json } = await submit(receiver.url);
		await pause(200);
		expect(receiver.received).toHaveLength(0);
		expect((await call('GET', `/jobs/${json.job_id}`)).json.status).toBe('succeeded');
	});

	test('reset() stops a delivery under way and forgets the recorded ones', async () => {
		sim.settings.callbackRetryDelayMs = 150;
		receiver.answers.push(500);
		await submit(receiver.url);
		await receiver.waitFor(1);
		expect(sim.callbacks()).toHaveLength(1);
		sim.reset();
		expect(sim.callbacks()).toEqual([]);
		await pause(300);
		expect(receiver.received).toHaveLength(1);
		expect(sim.callbacks()).toEqual([]);
	});
});

describe('callback faults', () => {
	const bodyOf = (received: Received) => JSON.parse(received.body) as Record<string, unknown>;

	test('drop: not sent (recorded as attempt 0), the job still finishes; the next callback is sent', async () => {
		expect(sim.addCallbackFault({ kind: 'drop' })).toBe(1);
		const dropped = await submit(receiver.url);
		await pause(200);
		expect(receiver.received).toHaveLength(0);
		expect((await call('GET', `/jobs/${dropped.json.job_id}`)).json.status).toBe('succeeded');
		expect(sim.callbacks()).toEqual([
			expect.objectContaining({ jobId: dropped.json.job_id, attempt: 0, fault: 'drop' }),
		]);
		const next = await submit(receiver.url);
		const [received] = await receiver.waitFor(1);
		expect(bodyOf(received).job_id).toBe(next.json.job_id);
	});

	test('delay (through POST /__sim/callback-faults): sent delayMs after the job finished', async () => {
		expect(
			(await admin('POST', '/__sim/callback-faults', { kind: 'delay', delayMs: 250 })).json,
		).toEqual({ pending: 1 });
		await submit(receiver.url);
		const [received] = await receiver.waitFor(1);
		// 1 ms less: a timer can fire that much before Date.now() shows its time.
		expect(received.at - sim.jobs()[0].finishedAt!).toBeGreaterThanOrEqual(249);
		expect((await settledCallbacks())[0]).toMatchObject({
			attempt: 1,
			fault: 'delay',
			answeredStatus: 200,
		});
	});

	test('repeat: the identical POST repeats more times, not retried', async () => {
		sim.settings.callbackRetryDelayMs = 10;
		sim.addCallbackFault({ kind: 'repeat', repeats: 2, delayMs: 30 });
		receiver.answers.push(200, 500, 500);
		await submit(receiver.url);
		const received = await receiver.waitFor(3);
		await pause(150);
		expect(receiver.received).toHaveLength(3);
		for (const copy of received.slice(1)) {
			expect(copy.body).toBe(received[0].body);
			expect(copy.headers['x-phota-signature']).toBe(received[0].headers['x-phota-signature']);
		}
		expect(received[0].headers['x-phota-signature']).toBe(
			hmac(sim.settings.webhookSecret, received[0].body),
		);
		const records = await settledCallbacks();
		expect(
			records.map(({ attempt, fault, answeredStatus }) => [attempt, fault, answeredStatus]),
		).toEqual([
			[1, 'repeat', 200],
			[2, 'repeat', 500],
			[3, 'repeat', 500],
		]);
		expect(records[2].sentAt - records[1].sentAt).toBeGreaterThanOrEqual(29);
	});

	test('tamper: the body changed after signing, the signature of the original kept', async () => {
		sim.addCallbackFault({ kind: 'tamper' });
		const { json } = await submit(receiver.url);
		const [received] = await receiver.waitFor(1);
		const signature = received.headers['x-phota-signature'];
		expect(bodyOf(received)).toMatchObject({ job_id: json.job_id, status: 'failed' });
		expect((await call('GET', `/jobs/${json.job_id}`)).json.status).toBe('succeeded');
		expect(signature).not.toBe(hmac(sim.settings.webhookSecret, received.body));
		const original = JSON.stringify({ ...bodyOf(received), status: 'succeeded' });
		expect(signature).toBe(hmac(sim.settings.webhookSecret, original));
	});

	test('unsigned: no X-Phota-Signature, on the retries too; times counts callbacks', async () => {
		sim.settings.callbackRetryDelayMs = 10;
		sim.addCallbackFault({ kind: 'unsigned', times: 2 });
		receiver.answers.push(401);
		await submit(receiver.url);
		await receiver.waitFor(2);
		await submit(receiver.url);
		await receiver.waitFor(3);
		await submit(receiver.url);
		const received = await receiver.waitFor(4);
		expect(received.map((post) => post.headers['x-phota-signature'])).toEqual([
			undefined,
			undefined,
			undefined,
			hmac(sim.settings.webhookSecret, received[3].body),
		]);
		expect(sim.callbacks().map((record) => record.fault)).toEqual([
			'unsigned',
			'unsigned',
			'unsigned',
			undefined,
		]);
		expect(sim.callbacks()[0].signature).toBeUndefined();
	});

	test('wrongSecret: signed, but not with the webhook secret', async () => {
		sim.addCallbackFault({ kind: 'wrongSecret' });
		await submit(receiver.url);
		const [received] = await receiver.waitFor(1);
		const signature = received.headers['x-phota-signature'];
		expect(signature).toMatch(/^[0-9a-f]{64}$/);
		expect(signature).not.toBe(hmac(sim.settings.webhookSecret, received.body));
	});

	test('jobId: only that job gets the fault', async () => {
		const first = await submit(receiver.url);
		const second = await submit(receiver.url);
		sim.addCallbackFault({ kind: 'drop', jobId: second.json.job_id });
		await receiver.waitFor(1);
		await pause(200);
		expect(receiver.received.map((post) => bodyOf(post).job_id)).toEqual([first.json.job_id]);
		expect(sim.callbacks().find((record) => record.fault === 'drop')?.jobId).toBe(
			second.json.job_id,
		);
	});

	test('bad specs: 400 from the admin endpoint, an Error in process; reset() forgets queued faults', async () => {
		for (const spec of [
			{ kind: 'explode' },
			{ kind: 'drop', times: 0 },
			{ kind: 'repeat', repeats: 1.5 },
			{ kind: 'delay', delayMs: -1 },
		]) {
			const answer = await admin('POST', '/__sim/callback-faults', spec);
			expect(answer.status).toBe(400);
			expect(answer.json.detail).toEqual(expect.any(String));
		}
		expect(() => sim.addCallbackFault({ kind: 'drop', times: -1 })).toThrow(/times/);
		expect(sim.addCallbackFault({ kind: 'drop', times: 3 })).toBe(3);
		sim.reset();
		sim.settings.jobPhasesMs = { queued: 20, running: 40 };
		sim.settings.httpCallbacksOnLoopback = true;
		await submit(receiver.url);
		await receiver.waitFor(1);
		expect(sim.callbacks()[0].fault).toBeUndefined();
	});
});

describe('rotating the webhook secret', () => {
	const secretNow = async () => (await call('GET', '/webhook-secret')).json.secret as string;
	const signatureOf = (received: Received) => received.headers['x-phota-signature'];

	test('PATCH /__sim/settings or sim.settings: GET /webhook-secret and the next callbacks use it at once', async () => {
		const initial = await secretNow();
		expect(initial).toBe(sim.settings.webhookSecret);

		await admin('PATCH', '/__sim/settings', { webhookSecret: 'whsec_rotated_by_patch' });
		expect(await secretNow()).toBe('whsec_rotated_by_patch');
		await submit(receiver.url);
		const [byPatch] = await receiver.waitFor(1);
		expect(signatureOf(byPatch)).toBe(hmac('whsec_rotated_by_patch', byPatch.body));
		expect(signatureOf(byPatch)).not.toBe(hmac(initial, byPatch.body));

		sim.settings.webhookSecret = 'whsec_rotated_in_process';
		expect(await secretNow()).toBe('whsec_rotated_in_process');
		await submit(receiver.url);
		const [, inProcess] = await receiver.waitFor(2);
		expect(signatureOf(inProcess)).toBe(hmac('whsec_rotated_in_process', inProcess.body));
	});

	test('a retry after the rotation is signed with the new secret', async () => {
		sim.settings.callbackRetryDelayMs = 100;
		receiver.answers.push(500);
		await submit(receiver.url);
		const [first] = await receiver.waitFor(1);
		const old = sim.settings.webhookSecret;
		sim.settings.webhookSecret = 'whsec_rotated_between_attempts';
		const [, retry] = await receiver.waitFor(2);
		expect(signatureOf(first)).toBe(hmac(old, first.body));
		expect(signatureOf(retry)).toBe(hmac('whsec_rotated_between_attempts', retry.body));
	});

	test('download URLs handed out before the rotation still download', async () => {
		await submit(receiver.url);
		const [received] = await receiver.waitFor(1);
		sim.settings.webhookSecret = 'whsec_rotated_after_the_job';
		const [url] = (JSON.parse(received.body) as { result: { download_urls: string[] } }).result
			.download_urls;
		expect((await fetch(url)).status).toBe(200);
	});
});
