/**
 * Async jobs and their callbacks as the Phota Trigger meets them: the job document, when a job
 * finishes, signed deliveries with retries, and the callback faults. The receiver is a plain
 * node:http server on a free loopback port that checks the HMAC itself.
 */
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { fetch } from 'undici';

import type { PhotaSimulator } from '../../simulator';
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
	sim.settings.requireHttpsCallback = false;
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

describe('how long a job runs', () => {
	test("the route's latency range is the running phase; finishedAt records its end; the callback comes then", async () => {
		sim.settings.latencyMs = { 'POST /generate': { min: 150, max: 250 } };
		const startedAt = Date.now();
		const { status, json } = await submit(receiver.url);
		expect(status).toBe(202);
		// Answered at once: the latency is the job's, not the submission's.
		expect(Date.now() - startedAt).toBeLessThan(150);
		const [job] = sim.jobs();
		expect(job).toMatchObject({ id: json.job_id, finishedAt: null });
		expect(job.phasesMs.queued).toBe(20);
		expect(job.phasesMs.running).toBeGreaterThanOrEqual(150);
		expect(job.phasesMs.running).toBeLessThan(250);

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
