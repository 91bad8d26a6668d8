/**
 * Options → Async Job → "Submit and Wait Here", and the sync request that Phota ends at
 * its time limit (504, refunded), sent again as a job: run through n8n against the simulator.
 */
import type { INodeParameters } from 'n8n-workflow';

import { TEST_API_KEY, usePhotaEnvironment } from './harness/environment';
import { NO_PROFILES } from './harness/workflow';
import { sniffImage } from '../simulator';

const env = usePhotaEnvironment();

let jobPhasesMs = { queued: 0, running: 0 };
beforeAll(() => {
	jobPhasesMs = { ...env.sim.settings.jobPhasesMs };
});
afterEach(() => {
	env.sim.settings.jobPhasesMs = { ...jobPhasesMs };
});

/** Jobs that finish on their own within about a second. */
function quickJobs(): void {
	env.sim.settings.jobPhasesMs = { queued: 100, running: 300 };
}

function generate(options: INodeParameters = {}, prompt = '={{ $json.prompt }}') {
	return {
		resource: 'image',
		operation: 'generate',
		profiles: NO_PROFILES,
		prompt,
		options: { async: 'wait', jobPollInterval: 1, numberOfImages: 2, ...options },
	};
}

const prompts = (...texts: string[]) => texts.map((prompt) => ({ json: { prompt } }));

function billHint(result: Awaited<ReturnType<typeof env.runPhota>>): string | undefined {
	const hints = result.run.data.resultData.runData.Phota?.[0]?.hints ?? [];
	return hints.map((hint) => hint.message).find((message) => message.startsWith('What Phota'));
}

describe('Async Job: submit as a job and wait here', () => {
	test('every item is a job, waited for: the same output as a sync run (binaries, pairedItem, input order)', async () => {
		quickJobs();
		const [profileId] = await env.readyProfiles(1, 'ada');
		const result = await env.runPhota(
			[
				{ json: { prompt: '[[profile]] in a forest', profile_ids: [profileId] } },
				{ json: { prompt: '[[profile]] on a boat', profile_ids: [profileId] } },
				{ json: { prompt: '[[profile]] at a desk', profile_ids: [profileId] } },
			],
			{ ...generate(), profiles: undefined },
		);
		expect(result.status).toBe('success');
		const items = result.output('Phota');
		expect(items).toHaveLength(6);
		const jobs = env.sim.jobs();
		expect(jobs).toHaveLength(3);
		for (const [index, item] of items.entries()) {
			const itemIndex = Math.floor(index / 2);
			expect(item.pairedItem).toEqual({ item: itemIndex });
			expect(item.json).toMatchObject({
				operation: 'generate',
				profile_ids: [profileId],
				image_number: (index % 2) + 1,
				job_id: expect.stringMatching(/^job_/),
				download_url: expect.any(String),
				mime_type: 'image/png',
			});
			expect(sniffImage(await env.n8n.binaryBuffer(item.binary!.data))).toBe('png');
		}
		// Input order: each item's images come from the job its own request started.
		const sent = env.sim.log
			.forRoute('POST /generate')
			.map((entry) => entry.body as INodeParameters);
		expect(sent.every((body) => body.async === true && body.response_mode === 'urls')).toBe(true);
		const promptOfJob = new Map(
			jobs.map((job) => [
				job.id,
				sent.find((body) => body.client_request_id === job.clientRequestId)?.prompt,
			]),
		);
		expect(
			items
				.filter((_, index) => index % 2 === 0)
				.map((item) => promptOfJob.get(item.json.job_id as string)),
		).toEqual([
			`[[${profileId}]] in a forest`,
			`[[${profileId}]] on a boat`,
			`[[${profileId}]] at a desk`,
		]);
		expect(billHint(result)).toBe(
			'What Phota billed for this run: Generate: 3 image requests billed; 6 images returned.',
		);
	});

	test('Download URLs Only: the URLs, no binary', async () => {
		quickJobs();
		const result = await env.runPhota(prompts('A lake'), generate({ delivery: 'urls' }));
		const items = result.output('Phota');
		expect(items).toHaveLength(2);
		expect(items.every((item) => !item.binary && typeof item.json.download_url === 'string')).toBe(
			true,
		);
	});

	test('"wait" from an expression works like the option', async () => {
		quickJobs();
		const result = await env.runPhota([{ json: { prompt: 'A hill', mode: 'wait' } }], {
			...generate(),
			options: { async: '={{ $json.mode }}', jobPollInterval: 1 },
		});
		expect(result.status).toBe('success');
		expect(result.output('Phota')[0].json.job_id).toEqual(expect.stringMatching(/^job_/));
	});

	test('a failed job is its item’s error with its job_id (Continue On Fail); the others finish; Phota refunds it', async () => {
		quickJobs();
		const spentBefore = env.sim.spentBy(TEST_API_KEY);
		const result = await env.runPhota(
			prompts('A calm sea', '__JOB_FAIL__ storm', 'A harbour'),
			generate(),
			{ continueOnFail: true },
		);
		expect(result.status).toBe('success');
		const items = result.output('Phota');
		expect(items).toHaveLength(5);
		const failed = items.find((item) => item.json.error);
		expect(failed?.pairedItem).toEqual({ item: 1 });
		expect(failed?.json).toMatchObject({
			error: expect.stringMatching(
				/^Phota's job job_\w+ failed: The image could not be generated\. \(GENERATION_FAILED\)$/,
			),
			job_id: expect.stringMatching(/^job_/),
		});
		expect(env.sim.spentBy(TEST_API_KEY) - spentBefore).toBe(4);
		expect(billHint(result)).toBe(
			'What Phota billed for this run: Generate: 2 image requests billed; 4 images returned; not billed: 1 async job failed (refunded).',
		);
	});

	test('a submit whose answer was lost is resent with the same client_request_id and paid once', async () => {
		quickJobs();
		const spentBefore = env.sim.spentBy(TEST_API_KEY);
		env.sim.faults.add({ route: 'POST /generate', kind: 'reset', afterProcessing: true });
		const result = await env.runPhota(prompts('A meadow'), generate());
		expect(result.status).toBe('success');
		expect(result.output('Phota')).toHaveLength(2);
		const submits = env.sim.log.forRoute('POST /generate');
		expect(submits).toHaveLength(2);
		const ids = submits.map((entry) => (entry.body as INodeParameters).client_request_id);
		expect(ids[0]).toEqual(ids[1]);
		expect(env.sim.jobs()).toHaveLength(1);
		expect(env.sim.spentBy(TEST_API_KEY) - spentBefore).toBe(2);
	});

	test('a job still running at Job Max Wait fails its item, naming the job to read later', async () => {
		const started = Date.now();
		const result = await env.runPhota(
			prompts('A slow glacier'),
			generate({ jobMaxWait: 0.1, jobPollInterval: 2 }),
			{ continueOnFail: true },
		);
		const elapsed = Date.now() - started;
		const [item] = result.output('Phota');
		expect(item.json.error).toMatch(/^Job job_\w+ had not finished after 6 seconds$/);
		expect(item.json.errorDescription).toMatch(/Job → Get \(job_id job_\w+\)/);
		expect(item.json.job_id).toEqual(env.sim.jobs()[0].id);
		expect(elapsed).toBeGreaterThanOrEqual(6000);
		expect(elapsed).toBeLessThan(12_000);
	});

	test('Stop ends the wait at once, however long the poll interval', async () => {
		const started = Date.now();
		const result = await env.runPhota(
			prompts('A long night'),
			generate({ jobPollInterval: 60 }),
			{},
			{
				cancelAfterMs: 800,
			},
		);
		expect(result.status).toBe('canceled');
		expect(Date.now() - started).toBeLessThan(5000);
		expect(env.sim.log.forRoute('GET /jobs/:id')).toHaveLength(0);
	});

	test('without Continue On Fail, a failed item stops the node at once; its error names the jobs it stopped waiting for', async () => {
		const started = Date.now();
		// Item 0's job runs for a minute; item 1 is refused when it is submitted (400).
		const result = await env.runPhota(
			prompts('A slow glacier', 'A __MODERATE__ storm'),
			generate({ jobPollInterval: 30, parallelRequests: 1 }),
		);
		expect(result.status).toBe('error');
		expect(Date.now() - started).toBeLessThan(5000);
		const [job] = env.sim.jobs();
		expect(result.error?.description).toContain(
			`The node stopped waiting for 1 async job(s), which still run at Phota and are billed when they do: item 0: job ${job.id}. Read their images with Job → Get.`,
		);
	});

	test('polls go through the request limiter: never more than Parallel Requests at once', async () => {
		env.sim.settings.jobPhasesMs = { queued: 500, running: 1500 };
		env.sim.settings.latencyMs = { 'GET /jobs/:id': 200 };
		try {
			const result = await env.runPhota(
				prompts('One', 'Two', 'Three', 'Four', 'Five', 'Six'),
				generate({ parallelRequests: 2, delivery: 'urls' }),
			);
			expect(result.status).toBe('success');
			expect(env.sim.log.maxInFlight).toBeLessThanOrEqual(2);
			expect(env.sim.log.forRoute('GET /jobs/:id').length).toBeGreaterThanOrEqual(6);
		} finally {
			env.sim.settings.latencyMs = 0;
		}
	});
});

describe('a sync request past Phota’s time limit (504, refunded)', () => {
	test('is sent again as a job and waited for; the output pane says so', async () => {
		quickJobs();
		const spentBefore = env.sim.spentBy(TEST_API_KEY);
		const result = await env.runPhota(
			prompts('A __TIMEOUT__ lake', 'A river'),
			generate({ async: false }),
		);
		expect(result.status).toBe('success');
		const items = result.output('Phota');
		expect(items).toHaveLength(4);
		expect(items[0].json).toMatchObject({
			job_id: expect.stringMatching(/^job_/),
			resent_as_job_after: "Phota's sync time limit (504, refunded)",
		});
		expect(sniffImage(await env.n8n.binaryBuffer(items[0].binary!.data))).toBe('png');
		expect(items[2].json.job_id).toBeUndefined();
		const [timedOut, resent] = env.sim.log
			.forRoute('POST /generate')
			.filter((entry) => String((entry.body as INodeParameters).prompt).includes('lake'));
		expect(timedOut.status).toBe(504);
		expect(resent.body).toMatchObject({ async: true, response_mode: 'urls' });
		expect(env.sim.spentBy(TEST_API_KEY) - spentBefore).toBe(4);
		expect(billHint(result)).toBe(
			"What Phota billed for this run: Generate: 2 image requests billed; 4 images returned; not billed: 1 refunded (504, past the sync time limit); 1 request past Phota's sync time limit (504) sent again as an async job and waited for.",
		);
	});

	test('a proxy’s 504 (no JSON from Phota) is not resent: Phota may have run it', async () => {
		env.sim.faults.add({ route: 'POST /generate', kind: 'html', status: 504 });
		const result = await env.runPhota(
			prompts('A pond'),
			generate({ async: false, maxRetries: 0 }),
			{
				continueOnFail: true,
			},
		);
		const [item] = result.output('Phota');
		expect(item.json.error).toMatch(/504/);
		expect(env.sim.log.forRoute('POST /generate')).toHaveLength(1);
		expect(env.sim.jobs()).toHaveLength(0);
	});
});
