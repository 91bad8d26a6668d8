import type { INodeParameters } from 'n8n-workflow';

import { usePhotaEnvironment } from './harness/environment';
import {
	chain,
	createProfileNode,
	fixtureNode,
	photaNode,
	photoUrls,
	waitNode,
} from './harness/workflow';

const env = usePhotaEnvironment();

const INTERVAL_SECONDS = 0.05;
const fastWait = { pollIntervalSeconds: INTERVAL_SECONDS, timeoutMinutes: 1 };

/** Items that each create one profile, followed by Create and Wait nodes. */
function createThenWait(count: number, waitParameters: INodeParameters = fastWait) {
	const items = Array.from({ length: count }, (_, index) => ({
		json: { person: `p${index}`, image_urls: photoUrls(10, `https://x.org/p${index}`) },
	}));
	return [
		fixtureNode(items),
		createProfileNode(),
		waitNode(waitParameters, { name: 'Wait' }),
	] as const;
}

/** Training that takes `totalMs` in real time, split over the three phases. */
function trainingOf(totalMs: number) {
	return { validating: totalMs * 0.2, queuing: totalMs * 0.2, inProgress: totalMs * 0.6 };
}

describe('Wait for Profile Ready', () => {
	test('Create → Wait → Generate runs with no expressions and keeps the input fields', async () => {
		env.sim.settings.trainingPhasesMs = trainingOf(300);
		const result = await env.run(
			chain(
				...createThenWait(1),
				photaNode(
					{ resource: 'image', operation: 'generate', prompt: 'Portrait of [[profile]]' },
					{ name: 'Generate' },
				),
			),
		);

		expect(result.status).toBe('success');
		const id = result.output('Create')[0].json.profile_id as string;
		const [ready] = result.output('Wait');
		expect(ready.json).toMatchObject({
			profile_id: id,
			profile_ids: [id],
			status: 'READY',
			ready: true,
			message: '',
			polls: expect.any(Number),
			waited_seconds: expect.any(Number),
		});
		expect(
			(
				ready.json.profiles as Array<{ status_history: Array<{ status: string }> }>
			)[0].status_history.map((entry) => entry.status),
		).toEqual(expect.arrayContaining(['READY']));
		// A slow first poll may miss the short VALIDATING phase; the order must still be the training order.
		const history = (
			ready.json.profiles as Array<{ status_history: Array<{ status: string }> }>
		)[0].status_history.map((entry) => entry.status);
		const order = ['VALIDATING', 'QUEUING', 'IN_PROGRESS', 'READY'];
		expect(history.map((status) => order.indexOf(status))).toEqual(
			[...history.map((status) => order.indexOf(status))].sort((a, b) => a - b),
		);
		expect(history.at(-1)).toBe('READY');
		expect(result.output('Wait', 1)).toEqual([]);
		expect(result.output('Generate')[0].json).toMatchObject({
			profile_ids: [id],
			known_subjects: { [id]: 1 },
		});
	});

	test('ten profiles on ten items are polled concurrently: wall time ≈ longest training', async () => {
		const durations = Array.from({ length: 10 }, (_, index) => 300 + index * 100); // 0.3 s … 1.2 s
		env.sim.settings.profilePlan = ({ index }) => ({ phasesMs: trainingOf(durations[index]) });
		env.sim.settings.latencyMs = { 'GET /profiles/:id/status': 20 };

		const result = await env.run(chain(...createThenWait(10)));

		expect(result.status).toBe('success');
		const ready = result.output('Wait');
		expect(ready).toHaveLength(10);
		const createdIds = result.output('Create').map((item) => item.json.profile_id);
		expect(ready.map((item) => item.json.profile_id)).toEqual(createdIds);
		expect(ready.map((item) => item.pairedItem)).toEqual(durations.map((_, item) => ({ item })));

		// Waiting one after the other would take the sum of the trainings (7.5 s); together, the longest.
		const longest = Math.max(...durations);
		const sequential = durations.reduce((sum, duration) => sum + duration, 0);
		const waitRun = result.run.data.resultData.runData.Wait[0];
		expect(waitRun.executionTime).toBeGreaterThanOrEqual(longest - 200);
		expect(waitRun.executionTime).toBeLessThan(sequential / 2);
		expect(env.sim.log.maxInFlightFor('GET /profiles/:id/status')).toBeGreaterThan(1);

		// Polls per profile: at most its training time / interval (+1 for the first check, +2 for
		// scheduling slack), never a busy loop; a loaded machine may poll less often, never more.
		for (const [index, item] of ready.entries()) {
			const expectedPolls = durations[index] / (INTERVAL_SECONDS * 1000) + 1;
			expect(item.json.polls).toBeLessThanOrEqual(Math.ceil(expectedPolls) + 2);
		}
		expect(env.sim.log.count('GET /profiles/:id/status')).toBe(
			ready.reduce((sum, item) => sum + (item.json.polls as number), 0),
		);
	});

	test('a profile that ends in ERROR goes to the Failed output with its reason', async () => {
		env.sim.settings.profilePlan = ({ index }) => ({
			phasesMs: trainingOf(200),
			...(index === 1 ? { outcome: 'ERROR', message: 'Faces do not match one person' } : {}),
		});
		const result = await env.run(chain(...createThenWait(2)));

		const createdIds = result.output('Create').map((item) => item.json.profile_id);
		expect(result.output('Wait').map((item) => item.json.profile_id)).toEqual([createdIds[0]]);
		const [failed] = result.output('Wait', 1);
		expect(failed.json).toMatchObject({
			profile_id: createdIds[1],
			status: 'ERROR',
			ready: false,
			message: 'Faces do not match one person',
		});
		expect(failed.pairedItem).toEqual({ item: 1 });
	});

	test('a timeout sends the item to Failed with status TIMEOUT and adds a notice', async () => {
		env.sim.settings.trainingPhasesMs = trainingOf(60_000);
		const result = await env.run(
			chain(...createThenWait(1, { pollIntervalSeconds: INTERVAL_SECONDS, timeoutMinutes: 0.005 })),
		);

		const [failed] = result.output('Wait', 1);
		expect(failed.json).toMatchObject({
			status: 'TIMEOUT',
			message: expect.stringMatching(/when the timeout was reached/),
		});
		const hints = result.run.data.resultData.runData.Wait[0].hints ?? [];
		expect(hints.map((hint) => hint.message).join(' ')).toMatch(/timed out/);
	});

	test('"Stop the Workflow With an Error" fails the node on ERROR', async () => {
		env.sim.settings.profilePlan = () => ({ phasesMs: trainingOf(100), outcome: 'INACTIVE' });
		const result = await env.run(chain(...createThenWait(1, { ...fastWait, onFailure: 'error' })));

		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/Profile training did not finish/);
	});

	test('429, 503 and dropped connections are survived without failing the item', async () => {
		env.sim.settings.trainingPhasesMs = trainingOf(400);
		env.sim.faults.add({
			route: 'GET /profiles/:id/status',
			kind: 'status',
			status: 429,
			retryAfterSeconds: 0,
			times: 1,
		});
		env.sim.faults.add({
			route: 'GET /profiles/:id/status',
			kind: 'status',
			status: 503,
			times: 2,
		});
		env.sim.faults.add({ route: 'GET /profiles/:id/status', kind: 'reset' });

		const result = await env.run(chain(...createThenWait(1)));

		expect(result.output('Wait')[0].json.status).toBe('READY');
		const statuses = env.sim.log
			.forRoute('GET /profiles/:id/status')
			.map((entry) => entry.fault ?? entry.status);
		expect(statuses).toEqual(expect.arrayContaining(['status 429', 'status 503', 'reset', 200]));
	});

	test('an unknown profile fails at once with NOT_FOUND (no polling until the timeout)', async () => {
		const result = await env.run(
			chain(
				fixtureNode([{ json: { profile_ids: ['prof_missing'] } }]),
				waitNode(fastWait, { name: 'Wait' }),
			),
		);
		const [failed] = result.output('Wait', 1);
		expect(failed.json).toMatchObject({ status: 'NOT_FOUND', profile_ids: ['prof_missing'] });
		expect(env.sim.log.count('GET /profiles/:id/status')).toBe(1);
	});

	test('a wrong API key stops the node with the 401 error', async () => {
		const result = await env.n8n.run(
			chain(
				fixtureNode([{ json: { profile_ids: ['prof_a'] } }]),
				waitNode(fastWait, { name: 'Wait' }),
			),
			{ credentials: { photaApi: { apiKey: 'wrong', baseUrl: env.sim.baseUrl } } },
		);
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/rejected the API key \(401\)/);
	});

	test('stopping the execution stops the wait within a second', async () => {
		env.sim.settings.trainingPhasesMs = trainingOf(60_000);
		const result = await env.run(
			chain(...createThenWait(1, { pollIntervalSeconds: 10, timeoutMinutes: 30 })),
			{
				cancelAfterMs: 400,
			},
		);
		expect(result.status).toBe('canceled');
		// The next poll alone is 10 s away.
		expect(result.wallTimeMs).toBeLessThan(8_000);
	});
});

describe('Wait for Profile Ready → Check Once and Route', () => {
	test('routes items to Ready, Still Training and Failed with one status call per profile', async () => {
		env.sim.settings.profilePlan = ({ index }) =>
			index === 0
				? { phasesMs: trainingOf(0) }
				: index === 1
					? undefined
					: { phasesMs: trainingOf(0), outcome: 'ERROR' };
		const result = await env.run(chain(...createThenWait(3, { mode: 'checkOnce' })));

		const ids = result.output('Create').map((item) => item.json.profile_id);
		expect(result.output('Wait', 0).map((item) => item.json.profile_id)).toEqual([ids[0]]);
		expect(result.output('Wait', 1).map((item) => item.json.profile_id)).toEqual([ids[1]]);
		expect(result.output('Wait', 2).map((item) => item.json.profile_id)).toEqual([ids[2]]);
		expect(result.output('Wait', 1)[0].json).toMatchObject({ status: 'VALIDATING', ready: false });
		expect(env.sim.log.count('GET /profiles/:id/status')).toBe(3);
	});
});
