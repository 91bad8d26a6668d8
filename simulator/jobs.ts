/** Async image jobs: submission (202), GET /jobs/:id and signed callbacks when a job finishes. */
import { createHmac, randomBytes } from 'node:crypto';

import { request as undiciRequest } from 'undici';

import { charge, refund } from './billing';
import type { Call, Reply } from './http';
import { API_PREFIX, httpError } from './http';
import type { SimJob, SimState, StoredJob } from './state';

/** Every job with its status now (sim.jobs()). */
export function jobViews(state: SimState): SimJob[] {
	return [...state.jobStore.values()].map((job) => ({ ...job, status: jobStatus(state, job) }));
}

/**
 * An async image request: charged once, answered 202 with the job. A repeated client_request_id of
 * the same key gets the existing job back, uncharged.
 */
export function submitJob(
	state: SimState,
	call: Call,
	endpoint: string,
	result: SimJob['result'],
	cost: number,
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
	const job = {
		id,
		endpoint,
		createdAt: state.now(),
		clientRequestId,
		callbackUrl: call.body.callback_url as string | undefined,
		fail: ((call.body.prompt ?? '') as string).includes('__JOB_FAIL__'),
		result,
		apiKey: call.apiKey,
		cost,
	};
	state.jobStore.set(id, job);
	if (job.fail) refund(state, call.apiKey, cost);
	if (job.callbackUrl) {
		const { queued, running } = state.settings.jobPhasesMs;
		state.schedule(() => deliverDueCallbacks(state), queued + running + 5);
	}
	return { status: 202, body: { job_id: id, poll_url: `${API_PREFIX}/jobs/${id}` } };
}

function jobStatus(state: SimState, job: StoredJob): string {
	const elapsed = state.now() - job.createdAt;
	const { queued, running } = state.settings.jobPhasesMs;
	if (elapsed < queued) return 'queued';
	if (elapsed < queued + running) return 'running';
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
	const job = state.jobStore.get(call.params[0]);
	if (!job || job.apiKey !== call.apiKey)
		throw httpError(404, call.requestId, 'NOT_FOUND', `Job ${call.params[0]} not found.`);
	return { status: 200, body: jobDocument(state, job) };
}

/** Sends the callback of every finished job that has one and was not called back yet. */
export function deliverDueCallbacks(state: SimState): void {
	if (state.settings.dropCallbacks) return;
	for (const job of state.jobStore.values()) {
		if (!job.callbackUrl || state.callbacksSent.has(job.id)) continue;
		if (!['succeeded', 'failed'].includes(jobStatus(state, job))) continue;
		state.callbacksSent.add(job.id);
		void deliverCallback(state, job, state.settings.callbackRetries);
	}
}

async function deliverCallback(
	state: SimState,
	job: StoredJob,
	retriesLeft: number,
): Promise<void> {
	const payload = JSON.stringify(jobDocument(state, job));
	const signature = createHmac('sha256', state.settings.webhookSecret)
		.update(payload)
		.digest('hex');
	try {
		const response = await undiciRequest(job.callbackUrl as string, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'x-phota-signature': signature },
			body: payload,
		});
		await response.body.dump();
		if (response.statusCode >= 300 && retriesLeft > 0)
			await deliverCallback(state, job, retriesLeft - 1);
	} catch {
		if (retriesLeft > 0) await deliverCallback(state, job, retriesLeft - 1);
	}
}
