import type { INodeExecutionData, INodeParameters } from 'n8n-workflow';

import type { RunResult } from './harness/n8n';
import { TEST_API_KEY, usePhotaEnvironment } from './harness/environment';
import { chain, fixtureNode, photoUrls, waitNode } from './harness/workflow';
import { makePng } from '../simulator';
import type { FaultSpec, LoggedRequest } from '../simulator';

const env = usePhotaEnvironment();

/** Each attempt may take 2.5 s: a hung request times out quickly, a loaded CI machine still answers in time. */
const fastTimeout = { requestTimeoutSeconds: 2.5 };

/**
 * How a resend could affect billing, as the retry policy sees it (see transport/retryPolicy.ts):
 * reads and deletes are always resent, paid requests only when Phota certainly did not run them,
 * async image requests are resent with the same client_request_id.
 */
type Safety = 'read' | 'paid' | 'deduplicated';

interface Prepared {
	profileIds: string[];
	job?: INodeExecutionData;
}

interface Family {
	name: string;
	/** The simulator route the fault is put on. */
	route: string;
	safety: Safety;
	/** Makes the state the request needs (READY profiles, a finished job), before the fault is set. */
	prepare?(): Promise<Prepared>;
	run(prepared: Prepared): Promise<RunResult>;
	expectSuccess(result: RunResult): void;
	/** The one request of the run that Phota bills, for a family whose run sends one. */
	bills?: PaidRequest;
}

/** A request Phota bills: where it goes, how the node's report names it, what it costs. */
interface PaidRequest {
	route: string;
	/** The operation's name in the node's report ("Generate: 1 image request billed; …"). */
	operation: string;
	/** Billed per image (the images asked for), or per training. */
	unit: 'image' | 'training';
	/** Images asked for: the run's Number of Images (1 by default); 0 for a training. */
	images: number;
}

const paidImageRequest = (route: string, operation: string): PaidRequest => ({
	route,
	operation,
	unit: 'image',
	images: 1,
});

interface FaultClass {
	name: string;
	spec: Omit<FaultSpec, 'route'>;
	/** Phota certainly did not run the request, so even a paid request may be resent. */
	notProcessed: boolean;
	/** The message of the error when the request is not resent. */
	message: RegExp;
}

const faultClasses: FaultClass[] = [
	{
		name: '429 with Retry-After',
		spec: { kind: 'status', status: 429, retryAfterSeconds: 0 },
		notProcessed: true,
		message: /Phota is rate limiting requests \(429\)/,
	},
	{
		name: '503 with Retry-After',
		spec: { kind: 'status', status: 503, retryAfterSeconds: 0 },
		notProcessed: true,
		message: /Phota is temporarily unavailable \(503\)/,
	},
	{
		name: '502 before processing',
		spec: { kind: 'status', status: 502 },
		notProcessed: false,
		message: /Phota returned a gateway error \(502\)/,
	},
	{
		name: '502 after processing',
		spec: { kind: 'status', status: 502, afterProcessing: true },
		notProcessed: false,
		message: /Phota returned a gateway error \(502\)/,
	},
	{
		// Phota's own 504 (JSON) to a sync image request is sent again as a job: test/asyncWait.test.ts.
		name: '504 from a gateway',
		spec: { kind: 'status', status: 504, body: { message: 'Endpoint request timed out' } },
		notProcessed: false,
		message: /Phota timed out processing the request \(504\)/,
	},
	{
		name: 'connection reset before processing',
		spec: { kind: 'reset' },
		notProcessed: false,
		message: /Could not reach Phota: the connection was reset/,
	},
	{
		name: 'connection reset after processing',
		spec: { kind: 'reset', afterProcessing: true },
		notProcessed: false,
		message: /Could not reach Phota: the connection was reset/,
	},
	{
		name: 'request timeout (no answer)',
		spec: { kind: 'hang' },
		notProcessed: false,
		message: /Could not reach Phota: the request timed out/,
	},
];

const png = { base64: makePng('in').toString('base64'), fileName: 'in.png', mimeType: 'image/png' };

async function generate(profileIds: string[], options: INodeParameters = {}) {
	return await env.runPhota([{ json: { profile_ids: profileIds } }], {
		resource: 'image',
		operation: 'generate',
		prompt: 'Portrait of [[profile]]',
		options: { ...fastTimeout, ...options },
	});
}

async function readyProfile(): Promise<Prepared> {
	return { profileIds: await env.readyProfiles(1) };
}

/** One item with these profile_ids through a Profile operation. */
async function onProfiles(profileIds: string[], operation: string) {
	return await env.runPhota([{ json: { profile_ids: profileIds } }], {
		resource: 'profile',
		operation,
		options: fastTimeout,
	});
}

function expectOneImage(result: RunResult) {
	const [item, ...rest] = result.output('Phota');
	expect(rest).toHaveLength(0);
	expect(item.binary?.data?.mimeType).toBe('image/png');
}

const families: Family[] = [
	{
		name: 'Profile → Create',
		route: 'POST /profiles/add',
		safety: 'paid',
		run: async () =>
			await env.runPhota([{ json: {} }], {
				resource: 'profile',
				operation: 'create',
				imageUrls: photoUrls(10),
				options: fastTimeout,
			}),
		expectSuccess(result) {
			expect(result.output('Phota')[0].json.profile_id).toBe(env.sim.profiles()[0].id);
		},
		bills: {
			route: 'POST /profiles/add',
			operation: 'Create Profile',
			unit: 'training',
			images: 0,
		},
	},
	{
		name: 'Profile → Get Status',
		route: 'GET /profiles/:id/status',
		safety: 'read',
		prepare: readyProfile,
		run: async ({ profileIds }) => await onProfiles(profileIds, 'getStatus'),
		expectSuccess(result) {
			expect(result.output('Phota')[0].json.status).toBe('READY');
		},
	},
	{
		name: 'Profile → Get Many',
		route: 'GET /profiles/ids',
		safety: 'read',
		prepare: async () => ({ profileIds: await env.readyProfiles(2) }),
		run: async () => {
			return await env.runPhota([{ json: {} }], {
				resource: 'profile',
				operation: 'getMany',
				options: { ...fastTimeout, includeStatus: false },
			});
		},
		expectSuccess(result) {
			expect(result.output('Phota')).toHaveLength(2);
		},
	},
	{
		name: 'Profile → Get Picture',
		route: 'GET /profiles/:id/profile_picture',
		safety: 'read',
		prepare: readyProfile,
		run: async ({ profileIds }) => await onProfiles(profileIds, 'getPicture'),
		expectSuccess(result) {
			expect(result.output('Phota')[0].binary?.data?.mimeType).toBe('image/jpeg');
		},
	},
	{
		name: 'Profile → Delete',
		route: 'DELETE /profiles/:id',
		safety: 'read',
		prepare: readyProfile,
		run: async ({ profileIds }) => await onProfiles(profileIds, 'deleteProfile'),
		expectSuccess(result) {
			expect(result.output('Phota')[0].json).toMatchObject({ deleted: true });
			expect(env.sim.profiles()).toHaveLength(0);
		},
	},
	{
		name: 'Image → Generate (sync)',
		route: 'POST /generate',
		safety: 'paid',
		prepare: readyProfile,
		run: async ({ profileIds }) => await generate(profileIds),
		expectSuccess: expectOneImage,
		bills: paidImageRequest('POST /generate', 'Generate'),
	},
	{
		name: 'Image → Edit (sync, binary input)',
		route: 'POST /edit',
		safety: 'paid',
		prepare: readyProfile,
		run: async ({ profileIds }) => {
			return await env.runPhota([{ json: { profile_ids: profileIds }, binary: { data: png } }], {
				resource: 'image',
				operation: 'edit',
				prompt: 'Put [[profile]] on a beach',
				options: fastTimeout,
			});
		},
		expectSuccess: expectOneImage,
		bills: paidImageRequest('POST /edit', 'Edit'),
	},
	{
		name: 'Image → Generate (async)',
		route: 'POST /generate',
		safety: 'deduplicated',
		prepare: readyProfile,
		run: async ({ profileIds }) => await generate(profileIds, { async: true }),
		expectSuccess(result) {
			const jobs = env.sim.jobs();
			expect(jobs).toHaveLength(1);
			expect(result.output('Phota')[0].json.job_id).toBe(jobs[0].id);
		},
		bills: paidImageRequest('POST /generate', 'Generate'),
	},
	{
		name: 'Job → Get',
		route: 'GET /jobs/:id',
		safety: 'read',
		prepare: async () => {
			const { profileIds } = await readyProfile();
			const submitted = await generate(profileIds, { async: true });
			env.sim.advanceClock(600_000);
			env.sim.log.clear();
			return { profileIds, job: submitted.output('Phota')[0] };
		},
		run: async ({ job }) => {
			return await env.runPhota([{ json: job!.json }], {
				resource: 'job',
				operation: 'get',
				jobId: '={{ $json.job_id }}',
				options: fastTimeout,
			});
		},
		expectSuccess(result) {
			expectOneImage(result);
			expect(result.output('Phota')[0].json.status).toBe('succeeded');
		},
	},
	{
		name: 'result download (signed URL)',
		route: 'GET /files/:name',
		safety: 'read',
		prepare: readyProfile,
		run: async ({ profileIds }) => await generate(profileIds, { delivery: 'urlsThenBinary' }),
		expectSuccess: expectOneImage,
		bills: paidImageRequest('POST /generate', 'Generate'),
	},
	{
		name: 'Wait for Profile Ready (status polls)',
		route: 'GET /profiles/:id/status',
		safety: 'read',
		prepare: readyProfile,
		run: async ({ profileIds }) => {
			return await env.run(
				chain(
					fixtureNode([{ json: { profile_ids: profileIds } }]),
					waitNode(
						{ pollIntervalSeconds: 0.05, timeoutMinutes: 1, options: fastTimeout },
						{ name: 'Phota' },
					),
				),
			);
		},
		expectSuccess(result) {
			expect(result.output('Phota', 0)[0].json).toMatchObject({ ready: true, status: 'READY' });
		},
	},
];

function recovers(family: Family, fault: FaultClass): boolean {
	if (family.safety === 'read') return true;
	if (fault.notProcessed) return true;
	return family.safety === 'deduplicated' && fault.spec.status !== 504;
}

const matrix = families.flatMap((family) =>
	faultClasses.map(
		(fault) =>
			[
				`${family.name}: ${fault.name} → ${recovers(family, fault) ? 'resent, succeeds' : 'not resent, clear error'}`,
				family,
				fault,
			] as const,
	),
);

/** What the node's report says of one operation's requests (see transport/bill.ts, summary). */
interface ReportedBill {
	billed: number;
	images: number;
	queued: number;
	notBilled: number;
	mayHaveBeenBilled: number;
}

const BILL_SUMMARY = 'What Phota billed for this run: ';

/**
 * The node's report of the run, with its default settings: the output pane's hint when the run
 * succeeded, the end of the error's description when it failed (n8n drops a failed node's hints).
 */
function billReportOf(result: RunResult): string | undefined {
	const hints = (result.run.data.resultData.runData.Phota?.[0]?.hints ?? []).map(
		(hint) => hint.message,
	);
	const texts = [...hints, result.error?.description ?? ''];
	const found = texts.find((text) => text.includes(BILL_SUMMARY));
	return found?.slice(found.indexOf(BILL_SUMMARY));
}

/** "2 400 answer, 1 refunded (504, past the sync time limit)" counts 3 requests. */
function countReasons(reasons: string): number {
	return [...reasons.matchAll(/(?:^|, )(\d+) /g)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/** The figures the report gives for each operation ("Generate: 1 image request billed; …"). */
function parseBillReport(report: string): Map<string, ReportedBill> {
	const operations = new Map<string, ReportedBill>();
	const body = report.slice(BILL_SUMMARY.length).replace(/\.$/, '');
	for (const part of body.split('. ')) {
		const [operation, said] = [
			part.slice(0, part.indexOf(': ')),
			part.slice(part.indexOf(': ') + 2),
		];
		const bill: ReportedBill = {
			billed: 0,
			images: 0,
			queued: 0,
			notBilled: 0,
			mayHaveBeenBilled: 0,
		};
		for (const clause of said.split('; ')) {
			let match: RegExpExecArray | null;
			if ((match = /^not billed: (.+)$/.exec(clause))) bill.notBilled = countReasons(match[1]);
			else if ((match = /^may have been billed: (.+)$/.exec(clause)))
				bill.mayHaveBeenBilled = countReasons(match[1]);
			else if ((match = /^(\d+) images? returned$/.exec(clause))) bill.images = Number(match[1]);
			else if ((match = /^(\d+) async jobs? queued\b/.exec(clause))) bill.queued = Number(match[1]);
			else if ((match = /^(\d+) [a-z ]+ billed$/.exec(clause))) bill.billed = Number(match[1]);
			else throw new Error(`Unknown clause "${clause}" in the bill report "${report}"`);
		}
		operations.set(operation, bill);
	}
	return operations;
}

/** A 2xx answer of the paid route whose body a fault destroyed: the node counts it as billed. */
function unreadableSuccess(attempts: LoggedRequest[]): boolean {
	return attempts.some((attempt) => attempt.status >= 200 && attempt.status < 300 && attempt.fault);
}

/**
 * Where the node's report of a run that sent `paid` once (one logical request, however many
 * attempts) disagrees with what the simulator charged (`spent`): it must report that request
 * exactly once; the simulator charges it at most once; a charged request is reported billed (an
 * async job: queued) or "may have been billed", never "not billed"; a request not charged is
 * reported "not billed" or "may have been billed", never billed, unless a 2xx answer's body was
 * lost (the node counts that as billed); and a request reported billed returned as many images as
 * were charged.
 */
function billDisagreements(
	paid: PaidRequest,
	report: string | undefined,
	spent: number,
	attempts: LoggedRequest[],
): string[] {
	const { perImage, perProfile } = env.sim.settings.prices;
	const price = paid.unit === 'training' ? perProfile : perImage * paid.images;
	const charged = `the simulator charged ${spent} (one request costs ${price})`;
	if (report === undefined) return [`no bill report; ${charged}`];
	const bill = parseBillReport(report).get(paid.operation);
	if (!bill) return [`the report does not name ${paid.operation}: "${report}"; ${charged}`];
	const said = `the node said "${report}"`;
	const problems: string[] = [];
	const outcomes = bill.billed + bill.queued + bill.notBilled + bill.mayHaveBeenBilled;
	if (outcomes !== 1) problems.push(`${outcomes} outcomes for 1 request: ${said}`);
	if (spent !== 0 && spent !== price) problems.push(`not charged once or never: ${charged}`);
	const billed = bill.billed + bill.queued > 0;
	if (spent > 0 && bill.notBilled > 0) problems.push(`${said}, but ${charged}`);
	if (spent === 0 && billed && !unreadableSuccess(attempts))
		problems.push(`${said}, but the simulator charged nothing`);
	if (bill.billed > 0 && paid.unit === 'image' && bill.images * perImage !== spent)
		problems.push(`${said} (${bill.images} images), but ${charged}`);
	return problems;
}

describe('every fault class on every endpoint family', () => {
	test.each(matrix)('%s', async (_name, family, fault) => {
		const prepared = (await family.prepare?.()) ?? { profileIds: [] };
		const spentBefore = env.sim.spentBy(TEST_API_KEY);
		env.sim.faults.add({ ...fault.spec, route: family.route });

		const result = await family.run(prepared);

		const attempts = env.sim.log.forRoute(family.route);
		if (recovers(family, fault)) {
			expect(result.error?.message).toBeUndefined();
			family.expectSuccess(result);
			expect(attempts.map((attempt) => attempt.fault ?? 'ok')).toEqual([
				expect.stringMatching(/^(status|reset|hang)/),
				'ok',
			]);
		} else {
			expect(result.status).toBe('error');
			expect(result.error?.name).toBe('NodeApiError');
			expect(result.error?.message).toMatch(fault.message);
			expect(
				(result.error as unknown as { context: { itemIndex?: number } }).context.itemIndex,
			).toBe(0);
			// Not resent: a paid request that may have run is never paid for twice.
			expect(attempts).toHaveLength(1);
		}
		// Whatever happened, the request was paid for at most once and made at most one profile.
		const { perImage, perProfile } = env.sim.settings.prices;
		const price = family.route === 'POST /profiles/add' ? perProfile : perImage;
		const spent = env.sim.spentBy(TEST_API_KEY) - spentBefore;
		expect(spent).toBeLessThanOrEqual(price);
		if (family.route === 'POST /profiles/add') {
			expect(env.sim.profiles().length).toBeLessThanOrEqual(1);
		}
		// What the node reports it made Phota bill agrees with what the simulator charged.
		const report = billReportOf(result);
		if (family.bills) {
			const paidAttempts = env.sim.log.forRoute(family.bills.route);
			expect(billDisagreements(family.bills, report, spent, paidAttempts)).toEqual([]);
		} else {
			expect(spent).toBe(0);
			if (report !== undefined) expect(report).not.toMatch(/\d+ [a-z ]+ billed|may have been/);
		}
	});
});

/** The same order every run: a small LCG-driven Fisher–Yates shuffle. */
function shuffled<T>(values: T[], seed = 7): T[] {
	const result = [...values];
	let state = seed;
	for (let index = result.length - 1; index > 0; index--) {
		state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
		const other = state % (index + 1);
		[result[index], result[other]] = [result[other], result[index]];
	}
	return result;
}

/**
 * `count` single-use faults of each class named on `route`, shuffled in a fixed order among
 * `cleanRequests` requests that pass untouched (so faults spread over the batch, not all up front).
 */
function injectMixedFaults(
	route: string,
	counts: Record<string, number>,
	cleanRequests = 0,
): number {
	const faults = Object.entries(counts).flatMap(([name, count]) => {
		const fault = faultClasses.find((candidate) => candidate.name === name);
		if (!fault) throw new Error(`unknown fault class ${name}`);
		return Array.from({ length: count }, () => fault.spec);
	});
	const passes = Array.from({ length: cleanRequests }, () => ({ kind: 'delay' as const }));
	for (const spec of shuffled([...faults, ...passes])) env.sim.faults.add({ ...spec, route });
	return faults.length;
}

/** `count` items asking for numbered shots of one profile (the prompt names the shot). */
function shots(count: number, profileId: string) {
	return Array.from({ length: count }, (_, shot) => ({ json: { shot, profile_ids: [profileId] } }));
}

const anyFaultMessage = new RegExp(faultClasses.map((fault) => fault.message.source).join('|'));

describe('large batches with mixed faults lose nothing', () => {
	jest.setTimeout(60_000);

	test('60 sync Generate items: each ends with its image or its own error, nothing paid twice or dropped', async () => {
		const [profileId] = await env.readyProfiles(1);
		const spentBefore = env.sim.spentBy(TEST_API_KEY);
		const injected = injectMixedFaults(
			'POST /generate',
			{
				'429 with Retry-After': 6,
				'503 with Retry-After': 6,
				'502 before processing': 3,
				'502 after processing': 3,
				'504 from a gateway': 2,
				'connection reset before processing': 3,
				'connection reset after processing': 3,
				'request timeout (no answer)': 2,
			},
			30,
		);
		const items = shots(60, profileId);

		const result = await env.runPhota(
			items,
			{
				resource: 'image',
				operation: 'generate',
				prompt: '=Portrait of [[profile]], shot {{ $json.shot }}.',
				options: { ...fastTimeout, parallelRequests: 5 },
			},
			{ continueOnFail: true },
		);

		expect(result.status).toBe('success');
		const output = result.output('Phota');
		expect(output.map((item) => item.pairedItem)).toEqual(items.map((_, item) => ({ item })));
		const attempts = env.sim.log.forRoute('POST /generate');
		let imagesDelivered = 0;
		for (const [index, item] of output.entries()) {
			const mine = attempts.filter((attempt) =>
				String((attempt.body as { prompt: string }).prompt).endsWith(`shot ${index}.`),
			);
			// Paid work happened at most once per item, however many attempts it took.
			expect(mine.filter((attempt) => attempt.processed).length).toBeLessThanOrEqual(1);
			const answered = mine.some((attempt) => attempt.processed && !attempt.fault);
			if (answered) {
				expect(item.binary?.data?.mimeType).toBe('image/png');
				expect(item.json.profile_ids).toEqual([profileId]);
				imagesDelivered += 1;
			} else {
				expect(item.json.error).toMatch(anyFaultMessage);
				expect(item.json.profile_ids).toEqual([profileId]);
				if (mine.some((attempt) => attempt.processed)) {
					expect(item.json.errorDescription).toMatch(/may or may not have (been )?processed/);
				}
			}
		}
		// Every charge is either an image in the output or a request whose answer a fault destroyed.
		const lostAnswers = attempts.filter((attempt) => attempt.processed && attempt.fault).length;
		expect(env.sim.spentBy(TEST_API_KEY) - spentBefore).toBe(imagesDelivered + lostAnswers);
		const failed = output.length - imagesDelivered;
		expect(failed).toBeGreaterThan(0);
		expect(failed).toBeLessThanOrEqual(injected - 12);
		// Only the injected 429s: retries never caused a storm of their own.
		expect(attempts.filter((attempt) => attempt.status === 429)).toHaveLength(6);
		expect(env.sim.log.maxInFlightFor('POST /generate')).toBeLessThanOrEqual(5);
	});

	test('40 async Generate items then Job → Get under faults: 40 jobs, none duplicated, 40 images', async () => {
		const [profileId] = await env.readyProfiles(1);
		injectMixedFaults(
			'POST /generate',
			{
				'429 with Retry-After': 4,
				'503 with Retry-After': 4,
				'502 before processing': 3,
				'502 after processing': 4,
				'connection reset before processing': 3,
				'connection reset after processing': 4,
				'request timeout (no answer)': 2,
			},
			30,
		);
		const items = shots(40, profileId);
		const submitted = await env.runPhota(items, {
			resource: 'image',
			operation: 'generate',
			prompt: '=Portrait of [[profile]], shot {{ $json.shot }}.',
			// Eight in flight meet 24 faults: one item can meet several in a row, so allow more resends.
			options: { ...fastTimeout, async: true, parallelRequests: 8, maxRetries: 10 },
		});

		expect(submitted.error?.message).toBeUndefined();
		const handles = submitted.output('Phota').map((item) => item.json);
		const jobs = env.sim.jobs();
		expect(jobs).toHaveLength(40);
		expect(new Set(handles.map((handle) => handle.job_id))).toEqual(
			new Set(jobs.map((job) => job.id)),
		);
		for (const handle of handles) {
			const job = jobs.find((candidate) => candidate.id === handle.job_id);
			expect(job?.clientRequestId).toBe(handle.client_request_id);
		}

		env.sim.advanceClock(600_000);
		injectMixedFaults(
			'GET /jobs/:id',
			{ '503 with Retry-After': 5, '502 before processing': 5 },
			30,
		);
		injectMixedFaults(
			'GET /files/:name',
			{ 'connection reset before processing': 5, 'request timeout (no answer)': 2 },
			30,
		);
		const fetched = await env.runPhota(
			handles.map((json) => ({ json })),
			{
				resource: 'job',
				operation: 'get',
				jobId: '={{ $json.job_id }}',
				options: { ...fastTimeout, parallelRequests: 8, maxRetries: 10 },
			},
		);
		expect(fetched.error?.message).toBeUndefined();
		const images = fetched.output('Phota');
		expect(images).toHaveLength(40);
		expect(images.every((item) => item.binary?.data?.mimeType === 'image/png')).toBe(true);
		expect(images.map((item) => item.json.job_id)).toEqual(handles.map((handle) => handle.job_id));
	});

	test('30 Create Profile items under faults: zero duplicate profiles, every created id reported or explained', async () => {
		injectMixedFaults('POST /profiles/add', {
			'429 with Retry-After': 4,
			'503 with Retry-After': 4,
			'502 before processing': 2,
			'502 after processing': 2,
			'connection reset before processing': 2,
			'connection reset after processing': 3,
			'request timeout (no answer)': 1,
		});
		const items = Array.from({ length: 30 }, (_, index) => ({
			json: { person: index, image_urls: photoUrls(10, `https://x.org/person${index}`) },
		}));

		const result = await env.runPhota(
			items,
			{
				resource: 'profile',
				operation: 'create',
				imageSource: 'field',
				options: { ...fastTimeout, parallelRequests: 6 },
			},
			{ continueOnFail: true },
		);

		const profiles = env.sim.profiles();
		const profilesPerPerson = new Map<string, number>();
		for (const profile of profiles) {
			const person = profile.imageUrls[0].split('/')[3];
			profilesPerPerson.set(person, (profilesPerPerson.get(person) ?? 0) + 1);
		}
		expect(Math.max(...profilesPerPerson.values())).toBe(1);

		const output = result.output('Phota');
		expect(output).toHaveLength(30);
		const created = output.filter((item) => typeof item.json.profile_id === 'string');
		for (const item of created) {
			expect(profiles.map((profile) => profile.id)).toContain(item.json.profile_id);
		}
		const failed = output.filter((item) => item.json.error);
		expect(created.length + failed.length).toBe(30);
		// A profile made by a request whose answer was lost is not reported, but its item says so.
		const attempts = env.sim.log.forRoute('POST /profiles/add');
		let lostAnswers = 0;
		for (const [index, item] of output.entries()) {
			const processed = attempts.filter(
				(attempt) =>
					attempt.processed &&
					(attempt.body as { image_urls: string[] }).image_urls[0] ===
						items[index].json.image_urls[0],
			);
			expect(processed.length).toBeLessThanOrEqual(1);
			if (item.json.error && processed.length === 1) {
				lostAnswers += 1;
				expect(item.json.errorDescription).toMatch(/may or may not have (been )?processed/);
			}
		}
		expect(profiles.length).toBe(created.length + lostAnswers);
	});

	test('Wait for 10 profiles under 30 mixed faults on the status route: all 10 reach Ready', async () => {
		const profileIds = await env.readyProfiles(10);
		injectMixedFaults('GET /profiles/:id/status', {
			'429 with Retry-After': 6,
			'503 with Retry-After': 6,
			'502 before processing': 6,
			'504 from a gateway': 4,
			'connection reset before processing': 6,
			'request timeout (no answer)': 2,
		});
		const result = await env.run(
			chain(
				fixtureNode(profileIds.map((id) => ({ json: { profile_ids: [id] } }))),
				waitNode(
					{ pollIntervalSeconds: 0.05, timeoutMinutes: 1, options: fastTimeout },
					{ name: 'Wait' },
				),
			),
		);
		expect(result.output('Wait', 0).map((item) => item.json.profile_ids)).toEqual(
			profileIds.map((id) => [id]),
		);
		expect(result.output('Wait', 1)).toHaveLength(0);
		expect(env.sim.faults.pending).toBe(0);
	});
});

describe('cancellation', () => {
	test('stopping the execution during a Retry-After wait ends it at once, with no resend', async () => {
		const [profileId] = await env.readyProfiles(1);
		env.sim.faults.add({
			route: 'POST /generate',
			kind: 'status',
			status: 429,
			retryAfterSeconds: 30,
		});
		const result = await env.runPhota(
			[{ json: { profile_ids: [profileId] } }],
			{ resource: 'image', operation: 'generate', prompt: '[[profile]]' },
			undefined,
			{ cancelAfterMs: 300 },
		);
		expect(result.status).toBe('canceled');
		// Waiting out the Retry-After would take 30 s.
		expect(result.wallTimeMs).toBeLessThan(10_000);
		expect(env.sim.log.count('POST /generate')).toBe(1);
	});

	test('stopping a 20-item batch starts no new request after the stop', async () => {
		const [profileId] = await env.readyProfiles(1);
		env.sim.settings.latencyMs = { 'POST /generate': 300 };
		const items = Array.from({ length: 20 }, () => ({ json: { profile_ids: [profileId] } }));
		const started = Date.now();
		const result = await env.runPhota(
			items,
			{
				resource: 'image',
				operation: 'generate',
				prompt: '[[profile]]',
				options: { parallelRequests: 5 },
			},
			undefined,
			{ cancelAfterMs: 450 },
		);
		expect(result.status).toBe('canceled');
		await new Promise((resolve) => setTimeout(resolve, 400));
		const attempts = env.sim.log.forRoute('POST /generate');
		// Two waves of five at most (the second started at ~300 ms), none after the stop (a third
		// wave would start at ~600 ms).
		expect(attempts.length).toBeLessThanOrEqual(10);
		expect(Math.max(...attempts.map((attempt) => attempt.startedAt))).toBeLessThan(
			started + 450 + 300,
		);
	});
});

describe('a node that fails still names what other items already received', () => {
	test('async job ids of finished items are listed in the error', async () => {
		const [profileId] = await env.readyProfiles(1);
		const result = await env.runPhota(
			['one', 'two', '__MODERATE__'].map((scene) => ({
				json: { scene, profile_ids: [profileId] },
			})),
			{
				resource: 'image',
				operation: 'generate',
				prompt: '=[[profile]] {{ $json.scene }}',
				options: { async: true, parallelRequests: 1 },
			},
		);
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/content moderation/);
		const jobIds = env.sim.jobs().map((job) => job.id);
		expect(jobIds).toHaveLength(2);
		expect(result.error?.description).toContain(
			`item 0: job ${jobIds[0]}; item 1: job ${jobIds[1]}`,
		);
	});
});
