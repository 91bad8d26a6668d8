/**
 * Image requests and their answers: sending one (sync, or as a job: imageJobs.ts), the output items
 * that hold a result's images, and the hint about items sent without a profile.
 */
import type {
	IBinaryData,
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	IWebhookFunctions,
} from 'n8n-workflow';

import type { BodyStream, RunRequests } from '../transport';
import { asNodeError, downloadSignedUrl, failureOf, photaApiRequest } from '../transport';
import { incompleteAnswerError } from '../transport/errors';
import type { ImageCall, JobMode } from './imageJobs';
import { submitImageJob, waitForImageJob } from './imageJobs';
import type { ImageEndpoint, ImageResponse } from './interfaces';
import { declaredImageType, outputMimeType } from './mimeTypes';

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
	const results = (result: ImageResponse, extraJson?: IDataObject) => {
		const imagesReturned = (result.images?.length ?? 0) || (result.download_urls?.length ?? 0);
		requests.bill.addImages(`/${endpoint}`, itemIndex, imagesReturned);
		return imageResultItems.call(this, result, {
			operation: endpoint,
			profileIds: plan.identity.usedProfileIds,
			outputFormat: String(body.output_format ?? 'png'),
			binaryPropertyOutput: options.binaryPropertyOutput,
			downloadUrls: options.delivery !== 'urls',
			itemIndex,
			requests,
			extraJson,
		});
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

/** A node's run, or the Phota Trigger's webhook (a job's images as its callback brought them). */
type ImageOutputContext = IExecuteFunctions | IWebhookFunctions;

export interface ImageResultContext {
	operation: ImageEndpoint | 'job';
	profileIds: string[];
	outputFormat: string;
	binaryPropertyOutput: string;
	/** Download each URL into a binary file (otherwise URLs only). */
	downloadUrls: boolean;
	itemIndex: number;
	/** How the files are named before `-<image number>`: `phota-<operation>-<item number>` by default. */
	fileNameStem?: string;
	/** Where each image goes: n8n's binary data store by default (prepareBinaryData). */
	storeBinary?: StoreBinary;
	/** The run the downloads belong to (none for the trigger: its downloads are its only requests). */
	requests?: RunRequests;
	extraJson?: IDataObject;
}

/** What n8n's binary data store accepts: a Buffer or a stream. */
export type BinarySource = Parameters<IExecuteFunctions['helpers']['prepareBinaryData']>[0];

export type StoreBinary = (
	data: BinarySource,
	fileName: string,
	mimeType: string,
) => Promise<IBinaryData>;

/**
 * One output item per image of a (paid) result. A failed download keeps its item, with the URL
 * and the reason, so a result that was paid for is never dropped.
 */
export async function imageResultItems(
	this: ImageOutputContext,
	result: ImageResponse,
	context: ImageResultContext,
): Promise<INodeExecutionData[]> {
	const counts = result.known_subjects?.counts ?? {};
	const base64Images = Array.isArray(result.images) ? result.images : [];
	const urls = (Array.isArray(result.download_urls) ? result.download_urls : []).filter(
		(url): url is string => typeof url === 'string' && url !== '',
	);
	if (base64Images.length === 0 && urls.length === 0) {
		throw incompleteAnswerError(
			this.getNode(),
			'images and no download URLs',
			result,
			context.itemIndex,
			'The request was processed (and may have been charged).',
		);
	}
	const total = base64Images.length || urls.length;
	const fallbackMime = context.outputFormat === 'jpg' ? 'image/jpeg' : 'image/png';
	const fileNameStem =
		context.fileNameStem ?? `phota-${context.operation}-${context.itemIndex + 1}`;

	const imageJson = (position: number): IDataObject => ({
		operation: context.operation,
		profile_ids: context.profileIds,
		known_subjects: counts,
		image_number: position + 1,
		images_in_request: total,
		...context.extraJson,
	});

	const items: INodeExecutionData[] = [];
	const downloadImage = downloadSignedUrl<INodeExecutionData>;
	for (let position = 0; position < base64Images.length; position++) {
		const image = base64Images[position];
		const data = Buffer.isBuffer(image) ? image : Buffer.from(image, 'base64');
		// Let go of each image once it is handed to n8n's binary store (which may write it to disk).
		base64Images[position] = '';
		const mimeType = outputMimeType(data, undefined, fallbackMime);
		items.push(
			await binaryItem.call(
				this,
				data,
				mimeType,
				`${fileNameStem}-${position + 1}`,
				imageJson(position),
				context,
			),
		);
	}
	for (const [position, url] of urls.entries()) {
		const json = { ...imageJson(position), download_url: url };
		if (!context.downloadUrls) {
			items.push({ json });
			continue;
		}
		try {
			items.push(
				await downloadImage.call(
					this,
					url,
					context.itemIndex,
					context.requests,
					async (body: BodyStream, headers) =>
						await binaryItem.call(
							this,
							asBinarySource(body),
							declaredImageType(headers['content-type']) ?? fallbackMime,
							`${fileNameStem}-${position + 1}`,
							json,
							context,
						),
				),
			);
		} catch (error) {
			const reason = error instanceof Error ? error.message : String(error);
			items.push({ json: { ...json, download_error: reason } });
		}
	}
	return items;
}

/** n8n hands a response body over as a Node stream (Readable), which its binary store takes as it is. */
function asBinarySource(body: BodyStream): BinarySource {
	if (isNodeStream(body)) return body;
	throw new Error('the download did not come as a stream');
}

function isNodeStream(body: BodyStream): body is BodyStream & BinarySource {
	return 'pipe' in body && typeof body.pipe === 'function';
}

/** An output item holding one image; a stream goes to n8n's binary store without being buffered here. */
async function binaryItem(
	this: ImageOutputContext,
	data: BinarySource,
	mimeType: string,
	baseName: string,
	json: IDataObject,
	context: ImageResultContext,
): Promise<INodeExecutionData> {
	const fileName = `${baseName}.${mimeType === 'image/jpeg' ? 'jpg' : mimeType.split('/')[1]}`;
	return {
		json: { ...json, file_name: fileName, mime_type: mimeType },
		binary: {
			[context.binaryPropertyOutput]: context.storeBinary
				? await context.storeBinary(data, fileName, mimeType)
				: await this.helpers.prepareBinaryData(data, fileName, mimeType),
		},
	};
}
