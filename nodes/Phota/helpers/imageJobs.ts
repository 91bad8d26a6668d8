/**
 * Image requests run as Phota jobs: submitting one (answered 202 with a job_id), waiting for it in
 * the node, and what a finished job document means for its item.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError, randomString } from 'n8n-workflow';

import type { RunRequests } from '../transport';
import { photaApiRequest } from '../transport';
import { incompleteAnswerError } from '../transport/errors';
import { sleepUnlessCancelled } from '../transport/timers';
import type { ImageEndpoint, ImageResponse, JobDocument, JobHandle } from './interfaces';

/** How long a job is waited for, and how often Phota is asked about it. */
export interface JobWait {
	pollIntervalMs: number;
	maxWaitMs: number;
}

/**
 * Options → Async Job: one request that answers with the images (off), a job this node waits for,
 * or a job whose ID is returned at once (a Phota Trigger or Job → Get reads the result). `wait`
 * also serves a sync request that Phota ended at its time limit, which is sent again as a job.
 */
export interface JobMode {
	kind: 'off' | 'waitHere' | 'returnJobId';
	wait: JobWait;
}

/** One image request as the transport sends it, for one input item. */
export interface ImageCall {
	endpoint: ImageEndpoint;
	body: IDataObject;
	itemIndex: number;
	requests: RunRequests;
	/** What a 404 answer advises (the request names profiles that may not be ready). */
	notFoundHint?: string;
}

export interface SubmittedJob {
	jobId: string;
	pollUrl: string | null;
	/** The idempotency key its resends carried: Phota deduplicates them instead of billing twice. */
	clientRequestId: string;
}

/** Statuses of a job still in progress (polled again; their callbacks start no workflow). */
export const UNFINISHED_JOB_STATUSES = ['queued', 'running'];
/** The statuses the node knows; another is reported as it is (`status_recognised: false`). */
export const KNOWN_JOB_STATUSES = [...UNFINISHED_JOB_STATUSES, 'succeeded', 'failed'];

/**
 * Identifies one logical request: random per call, reused only by the transport's resends of that
 * same request. A node that runs again in the same execution (a loop, an agent's second tool call)
 * therefore never gets an earlier run's job back.
 */
function newClientRequestId(this: IExecuteFunctions): string {
	const executionId = this.getExecutionId();
	const prefix = typeof executionId === 'string' && executionId ? `n8n-${executionId}` : 'n8n';
	return `${prefix}-${randomString(16).toLowerCase()}`;
}

/** Submits `call` as an async job, with a client_request_id so that a resend is never billed twice. */
export async function submitImageJob(
	this: IExecuteFunctions,
	call: ImageCall,
): Promise<SubmittedJob> {
	const clientRequestId = newClientRequestId.call(this);
	const { body: handle } = await (photaApiRequest<JobHandle>).call(this, {
		method: 'POST',
		endpoint: `/${call.endpoint}`,
		body: { ...call.body, async: true, client_request_id: clientRequestId },
		safety: 'deduplicated',
		itemIndex: call.itemIndex,
		requests: call.requests,
		notFoundHint: call.notFoundHint,
	});
	if (typeof handle.job_id !== 'string' || handle.job_id === '') {
		throw incompleteAnswerError(
			this.getNode(),
			'job_id',
			handle,
			call.itemIndex,
			`The job was queued; look it up by its client_request_id ${clientRequestId}.`,
		);
	}
	return { jobId: handle.job_id, pollUrl: handle.poll_url ?? null, clientRequestId };
}

/** The status of a job document, lower case ('' when it has none). */
export function jobStatusOf(job: JobDocument): string {
	return typeof job.status === 'string' ? job.status.toLowerCase() : '';
}

/**
 * Polls the job every `wait.pollIntervalMs` until it has finished, and returns its result. Each
 * poll is a request of the run (within Parallel Requests); Stop ends the wait at once. A failed job,
 * one still running at Max Wait, or one left because another item failed the node becomes this
 * item's error, naming its job_id.
 */
export async function waitForImageJob(
	this: IExecuteFunctions,
	job: SubmittedJob,
	wait: JobWait,
	call: ImageCall,
): Promise<ImageResponse> {
	const { itemIndex, requests } = call;
	const cancelSignal = this.getExecutionCancelSignal?.();
	const giveUpAt = Date.now() + wait.maxWaitMs;
	for (;;) {
		const untilGiveUp = giveUpAt - Date.now();
		await sleepUnlessCancelled(
			Math.min(wait.pollIntervalMs, Math.max(0, untilGiveUp)),
			cancelSignal,
			requests.lostRun?.signal,
		);
		if (requests.lostRun?.signal.aborted) {
			throw jobError(this, job, itemIndex, 'Stopped waiting: another item failed the node', {
				description: `The job still runs and is billed when it does. Read its result with Job → Get (job_id ${job.jobId}).`,
			});
		}
		const { body: document } = await (photaApiRequest<JobDocument>).call(this, {
			method: 'GET',
			endpoint: `/jobs/${encodeURIComponent(job.jobId)}`,
			itemIndex,
			requests,
		});
		const status = jobStatusOf(document);
		if (!UNFINISHED_JOB_STATUSES.includes(status)) {
			return finishedJobResult.call(this, document, job, call, status);
		}
		if (Date.now() >= giveUpAt) {
			throw jobError(
				this,
				job,
				itemIndex,
				`Job ${job.jobId} had not finished after ${spelledDuration(wait.maxWaitMs)}`,
				{
					description: `It is still ${status} at Phota and is billed when it runs. Read its result later with Job → Get (job_id ${job.jobId}), or raise Options → Job Max Wait.`,
				},
			);
		}
	}
}

/** What a finished job gives its item: the images of a job that succeeded, or its error. */
function finishedJobResult(
	this: IExecuteFunctions,
	document: JobDocument,
	job: SubmittedJob,
	call: ImageCall,
	status: string,
): ImageResponse {
	const { bill } = call.requests;
	const endpoint = `/${call.endpoint}`;
	if (status === 'failed') {
		bill.jobSettled(endpoint, call.itemIndex, 'failed');
		const detail = document.error?.detail ?? 'no reason given';
		const code = document.error?.code ? ` (${document.error.code})` : '';
		throw jobError(this, job, call.itemIndex, `Phota's job ${job.jobId} failed: ${detail}${code}`, {
			description: 'Phota does not bill a job that fails.',
		});
	}
	const result = document.result;
	if (!result || (!result.images?.length && !result.download_urls?.length)) {
		const said = status === 'succeeded' ? 'although it succeeded' : `with status "${status}"`;
		throw jobError(
			this,
			job,
			call.itemIndex,
			`Phota's job ${job.jobId} ended ${said} but holds no images`,
			{ description: 'The job ran and may have been billed; check it with Job → Get.' },
		);
	}
	bill.jobSettled(endpoint, call.itemIndex, 'succeeded');
	return result;
}

function spelledDuration(ms: number): string {
	return ms < 120_000 ? `${Math.round(ms / 1000)} seconds` : `${Math.round(ms / 60_000)} minutes`;
}

/** An item's error about its job: the output (and the node's error) keep the job_id. */
function jobError(
	context: IExecuteFunctions,
	job: SubmittedJob,
	itemIndex: number,
	message: string,
	{ description }: { description: string },
): NodeOperationError {
	const error = new NodeOperationError(context.getNode(), message, { itemIndex, description });
	error.context.job_id = job.jobId;
	error.context.client_request_id = job.clientRequestId;
	return error;
}
