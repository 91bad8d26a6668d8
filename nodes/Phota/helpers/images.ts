/**
 * Image requests: sending one (sync, or as a job: imageJobs.ts) and turning its answer into output
 * items (imageResults.ts), and the hint about items sent without a profile.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { RunRequests } from '../transport';
import { asNodeError, failureOf, photaApiRequest } from '../transport';
import type { ImageCall, JobMode } from './imageJobs';
import { submitImageJob, waitForImageJob } from './imageJobs';
import type { ImageResultContext } from './imageResults';
import { imageResultItems, storeImageBytes } from './imageResults';
import type { ImageEndpoint, ImageResponse } from './interfaces';

/**
 * After the run: an execution hint naming the input items planned without a profile, whose images
 * therefore keep no one's identity.
 */
export function hintItemsWithoutProfile(this: IExecuteFunctions, itemIndexes: number[]): void {
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
	const call: ImageCall = {
		endpoint,
		body,
		itemIndex,
		requests,
		notFoundHint: namesProfiles
			? 'A profile named in this request may still be training, have failed, or have been deleted. Check it with Profile → Get Status, or put a "Wait for Profile Ready" node before this one.'
			: undefined,
	};
	const output: ImageResultContext = {
		operation: endpoint,
		profileIds: plan.identity.usedProfileIds,
		outputFormat: String(body.output_format ?? 'png'),
		binaryPropertyOutput: options.binaryPropertyOutput,
		downloadUrls: options.delivery !== 'urls',
		itemIndex,
		requests,
	};
	const results = async (result: ImageResponse, extraJson?: IDataObject) => {
		const imagesReturned = (result.images?.length ?? 0) || (result.download_urls?.length ?? 0);
		requests.bill.addImages(`/${endpoint}`, itemIndex, imagesReturned);
		return await imageResultItems.call(this, result, { ...output, extraJson });
	};
	const waitHere = async (resentAfter?: string) => {
		const job = await submitImageJob.call(this, {
			...call,
			body: { ...body, response_mode: 'urls' },
		});
		const result = await waitForImageJob.call(this, job, options.job.wait, call);
		return await results(result, {
			job_id: job.jobId,
			...(resentAfter ? { resent_as_job_after: resentAfter } : {}),
		});
	};

	if (options.job.kind === 'returnJobId') {
		const job = await submitImageJob.call(this, call);
		return [
			{
				json: {
					operation: endpoint,
					job_id: job.jobId,
					poll_url: job.pollUrl,
					status: 'queued',
					client_request_id: job.clientRequestId,
					profile_ids: plan.identity.usedProfileIds,
				},
			},
		];
	}
	if (options.job.kind === 'waitHere') return await waitHere();
	// The answer or the failure as a value: n8n's scanner forbids rethrowing in a catch block.
	const sent = await (photaApiRequest<ImageResponse>)
		.call(this, {
			method: 'POST',
			endpoint: `/${endpoint}`,
			body,
			safety: 'paid',
			encoding: 'jsonWithBlobs',
			// Each image goes to n8n's binary store as soon as it is decoded, so one at a time is held.
			storeBlob: async (bytes, path) =>
				await storeImageBytes.call(this, bytes, typeof path[1] === 'number' ? path[1] : 0, output),
			itemIndex,
			requests,
			notFoundHint: call.notFoundHint,
		})
		.then(
			(response) => ({ result: response.body }),
			(error: unknown) => ({ error }),
		);
	if ('result' in sent) return await results(sent.result);
	if (!refundedTimeout(sent.error)) throw asNodeError(this.getNode(), sent.error);
	requests.bill.resentAsJob(`/${endpoint}`, itemIndex);
	return await waitHere("Phota's sync time limit (504, refunded)");
}

/** Phota's own 504 to a sync request: past its time limit, refunded, so it may be sent again. */
function refundedTimeout(error: unknown): boolean {
	const failure = failureOf(error);
	return failure?.status === 504 && failure.photaAnswer === true;
}
