/**
 * Section 6 of `npm run bench` (--only=async): long jobs in real n8n.
 *  a. Generate items at 2–6 s simulated latency, sync against Async Job → "wait here", at the same
 *     Parallel Requests (5): the wait costs at most one poll interval more than a sync run.
 *  b. The Phota Trigger (`n8n start`, workflow activated): the time from a job's end at Phota to the
 *     start of the execution its callback started, median and p95.
 */
import { fetch } from 'undici';

import type { N8nInstance } from '../../e2e/n8nCli';
import { importWorkflow, n8nCli, startN8nServer } from '../../e2e/n8nCli';
import { activateWorkflowArgs, servesWebhook } from '../../e2e/queueCluster';
import { nodeOutput, runDataOf, waitForExecutions } from '../../e2e/sqliteExecutions';
import {
	linearWorkflow,
	nodeTime,
	outputCount,
	photaCredential,
	photaNode,
	runInN8n,
} from './n8nWorkflows';
import type { BenchContext } from './shared';
import { API_KEY, readyProfile } from './shared';
import { seconds } from './table';

const POLL_SECONDS = 1;

function generateNode(options: Record<string, unknown>) {
	return photaNode({
		resource: 'image',
		operation: 'generate',
		prompt: '=Campaign shot {{ $json.shot }} of [[profile]]',
		options: { numberOfImages: 1, delivery: 'urls', ...options },
	});
}

async function syncAgainstWaitHere({ sim, quick, rows }: BenchContext, n8n: N8nInstance) {
	const items = quick ? 30 : 100;
	sim.reset();
	sim.settings.latencyMs = { 'POST /generate': { min: 2000, max: 6000, spread: 'even' } };
	// A job starts at once and runs as long as the same sync request (the route's latency).
	sim.settings.jobPhasesMs = { queued: 0, running: 0 };
	const profileId = await readyProfile(sim);
	const elements = Array.from({ length: items }, (_, shot) => ({ shot, profile_ids: [profileId] }));
	const timed = async (options: Record<string, unknown>) => {
		const run = await runInN8n(n8n, linearWorkflow(elements, [generateNode(options)]));
		const made = outputCount(run, 'Phota');
		if (run.data.resultData.error || made !== items)
			throw new Error(`Generate failed: ${run.data.resultData.error?.message ?? `${made} images`}`);
		return nodeTime(run, 'Phota');
	};
	const syncMs = await timed({});
	const waitMs = await timed({ async: 'wait', jobPollInterval: POLL_SECONDS });
	const allowedMs = 1.1 * syncMs + POLL_SECONDS * 1000;
	rows.push({
		measure: `6a. ${items} Generate at 2–6 s latency, real n8n, Parallel Requests 5: sync vs Async Job → wait here (poll ${POLL_SECONDS} s)`,
		phota: `${seconds(waitMs)} wait here`,
		baseline: `${seconds(syncMs)} sync`,
		ratio: `${(waitMs / syncMs).toFixed(2)}× the sync time`,
		target: `≤ 1.1× sync + one poll interval (${seconds(allowedMs)})`,
		met: waitMs <= allowedMs,
	});
}

function percentile(sorted: number[], fraction: number): number {
	return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

async function triggerLatency({ sim, quick, rows }: BenchContext, n8n: N8nInstance) {
	const jobs = quick ? 10 : 40;
	sim.reset();
	sim.settings.latencyMs = { 'POST /generate': { min: 1000, max: 3000, spread: 'even' } };
	sim.settings.jobPhasesMs = { queued: 0, running: 0 };
	sim.settings.httpCallbacksOnLoopback = true;
	const webhookId = '9a7e4c1b-6d2f-4b8a-a3c5-1e0f2d4b6c80';
	const workflowId = 'bench-trigger';
	await importWorkflow(n8n, {
		id: workflowId,
		name: 'Bench: Phota Trigger',
		nodes: [
			{
				id: 't1',
				name: 'Phota Trigger',
				type: 'n8n-nodes-phota.photaTrigger',
				typeVersion: 1,
				position: [0, 0],
				webhookId,
				credentials: photaCredential,
				parameters: { options: { download: false } },
			},
		],
		connections: {},
		settings: { executionOrder: 'v1' },
	});
	await n8nCli(n8n, activateWorkflowArgs(n8n, workflowId));
	const server = await startN8nServer(n8n);
	try {
		const triggerPath = `${webhookId}/phota`;
		while (!(await servesWebhook(server.url, triggerPath).catch(() => false))) {
			await new Promise((resolve) => setTimeout(resolve, 500));
		}
		for (let n = 0; n < jobs; n++) {
			const response = await fetch(`${sim.baseUrl}/generate`, {
				method: 'POST',
				headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
				body: JSON.stringify({
					prompt: `Callback ${n}`,
					num_output_images: 1,
					response_mode: 'urls',
					async: true,
					callback_url: `${server.url}/webhook/${triggerPath}`,
				}),
			});
			if (response.status !== 202) throw new Error(`submit: ${response.status}`);
			await response.arrayBuffer();
		}
		const executions = await waitForExecutions(n8n, workflowId, jobs, 120_000);
		// The simulator's clock runs ahead of the real one by the time readyProfile() skipped.
		const clockAhead = sim.now() - Date.now();
		const finishedAt = new Map(
			sim.jobs().map((job) => [job.id, (job.finishedAt ?? Number.NaN) - clockAhead]),
		);
		const delays: number[] = [];
		for (const execution of executions) {
			const [item] = nodeOutput(await runDataOf(n8n, execution.id), 'Phota Trigger');
			delays.push(execution.startedAt - (finishedAt.get(String(item?.json.job_id)) ?? Number.NaN));
		}
		delays.sort((a, b) => a - b);
		if (delays.some(Number.isNaN)) throw new Error('an execution names no job of this run');
		const median = Math.round(percentile(delays, 0.5));
		const p95 = Math.round(percentile(delays, 0.95));
		rows.push({
			measure: `6b. Phota Trigger (n8n start), ${jobs} jobs of 1–3 s submitted at once: a job's end → its execution's start`,
			phota: `median ${median} ms, p95 ${p95} ms`,
			baseline: '',
			ratio: '',
			target: 'info',
			met: true,
		});
	} finally {
		await server.stop();
	}
}

export async function measureAsync(context: BenchContext, n8n: N8nInstance): Promise<void> {
	await syncAgainstWaitHere(context, n8n);
	await triggerLatency(context, n8n);
}
