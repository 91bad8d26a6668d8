/**
 * What a run made Phota bill, as the node reports it (output pane hint, the error of a failed run,
 * Add Billing to Items), checked against what the simulator charged the key: one unit per image,
 * three per training (simulator/settings.ts, prices).
 */
import type { INodeParameters } from 'n8n-workflow';

import type { RunResult } from './harness/n8n';
import { TEST_API_KEY, usePhotaEnvironment } from './harness/environment';
import { TEST_LOG_GLOBAL } from './harness/testLogGlobal';
import { photoUrls } from './harness/workflow';

const env = usePhotaEnvironment();

function hintsOf(result: RunResult): string[] {
	return (result.run.data.resultData.runData.Phota[0].hints ?? []).map((hint) => hint.message);
}

function billHint(result: RunResult): string | undefined {
	return hintsOf(result).find((message) => message.startsWith('What Phota billed'));
}

/** Runs the node and returns what the simulator charged the key meanwhile. */
async function charged(
	run: () => Promise<RunResult>,
): Promise<{ result: RunResult; spent: number }> {
	const before = env.sim.spentBy(TEST_API_KEY);
	const result = await run();
	return { result, spent: env.sim.spentBy(TEST_API_KEY) - before };
}

const prompts = (...texts: string[]) => texts.map((prompt) => ({ json: { prompt } }));

function generate(options: INodeParameters = {}) {
	return {
		resource: 'image',
		operation: 'generate',
		profiles: { __rl: true, mode: 'id', value: '' },
		prompt: '={{ $json.prompt }}',
		options: { numberOfImages: 2, requestTimeoutSeconds: 5, ...options },
	};
}

const BILL_SUMMARY = 'What Phota billed for this run: ';

/** The bill's sentence at the end of a failed run's error description. */
function billInError(result: RunResult): string | undefined {
	const description = result.error?.description ?? '';
	const at = description.indexOf(BILL_SUMMARY);
	return at < 0 ? undefined : description.slice(at);
}

/** The n8n log lines of the running test (test/harness/testLog.ts). */
function n8nLog(): string[] {
	return (globalThis as unknown as Record<string, string[] | undefined>)[TEST_LOG_GLOBAL] ?? [];
}

/** "2 400 answer, 1 refunded (504, past the sync time limit)" counts 3 requests. */
function countReasons(reasons: string): number {
	return [...reasons.matchAll(/(?:^|, )(\d+) /g)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/** The figures of one operation in a report with no other ("Generate: 2 image requests billed; …"). */
function reportedFigures(report: string, operation: string) {
	const opening = `${BILL_SUMMARY}${operation}: `;
	expect(report.startsWith(opening)).toBe(true);
	const figures = { billed: 0, images: 0, notBilled: 0, mayHaveBeenBilled: 0 };
	for (const clause of report.slice(opening.length).replace(/\.$/, '').split('; ')) {
		let match: RegExpExecArray | null;
		if ((match = /^not billed: (.+)$/.exec(clause))) figures.notBilled = countReasons(match[1]);
		else if ((match = /^may have been billed: (.+)$/.exec(clause)))
			figures.mayHaveBeenBilled = countReasons(match[1]);
		else if ((match = /^(\d+) images? returned$/.exec(clause))) figures.images = Number(match[1]);
		else if ((match = /^(\d+) image requests? billed$/.exec(clause)))
			figures.billed = Number(match[1]);
		else throw new Error(`Unknown clause "${clause}" in the bill report "${report}"`);
	}
	return figures;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition() && Date.now() < deadline) {
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

describe('what a run made Phota bill', () => {
	let jobPhasesMs = { queued: 0, running: 0 };
	beforeAll(() => {
		jobPhasesMs = { ...env.sim.settings.jobPhasesMs };
	});
	afterEach(() => {
		env.sim.settings.jobPhasesMs = { ...jobPhasesMs };
	});

	test('sync images: the billed requests and images match the charges; a refused one and a refunded 504 are not billed (the 504 is sent again as a job)', async () => {
		env.sim.settings.jobPhasesMs = { queued: 50, running: 100 };
		const { result, spent } = await charged(
			async () =>
				await env.runPhota(
					prompts('A beach', 'A __MODERATE__ beach', 'A forest', 'A __TIMEOUT__ lake'),
					generate({ jobPollInterval: 1 }),
					{ continueOnFail: true },
				),
		);
		expect(result.status).toBe('success');
		expect(spent).toBe(6);
		expect(billHint(result)).toBe(
			"What Phota billed for this run: Generate: 3 image requests billed; 6 images returned; not billed: 1 400 answer, 1 refunded (504, past the sync time limit); 1 request past Phota's sync time limit (504) sent again as an async job and waited for.",
		);
	});

	test('429s waited out are not billed twice: billed once per request', async () => {
		env.sim.settings.rateLimit = { maxConcurrent: 1, retryAfterSeconds: 0.05 };
		env.sim.settings.latencyMs = { 'POST /generate': 50 };
		const { result, spent } = await charged(
			async () =>
				await env.runPhota(
					prompts('One', 'Two', 'Three', 'Four'),
					generate({ parallelRequests: 4 }),
				),
		);
		expect(result.status).toBe('success');
		expect(env.sim.log.forRoute('POST /generate').some((request) => request.status === 429)).toBe(
			true,
		);
		expect(spent).toBe(8);
		expect(billHint(result)).toBe(
			'What Phota billed for this run: Generate: 4 image requests billed; 8 images returned.',
		);
	});

	test('async jobs are reported as queued: Phota bills them when they run', async () => {
		const { result, spent } = await charged(
			async () => await env.runPhota(prompts('One', 'Two'), generate({ async: true })),
		);
		expect(result.status).toBe('success');
		expect(spent).toBe(4);
		expect(billHint(result)).toBe(
			'What Phota billed for this run: Generate: 2 async jobs queued (billed when it runs, refunded if it fails).',
		);
	});

	test('an answer lost after Phota processed the request is "may have been billed", and it was', async () => {
		env.sim.faults.add({ route: 'POST /generate', kind: 'reset', afterProcessing: true });
		const { result, spent } = await charged(
			async () =>
				await env.runPhota(prompts('One', 'Two'), generate({ parallelRequests: 1 }), {
					continueOnFail: true,
				}),
		);
		expect(spent).toBe(4);
		expect(billHint(result)).toBe(
			'What Phota billed for this run: Generate: 1 image request billed; 2 images returned; may have been billed: 1 the connection was reset.',
		);
	});

	test("a failed run says what it billed in its error: n8n drops a failed node's hints", async () => {
		const { result, spent } = await charged(
			async () =>
				await env.runPhota(
					prompts('A beach', 'A __MODERATE__ beach'),
					generate({ parallelRequests: 1 }),
				),
		);
		expect(result.status).toBe('error');
		expect(spent).toBe(2);
		expect(result.error?.description).toContain(
			'What Phota billed for this run: Generate: 1 image request billed; 2 images returned; not billed: 1 400 answer.',
		);
	});

	test('a run stopped mid-run says in its error what it made Phota bill, and that agrees with the charges', async () => {
		env.sim.settings.latencyMs = { 'POST /generate': 400 };
		const shots = Array.from({ length: 6 }, (_, shot) => `Shot ${shot}`);
		const before = env.sim.spentBy(TEST_API_KEY);
		// Two at a time, 400 ms each: the stop comes while the second pair is out.
		const result = await env.runPhota(
			prompts(...shots),
			generate({ parallelRequests: 2 }),
			undefined,
			{ cancelAfterMs: 700 },
		);
		expect(result.status).toBe('canceled');
		// Phota finishes (and charges) what was out when the node stopped waiting for it.
		await until(() => env.sim.log.currentInFlight === 0, 3_000);
		const spent = env.sim.spentBy(TEST_API_KEY) - before;

		const report = billInError(result);
		expect(report).toBeDefined();
		// The same sentence is in n8n's log.
		expect(n8nLog()).toContainEqual(expect.stringContaining(`Phota: ${report}`));
		const said = reportedFigures(report!, 'Generate');

		const attempts = env.sim.log.forRoute('POST /generate');
		const sentShots = new Set(
			attempts.map((attempt) => (attempt.body as { prompt: string }).prompt),
		);
		const chargedShots = shots.filter((shot) => {
			const processed = attempts.filter(
				(attempt) => attempt.processed && (attempt.body as { prompt: string }).prompt === shot,
			);
			// Charged at most once per requested image set, never twice.
			expect(processed.length).toBeLessThanOrEqual(1);
			return processed.length === 1;
		});
		// Each charged request cost its 2 images.
		expect(spent).toBe(chargedShots.length * 2);
		// Stopped mid-run: some requests went out, not all.
		expect(chargedShots.length).toBeGreaterThan(0);
		expect(sentShots.size).toBeLessThan(shots.length);

		// Every request that reached Phota is in the report, and every item is accounted for: its
		// request's outcome, or "not sent" when the run had stopped before its turn.
		const outcomes = said.billed + said.notBilled + said.mayHaveBeenBilled;
		const neverSent = Number(/(\d+) input items? not sent/.exec(report!)?.[1] ?? 0);
		expect(outcomes).toBeGreaterThanOrEqual(sentShots.size);
		expect(outcomes + neverSent).toBe(shots.length);
		// Billed only what was charged; what was charged is billed or "may have been billed".
		expect(said.billed).toBeLessThanOrEqual(chargedShots.length);
		expect(said.billed + said.mayHaveBeenBilled).toBeGreaterThanOrEqual(chargedShots.length);
		expect(said.notBilled).toBeLessThanOrEqual(shots.length - chargedShots.length);
		// A request out at the stop may have been billed: the node cannot know.
		expect(said.mayHaveBeenBilled).toBeGreaterThanOrEqual(1);
		// The billed requests' images are the images charged for them.
		expect(said.images).toBe(said.billed * 2);

		// Item by item: the items the error names as finished are the billed ones, each charged.
		const finished = [
			...(result.error?.description ?? '').matchAll(/item (\d+): 2 image\(s\)/g),
		].map((match) => shots[Number(match[1])]);
		expect(finished).toHaveLength(said.billed);
		for (const shot of finished) expect(chargedShots).toContain(shot);
	});

	test("a 504 that is not Phota's refunded sync time limit (a proxy's page, an async submit) may have been billed", async () => {
		env.sim.faults.add({
			route: 'POST /generate',
			kind: 'html',
			status: 504,
			afterProcessing: true,
		});
		const proxy = await charged(
			async () =>
				await env.runPhota(prompts('One'), generate({ maxRetries: 0 }), { continueOnFail: true }),
		);
		expect(proxy.spent).toBe(2);
		expect(billHint(proxy.result)).toBe(
			'What Phota billed for this run: Generate: 0 image requests billed; may have been billed: 1 504 answer.',
		);

		env.sim.faults.add({ route: 'POST /generate', kind: 'status', status: 504 });
		const submit = await charged(
			async () =>
				await env.runPhota(prompts('Two'), generate({ async: true, maxRetries: 0 }), {
					continueOnFail: true,
				}),
		);
		expect(billHint(submit.result)).toBe(
			'What Phota billed for this run: Generate: 0 image requests billed; may have been billed: 1 504 answer.',
		);
	});

	test('an error answer to a resend, after an attempt that may have run, still may have been billed', async () => {
		env.sim.faults.add({ route: 'POST /generate', kind: 'reset', afterProcessing: true });
		env.sim.faults.add({
			route: 'POST /generate',
			kind: 'status',
			status: 400,
			afterProcessing: true,
		});
		const { result, spent } = await charged(
			async () =>
				await env.runPhota(prompts('One'), generate({ async: true, maxRetries: 1 }), {
					continueOnFail: true,
				}),
		);
		expect(spent).toBe(2);
		expect(billHint(result)).toBe(
			'What Phota billed for this run: Generate: 0 image requests billed; may have been billed: 1 400 answer.',
		);
	});

	test('trainings: one per created profile', async () => {
		const { result, spent } = await charged(
			async () =>
				await env.runPhota([{ json: {} }, { json: {} }], {
					resource: 'profile',
					operation: 'create',
					imageUrls: photoUrls(10),
				}),
		);
		expect(spent).toBe(6);
		expect(billHint(result)).toBe(
			'What Phota billed for this run: Create Profile: 2 trainings billed.',
		);
	});

	test('reads bill nothing, and say so', async () => {
		const [id] = await env.readyProfiles(1);
		const result = await env.runPhota([{ json: { profile_ids: [id] } }], {
			resource: 'profile',
			operation: 'getStatus',
		});
		expect(billHint(result)).toBeUndefined();
		expect(hintsOf(result)).toEqual(['Phota billed nothing for this run (no paid request).']);
	});

	test("Add Billing to Items: each input item's share on its first output item, adding up to the run", async () => {
		const result = await env.runPhota(
			prompts('A beach', 'A __MODERATE__ beach', 'A forest'),
			generate({ addBillingToItems: true }),
			{ continueOnFail: true },
		);
		const figures = result.output('Phota').map((item) => item.json.phota_billing);
		expect(figures).toEqual([
			{
				billed_requests: 1,
				images: 2,
				async_jobs_queued: 0,
				not_billed: 0,
				may_have_been_billed: 0,
			},
			undefined,
			{
				billed_requests: 0,
				images: 0,
				async_jobs_queued: 0,
				not_billed: 1,
				may_have_been_billed: 0,
			},
			{
				billed_requests: 1,
				images: 2,
				async_jobs_queued: 0,
				not_billed: 0,
				may_have_been_billed: 0,
			},
			undefined,
		]);
	});
});

describe('caps per node run: refused before the first paid request', () => {
	test('Max Paid Requests: a run that would pass it sends nothing, and the error names the cap, the count and the items', async () => {
		const { result, spent } = await charged(
			async () =>
				await env.runPhota(
					prompts('One', 'Two', 'Three', 'Four'),
					generate({ numberOfImages: 1, maxPaidRequests: 3 }),
				),
		);
		expect(result.status).toBe('error');
		expect(result.error?.message).toBe(
			'Max Paid Requests is 3, and this run would ask Phota for 4 paid requests (input items 0–3)',
		);
		expect(result.error?.description).toContain('Nothing was sent to Phota.');
		expect(spent).toBe(0);
		expect(env.sim.log.forRoute('POST /generate')).toHaveLength(0);
	});

	test('Max Images counts items × Number of Images; at or under the cap the run goes ahead', async () => {
		const over = await charged(
			async () => await env.runPhota(prompts('One', 'Two', 'Three'), generate({ maxImages: 5 })),
		);
		expect(over.result.error?.message).toBe(
			'Max Images is 5, and this run would ask Phota for 6 images (input items 0–2)',
		);
		expect(over.spent).toBe(0);

		const under = await charged(
			async () => await env.runPhota(prompts('One', 'Two'), generate({ maxImages: 4 })),
		);
		expect(under.result.status).toBe('success');
		expect(under.spent).toBe(4);
	});

	test('with Continue On Fail, a run over the cap still sends nothing', async () => {
		const { result, spent } = await charged(
			async () =>
				await env.runPhota(prompts('One', 'Two'), generate({ maxPaidRequests: 1 }), {
					continueOnFail: true,
				}),
		);
		expect(spent).toBe(0);
		expect(result.status).toBe('success');
		expect(result.output('Phota').map((item) => item.json.error)).toEqual([
			'Max Paid Requests is 1, and this run would ask Phota for 2 paid requests (input items 0–1)',
			'Max Paid Requests is 1, and this run would ask Phota for 2 paid requests (input items 0–1)',
		]);
	});

	test('Create Profile: Max Paid Requests counts trainings', async () => {
		const { result, spent } = await charged(
			async () =>
				await env.runPhota([{ json: {} }, { json: {} }], {
					resource: 'profile',
					operation: 'create',
					imageUrls: photoUrls(10),
					options: { maxPaidRequests: 1 },
				}),
		);
		expect(result.error?.message).toBe(
			'Max Paid Requests is 1, and this run would ask Phota for 2 paid requests (input items 0–1)',
		);
		expect(spent).toBe(0);
	});
});

describe('Dry Run: plans every item as it would run and sends nothing paid', () => {
	test('Generate: each item says what it would send, the output pane what the run would ask for', async () => {
		const { result, spent } = await charged(
			async () =>
				await env.runPhota(
					prompts('A beach', 'A forest', 'A lake'),
					generate({ dryRun: true, resolution: '2K' }),
				),
		);
		expect(result.status).toBe('success');
		expect(spent).toBe(0);
		expect(env.sim.log.forRoute('POST /generate')).toHaveLength(0);
		const [first, ...rest] = result.output('Phota');
		expect(rest).toHaveLength(2);
		expect(first.json).toEqual({
			dry_run: true,
			would_send: {
				endpoint: '/generate',
				num_output_images: 2,
				output_format: 'png',
				response_mode: 'bytes',
				base_model: 'nb2',
				resolution: '2K',
				aspect_ratio: 'auto',
				prompt: 'A beach',
			},
			profile_ids: [],
		});
		expect(first.pairedItem).toEqual({ item: 0 });
		expect(hintsOf(result)).toContain(
			'Dry run: nothing was sent to Phota. Run for real, this node would ask Phota for 3 paid requests and 6 images (input items 0–2).',
		);
	});

	test('the same checks as a real run: bad input fails the same way, before anything is sent', async () => {
		const dry = await env.runPhota(prompts('A beach', ''), generate({ dryRun: true }));
		const real = await env.runPhota(prompts('A beach', ''), generate());
		expect(dry.error?.message).toBe('Prompt is empty');
		expect(real.error?.message).toBe('Prompt is empty');
		expect(env.sim.log.forRoute('POST /generate')).toHaveLength(0);
	});

	test('Edit shows where its images would come from; Create Profile the photos and tier', async () => {
		const edit = await env.runPhota([{ json: {} }], {
			resource: 'image',
			operation: 'edit',
			binaryProperties: '',
			imageUrls: ['https://example.org/a.jpg'],
			profiles: { __rl: true, mode: 'id', value: '' },
			prompt: 'Warmer light',
			options: { dryRun: true },
		});
		expect(edit.output('Phota')[0].json.would_send).toMatchObject({
			endpoint: '/edit',
			prompt: 'Warmer light',
			images: ['https://example.org/a.jpg'],
		});

		const create = await env.runPhota([{ json: {} }], {
			resource: 'profile',
			operation: 'create',
			imageUrls: photoUrls(10),
			trainingTier: 'fast',
			options: { dryRun: true },
		});
		expect(create.output('Phota')[0].json.would_send).toEqual({
			endpoint: '/profiles/add',
			image_urls: photoUrls(10),
			training_tier: 'fast',
		});
		expect(env.sim.profiles()).toHaveLength(0);
	});
});
