import type { INodeExecutionData, INodeParameters } from 'n8n-workflow';

import type { RunResult } from './harness/n8n';
import { TEST_API_KEY, photoUrls, usePhotaEnvironment } from './harness/environment';
import { chain, fixtureNode, waitNode } from './harness/workflow';
import { makePng } from './simulator';
import type { FaultSpec } from './simulator/log';

const env = usePhotaEnvironment();

/** Every attempt may take 1 s, so a hung request times out quickly. */
const fastTimeout = { requestTimeoutSeconds: 1 };

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
}

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
		name: '504',
		spec: { kind: 'status', status: 504 },
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
	},
	{
		name: 'Profile → Get Status',
		route: 'GET /profiles/:id/status',
		safety: 'read',
		prepare: readyProfile,
		run: async ({ profileIds }) => {
			return await env.runPhota([{ json: { profile_ids: profileIds } }], {
				resource: 'profile',
				operation: 'getStatus',
				options: fastTimeout,
			});
		},
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
		run: async ({ profileIds }) => {
			return await env.runPhota([{ json: { profile_ids: profileIds } }], {
				resource: 'profile',
				operation: 'getPicture',
				options: fastTimeout,
			});
		},
		expectSuccess(result) {
			expect(result.output('Phota')[0].binary?.data?.mimeType).toBe('image/jpeg');
		},
	},
	{
		name: 'Profile → Delete',
		route: 'DELETE /profiles/:id',
		safety: 'read',
		prepare: readyProfile,
		run: async ({ profileIds }) => {
			return await env.runPhota([{ json: { profile_ids: profileIds } }], {
				resource: 'profile',
				operation: 'deleteProfile',
				options: fastTimeout,
			});
		},
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
		expect(env.sim.spentBy(TEST_API_KEY) - spentBefore).toBeLessThanOrEqual(price);
		if (family.route === 'POST /profiles/add') {
			expect(env.sim.profiles().length).toBeLessThanOrEqual(1);
		}
	});
});
