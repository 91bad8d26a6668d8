/** Async image jobs: submission (202), GET /jobs/:id and signed callbacks when a job finishes. */
import { randomBytes } from 'node:crypto';

import { charge, refund } from './billing';
import { deliverCallback } from './callbacks';
import type { Call, Reply } from './http';
import { API_PREFIX, httpError } from './http';
import type { SimJob, SimState, StoredJob } from './state';

/** Every job with its status now (sim.jobs()). */
export function jobViews(state: SimState): SimJob[] {
	finishDueJobs(state);
	return [...state.jobStore.values()].map((job) => ({ ...job, status: jobStatus(state, job) }));
}

/**
 * An async image request: charged once, answered 202 with the job, which runs `runningMs` after its
 * queued phase. A repeated client_request_id of the same key gets the existing job back, uncharged.
 */
export function submitJob(
	state: SimState,
	call: Call,
	endpoint: string,
	result: SimJob['result'],
	cost: number,
	runningMs: number,
): Reply {
	const clientRequestId = call.body.client_request_id as string | undefined;
	if (clientRequestId) {
		const existing = [...state.jobStore.values()].find(
			(job) => job.apiKey === call.apiKey && job.clientRequestId === clientRequestId,
		);
		if (existing)
			return {
				status: 202,
				body: { job_id: existing.id, poll_url: `${API_PREFIX}/jobs/${existing.id}` },
			};
	}
	charge(state, call, cost);
	const id = `job_${randomBytes(6).toString('hex')}`;
	const job: StoredJob = {
		id,
		endpoint,
		createdAt: state.now(),
		phasesMs: { queued: state.settings.jobPhasesMs.queued, running: runningMs },
		finishedAt: null,
		clientRequestId,
		callbackUrl: call.body.callback_url as string | undefined,
		fail: ((call.body.prompt ?? '') as string).includes('__JOB_FAIL__'),
		result,
		apiKey: call.apiKey,
		cost,
	};
	state.jobStore.set(id, job);
	if (job.fail) refund(state, call.apiKey, cost);
	scheduleFinish(state, job);
	return { status: 202, body: { job_id: id, poll_url: `${API_PREFIX}/jobs/${id}` } };
}

/** When the job's running phase ends, on the simulator's clock. */
function finishTime(job: StoredJob): number {
	return job.createdAt + job.phasesMs.queued + job.phasesMs.running;
}

/** A timer at the job's finish time (sim.advanceClock finishes it earlier if the clock passes it). */
function scheduleFinish(state: SimState, job: StoredJob): void {
	// A timer may fire a millisecond before Date.now() reaches its time: then it waits again.
	state.schedule(
		() => (state.now() < finishTime(job) ? scheduleFinish(state, job) : finishDueJobs(state)),
		Math.max(0, finishTime(job) - state.now()),
	);
}

function jobStatus(state: SimState, job: StoredJob): string {
	const elapsed = state.now() - job.createdAt;
	if (elapsed < job.phasesMs.queued) return 'queued';
	if (elapsed < job.phasesMs.queued + job.phasesMs.running) return 'running';
	return job.fail ? 'failed' : 'succeeded';
}

function jobDocument(state: SimState, job: StoredJob) {
	const status = jobStatus(state, job);
	return {
		job_id: job.id,
		status,
		// ASSUMPTION (§9.9: the job schema is unpublished): the client's idempotency key is echoed back,
		// null when none was sent, so a callback can be matched to the item that asked for it.
		client_request_id: job.clientRequestId ?? null,
		result: status === 'succeeded' ? job.result : null,
		error:
			status === 'failed'
				? { code: 'GENERATION_FAILED', detail: 'The image could not be generated.' }
				: null,
	};
}

/** GET /jobs/:id */
export function getJob(state: SimState, call: Call): Reply {
	finishDueJobs(state);
	const job = state.jobStore.get(call.params[0]);
	if (!job || job.apiKey !== call.apiKey)
		throw httpError(404, call.requestId, 'NOT_FOUND', `Job ${call.params[0]} not found.`);
	return { status: 200, body: jobDocument(state, job) };
}

/**
 * Records the finish of every job whose running phase is over (finishedAt: its nominal end on the
 * simulator's clock) and sends its callback, if it has one, at once (callbacks.ts).
 */
export function finishDueJobs(state: SimState): void {
	for (const job of state.jobStore.values()) {
		if (job.finishedAt !== null || state.now() < finishTime(job)) continue;
		job.finishedAt = finishTime(job);
		if (job.callbackUrl) void deliverCallback(state, job, jobDocument(state, job));
	}
}
