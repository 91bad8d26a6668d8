/**
 * Image requests: sending one (sync, or as a job: imageJobs.ts) and turning its answer into output
 * items (imageResults.ts), and the hint about items sent without a profile.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { RunRequests } from '../transport';
import { asNodeError, failureOf, photaApiRequest } from '../transport';
import type { ImageCall, JobMode } from './imageJobs';
import { submitImageJob, waitForImageJob } from './imageJobs';
import type { RequestResultContext } from './imageResults';
import { blobStore, requestResultItems } from './imageResults';
import type { ImageEndpoint, ImageResponse } from './interfaces';

/**
 * An image operation's `finish`: an execution hint naming the input items planned without a
 * profile, whose images therefore keep no one's identity.
 */
export function hintItemsWithoutProfile(
	this: IExecuteFunctions,
	plans: ReadonlyMap<number, { identity: { usedProfileIds: string[] } }>,
): void {
	const itemIndexes = [...plans]
		.filter(([, plan]) => plan.identity.usedProfileIds.length === 0)
		.map(([itemIndex]) => itemIndex);
	if (!itemIndexes.length) return;
	const items = itemIndexes.length === 1 ? 'item' : 'items';
	this.addExecutionHints({
		message: `No profile was chosen for input ${items} ${itemIndexes.join(', ')} (Profiles is empty), so those images keep no one's identity. To put a person in them, choose their profile in Profiles.`,
		type: 'info',
		location: 'outputPane',
	});
}

/** How an image request's answer is delivered, as its Options set it. */
export interface ImageDelivery {
	job: JobMode;
	delivery: 'binary' | 'urlsThenBinary' | 'urls';
	binaryPropertyOutput: string;
}

/** One image request as the steps below need it: what is sent, and how its images are output. */
interface ImageRequest {
	call: ImageCall;
	options: ImageDelivery;
	output: RequestResultContext;
}

/**
 * Sends one image request (`plan`: its delivery, and the people it names for the output items)
 * and returns one output item per image. As a job (Options → Async Job) it is waited for here, or
 * its job_id is returned at once. A sync request that Phota ended at its time limit (504,
 * refunded) is sent again as a job and waited for.
 */
export async function sendImageRequest(
	this: IExecuteFunctions,
	endpoint: ImageEndpoint,
	body: IDataObject,
	plan: { options: ImageDelivery; identity: { usedProfileIds: string[] } },
	itemIndex: number,
	requests: RunRequests,
): Promise<INodeExecutionData[]> {
	const { options } = plan;
	const namesProfiles = body.profile_ids || String(body.prompt ?? '').includes('[[');
	const request: ImageRequest = {
		call: {
			endpoint,
			body,
			itemIndex,
			requests,
			notFoundHint: namesProfiles
				? 'A profile named in this request may still be training, have failed, or have been deleted. Check it with Profile → Get Status, or put a "Wait for Profile Ready" node before this one.'
				: undefined,
		},
		options,
		output: {
			operation: endpoint,
			profileIds: plan.identity.usedProfileIds,
			outputFormat: String(body.output_format ?? 'png'),
			binaryPropertyOutput: options.binaryPropertyOutput,
			downloadUrls: options.delivery !== 'urls',
			itemIndex,
			requests,
		},
	};
	if (options.job.kind === 'returnJobId') return [await submitJob.call(this, request)];
	if (options.job.kind === 'waitHere') return await submitJobAndWait.call(this, request);
	return await sendAndWaitForAnswer.call(this, request);
}

/** Sync: Phota answers with the images; on its own 504 (refunded) the request is sent as a job. */
async function sendAndWaitForAnswer(
	this: IExecuteFunctions,
	request: ImageRequest,
): Promise<INodeExecutionData[]> {
	const { call, output } = request;
	// The answer or the failure as a value: n8n's scanner forbids rethrowing in a catch block.
	const sent = await (photaApiRequest<ImageResponse>)
		.call(this, {
			method: 'POST',
			endpoint: `/${call.endpoint}`,
			body: call.body,
			safety: 'paid',
			encoding: 'jsonWithBlobs',
			storeBlob: blobStore.call(this, output),
			itemIndex: call.itemIndex,
			requests: call.requests,
			notFoundHint: call.notFoundHint,
		})
		.then(
			(response) => ({ result: response.body }),
			(error: unknown) => ({ error }),
		);
	if ('result' in sent) return await requestResultItems.call(this, sent.result, output);
	if (!refundedTimeout(sent.error)) throw asNodeError(this.getNode(), sent.error);
	call.requests.bill.resentAsJob(`/${call.endpoint}`, call.itemIndex);
	return await submitJobAndWait.call(this, request, "Phota's sync time limit (504, refunded)");
}

/** Async Job → Submit and Wait Here: the job's images, as a sync request's, with its job_id. */
async function submitJobAndWait(
	this: IExecuteFunctions,
	request: ImageRequest,
	resentAfter?: string,
): Promise<INodeExecutionData[]> {
	const { call } = request;
	const job = await submitImageJob.call(this, {
		...call,
		body: { ...call.body, response_mode: 'urls' },
	});
	const result = await waitForImageJob.call(this, job, request.options.job.wait, call);
	return await requestResultItems.call(this, result, {
		...request.output,
		extraJson: { job_id: job.jobId, ...(resentAfter ? { resent_as_job_after: resentAfter } : {}) },
	});
}

/** Async Job → Submit and Return the Job ID: one item saying where the job is. */
async function submitJob(
	this: IExecuteFunctions,
	request: ImageRequest,
): Promise<INodeExecutionData> {
	const { call, output } = request;
	const job = await submitImageJob.call(this, call);
	return {
		json: {
			operation: call.endpoint,
			job_id: job.jobId,
			poll_url: job.pollUrl,
			status: 'queued',
			client_request_id: job.clientRequestId,
			profile_ids: output.profileIds,
		},
	};
}

/** Phota's own 504 to a sync request: past its time limit, refunded, so it may be sent again. */
function refundedTimeout(error: unknown): boolean {
	const failure = failureOf(error);
	return failure?.status === 504 && failure.photaAnswer === true;
}
