/**
 * `npm run bench -- --only=ratelimit`: edits against an account rate limit (the simulator's
 * `maxConcurrent`, Retry-After 1 s), in real n8n, with each edit's latency drawn from 100–200 ms
 * (evenly spread, see LATENCY).
 * The ideal time is items ÷ limit × the mean latency (150 ms): the limit kept full all the time.
 *
 *  a. limit 3, Parallel Requests 20, 60 edits;  b. limit 3, default parallelism, 60 edits;
 *  c. limit 5, default parallelism, 200 edits;  d. four executions at once on one key (four
 *     `n8n execute` processes), 30 edits each, limit 5;
 *  e. the do-it-yourself way: the HTTP Request node at limit 3 with 60 items, at its default and
 *     with n8n's Retry On Fail.
 */
import type { IRun } from 'n8n-workflow';

import { executeWorkflow } from '../../e2e/n8nCli';
import type { N8nInstance } from '../../e2e/n8nCli';
import type { PhotaSimulator } from '../../simulator';
import type { N8nNode } from './n8nWorkflows';
import {
	diyEditNode,
	importBenchWorkflow,
	linearWorkflow,
	nodeTime,
	outputCount,
	photaEditNode,
	runInN8n,
} from './n8nWorkflows';
import { API_KEY, readyProfile, shots } from './shared';
import type { Row } from './table';
import { seconds } from './table';

// Evenly spread draws: a run's mean latency is 150 ms within a fraction of a ms, so the ratio to the
// ideal measures the node, not the dice (random draws move a 200-edit run's mean by ±2 ms).
const LATENCY = { min: 100, max: 200, spread: 'even' as const };
const MEAN_LATENCY_MS = (LATENCY.min + LATENCY.max) / 2;

interface Billing {
	/** Edits the simulator processed (and charged). */
	paid: number;
	/** Processed edits whose prompt had already been processed: paid again. */
	paidAgain: number;
	rateLimited: number;
	sent: number;
	credits: number;
	/** Mean time the simulator took per processed edit: 150 ms on a quiet machine, more under load. */
	meanLatencyMs: number;
}

/** What the simulator did with the POST /edit requests since `creditsBefore` was read. */
function billing(sim: PhotaSimulator, creditsBefore: number): Billing {
	const edits = sim.log.forRoute('POST /edit');
	const processed = edits.filter((entry) => entry.processed);
	const prompts = new Set(processed.map((entry) => (entry.body as { prompt?: string }).prompt));
	return {
		paid: processed.length,
		paidAgain: processed.length - prompts.size,
		rateLimited: edits.filter((entry) => entry.status === 429).length,
		sent: edits.length,
		credits: sim.spentBy(API_KEY) - creditsBefore,
		meanLatencyMs:
			processed.reduce((sum, entry) => sum + entry.endedAt - entry.startedAt, 0) /
			Math.max(1, processed.length),
	};
}

const prompt = (run: string) =>
	`=Put [[profile]] in a studio portrait, ${run}, shot {{ $json.shot }}`;

function ratioOf(ms: number, idealMs: number): number {
	return ms / idealMs;
}

interface Scenario {
	label: string;
	edits: number;
	limit: number;
	parallel?: number;
	target: number;
}

/** One run of a Phota batch at `limit` concurrent. */
async function batchOnce(
	sim: PhotaSimulator,
	n8n: N8nInstance,
	profileId: string,
	scenario: Scenario,
	round: number,
) {
	sim.settings.rateLimit = { maxConcurrent: scenario.limit, retryAfterSeconds: 1 };
	sim.log.clear();
	const creditsBefore = sim.spentBy(API_KEY);
	const options = scenario.parallel === undefined ? {} : { parallelRequests: scenario.parallel };
	const started = Date.now();
	const run = await runInN8n(
		n8n,
		linearWorkflow(shots(scenario.edits, profileId), [
			photaEditNode(prompt(`${scenario.label} round ${round}`), options),
		]),
	);
	const paid = billing(sim, creditsBefore);
	const done = outputCount(run, 'Phota');
	const failed = run.data.resultData.error?.message;
	return {
		wallMs: Date.now() - started,
		nodeMs: nodeTime(run, 'Phota'),
		paid,
		done,
		failed,
		allPaidOnce:
			!failed && done === scenario.edits && paid.paid === scenario.edits && paid.paidAgain === 0,
	};
}

/**
 * A Phota batch at `limit` concurrent, `rounds` times: a row with the median run's time against
 * the ideal and the range (on a quiet 2-core machine one 5c run varies by about ±0.02×).
 */
async function photaBatch(
	sim: PhotaSimulator,
	n8n: N8nInstance,
	profileId: string,
	scenario: Scenario,
	rounds: number,
): Promise<{ row: Row; wallMs: number; nodeMs: number }> {
	const runs = [];
	for (let round = 1; round <= rounds; round++)
		runs.push(await batchOnce(sim, n8n, profileId, scenario, round));
	const byTime = [...runs].sort((one, other) => one.nodeMs - other.nodeMs);
	const median = byTime[Math.floor((byTime.length - 1) / 2)];
	const { nodeMs, paid, done, failed } = median;
	const idealMs = (scenario.edits / scenario.limit) * MEAN_LATENCY_MS;
	const ratio = ratioOf(nodeMs, idealMs);
	// The same floor at the latency the simulator really gave: what load on the machine added.
	const floorMs = (scenario.edits / scenario.limit) * paid.meanLatencyMs;
	const range =
		rounds > 1
			? ` (median of ${rounds}; ${byTime.map((run) => ratioOf(run.nodeMs, idealMs).toFixed(2)).join(', ')}× ideal)`
			: '';
	return {
		wallMs: median.wallMs,
		nodeMs,
		row: {
			measure: `5${scenario.label}. limit ${scenario.limit}, ${scenario.parallel === undefined ? 'default parallelism (5)' : `Parallel Requests ${scenario.parallel}`}, ${scenario.edits} edits at 100–200 ms`,
			phota: `${seconds(nodeMs)}${range}, ${done}/${scenario.edits} done, ${paid.paid} paid (${paid.paidAgain} twice, ${paid.credits} credits), ${paid.rateLimited}×429${failed ? `, failed: ${failed}` : ''}; every run all done and paid once: ${runs.every((run) => run.allPaidOnce) ? 'yes' : 'NO'}`,
			baseline: `ideal ${seconds(idealMs)} (${scenario.edits} ÷ ${scenario.limit} × 150 ms); at the ${Math.round(paid.meanLatencyMs)} ms each edit really took: ${seconds(floorMs)}`,
			ratio: `${ratio.toFixed(2)}× ideal (${ratioOf(nodeMs, floorMs).toFixed(2)}× at real latency)`,
			target: `≤ ${scenario.target.toFixed(1)}× ideal, all paid once`,
			met: ratio <= scenario.target && runs.every((run) => run.allPaidOnce),
		},
	};
}

/**
 * Four executions of 30 edits at once, sharing one API key: four `n8n execute` processes. Each
 * starts with a Wait until the same moment (passed in the environment; n8n waits in process below
 * 65 s), so the four Phota nodes start together however long each n8n takes to start.
 */
async function sharedKey(
	sim: PhotaSimulator,
	n8n: N8nInstance,
	profileId: string,
	startupMs: number,
): Promise<Row> {
	const executions = 4;
	const edits = 30;
	const limit = 5;
	sim.settings.rateLimit = { maxConcurrent: limit, retryAfterSeconds: 1 };
	const ids: string[] = [];
	for (let execution = 0; execution < executions; execution++) {
		ids.push(
			await importBenchWorkflow(
				n8n,
				linearWorkflow(
					shots(edits, profileId),
					[photaEditNode(prompt(`execution ${execution + 1}`))],
					[
						{
							name: 'Together',
							type: 'n8n-nodes-base.wait',
							typeVersion: 1.1,
							// n8n lets nodes read the environment in this bench's n8n (see createN8n).
							parameters: { resume: 'specificTime', dateTime: '={{ $env.PHOTA_BENCH_TOGETHER }}' },
						},
					],
				),
			),
		);
	}
	// Four n8n processes start on this machine at once: give them several single start-up times.
	const leadMs = Math.min(60_000, Math.max(20_000, 4 * startupMs + 5_000));
	sim.log.clear();
	const creditsBefore = sim.spentBy(API_KEY);
	const together = {
		...n8n,
		env: { ...n8n.env, PHOTA_BENCH_TOGETHER: new Date(Date.now() + leadMs).toISOString() },
	};
	const runs: IRun[] = await Promise.all(
		ids.map(async (id) => await executeWorkflow(together, id)),
	);
	const paid = billing(sim, creditsBefore);
	const tasks = runs.map((run) => run.data.resultData.runData.Phota?.[0]);
	const starts = tasks.map((task) => task?.startTime ?? Number.NaN);
	const ends = tasks.map((task) => (task ? task.startTime + task.executionTime : Number.NaN));
	const totalMs = Math.max(...ends) - Math.min(...starts);
	const done = runs.reduce((sum, run) => sum + outputCount(run, 'Phota'), 0);
	const failed = runs.filter((run) => run.data.resultData.error).length;
	const idealMs = ((executions * edits) / limit) * MEAN_LATENCY_MS;
	return {
		measure: `5d. ${executions} executions at once (${executions} n8n execute processes), one key, ${edits} edits each, limit ${limit}`,
		phota: `${seconds(totalMs)} first start to last end (starts ${seconds(Math.max(...starts) - Math.min(...starts))} apart; node times ${tasks.map((task) => seconds(task?.executionTime ?? 0)).join(', ')}), ${done}/${executions * edits} done, ${failed} failed, ${paid.paid} paid (${paid.paidAgain} twice), ${paid.rateLimited}×429`,
		baseline: `ideal ${seconds(idealMs)} (${executions * edits} ÷ ${limit} × 150 ms)`,
		ratio: `${ratioOf(totalMs, idealMs).toFixed(2)}× ideal`,
		target: 'all done, none failed, paid once',
		met:
			done === executions * edits &&
			failed === 0 &&
			paid.paid === executions * edits &&
			paid.paidAgain === 0,
	};
}

/** The HTTP Request node at limit 3 with 60 items: its default, then with Retry On Fail. */
async function doItYourself(
	sim: PhotaSimulator,
	n8n: N8nInstance,
	profileId: string,
	sent: { body: unknown },
): Promise<Row[]> {
	const edits = 60;
	const limit = 3;
	sim.settings.rateLimit = { maxConcurrent: limit, retryAfterSeconds: 1 };
	const rows: Row[] = [];
	const variants: Array<{ label: string; settings: Partial<N8nNode> }> = [
		{ label: 'default', settings: {} },
		{
			label: 'Retry On Fail (5 tries, 1 s apart)',
			settings: { retryOnFail: true, maxTries: 5, waitBetweenTries: 1000 },
		},
	];
	for (const variant of variants) {
		sim.log.clear();
		const creditsBefore = sim.spentBy(API_KEY);
		const run = await runInN8n(
			n8n,
			linearWorkflow(shots(edits, profileId), [
				{ ...diyEditNode(sim.baseUrl, sent), ...variant.settings },
			]),
		);
		const paid = billing(sim, creditsBefore);
		const done = outputCount(run, 'HTTP Request');
		const failed = run.data.resultData.error !== undefined;
		const tries = run.data.resultData.runData['HTTP Request']?.length ?? 0;
		rows.push({
			measure: `5e. DIY: HTTP Request node, ${variant.label}, limit ${limit}, ${edits} items`,
			phota: '',
			baseline: `${seconds(nodeTime(run, 'HTTP Request'))}, ${failed ? 'run failed' : `${done} done`}, ${paid.sent} sent, ${paid.rateLimited}×429, ${paid.paid} paid of which ${paid.paidAgain} paid twice or more (${paid.credits} credits for ${edits} edits), ${tries} node run(s)`,
			ratio: '',
			target: 'info',
			met: true,
		});
	}
	return rows;
}

export async function measureRateLimit(
	sim: PhotaSimulator,
	n8n: N8nInstance,
	rounds: number,
): Promise<Row[]> {
	sim.reset();
	sim.settings.latencyMs = { 'POST /edit': LATENCY };
	const profileId = await readyProfile(sim);
	const rows: Row[] = [];

	const a = await photaBatch(
		sim,
		n8n,
		profileId,
		{
			label: 'a',
			edits: 60,
			limit: 3,
			parallel: 20,
			target: 1.2,
		},
		rounds,
	);
	rows.push(a.row);
	const sent = sim.log.forRoute('POST /edit').find((entry) => entry.processed);
	if (!sent) throw new Error('the Phota node sent no edit the simulator processed');
	const others: Scenario[] = [
		{ label: 'b', edits: 60, limit: 3, target: 1.2 },
		{ label: 'c', edits: 200, limit: 5, target: 1.1 },
	];
	for (const scenario of others)
		rows.push((await photaBatch(sim, n8n, profileId, scenario, rounds)).row);
	rows.push(await sharedKey(sim, n8n, profileId, a.wallMs - a.nodeMs));
	rows.push(...(await doItYourself(sim, n8n, profileId, sent)));
	return rows;
}
