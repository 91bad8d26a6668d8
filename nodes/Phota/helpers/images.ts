/**
 * Image requests and their answers: sending one (sync or as a job), the output items that hold a
 * result's images, what type image bytes are, and the hint about items sent without a profile.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { randomString } from 'n8n-workflow';

import type { BodyStream, RunRequests } from '../transport';
import { downloadSignedUrl, photaApiRequest } from '../transport';
import { incompleteAnswerError } from '../transport/errors';
import type { ImageEndpoint, ImageResponse, JobHandle } from './interfaces';

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

/** How an image request's answer is delivered, as its Options set it. */
export interface ImageDelivery {
	async: boolean;
	delivery: 'binary' | 'urlsThenBinary' | 'urls';
	binaryPropertyOutput: string;
}

/**
 * Sends one image request (`plan`: its delivery, and the people it names for the output items). Sync requests return one output item per image; async requests return
 * the job handle at once, with a client_request_id so that a resend after a dropped connection
 * is deduplicated by Phota instead of billed twice.
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
	const profileIds = plan.identity.usedProfileIds;
	const notFoundHint =
		body.profile_ids || String(body.prompt ?? '').includes('[[')
			? 'A profile named in this request may still be training, have failed, or have been deleted. Check it with Profile → Get Status, or put a "Wait for Profile Ready" node before this one.'
			: undefined;
	if (options.async) {
		const clientRequestId = newClientRequestId.call(this);
		const { body: handle } = await (photaApiRequest<JobHandle>).call(this, {
			method: 'POST',
			endpoint: `/${endpoint}`,
			body: { ...body, client_request_id: clientRequestId },
			safety: 'deduplicated',
			itemIndex,
			requests,
			notFoundHint,
		});
		if (typeof handle.job_id !== 'string' || handle.job_id === '') {
			throw incompleteAnswerError(
				this.getNode(),
				'job_id',
				handle,
				itemIndex,
				`The job was queued; look it up by its client_request_id ${clientRequestId}.`,
			);
		}
		return [
			{
				json: {
					operation: endpoint,
					job_id: handle.job_id,
					poll_url: handle.poll_url ?? null,
					status: 'queued',
					client_request_id: clientRequestId,
					profile_ids: profileIds,
				},
			},
		];
	}

	const { body: result } = await (photaApiRequest<ImageResponse>).call(this, {
		method: 'POST',
		endpoint: `/${endpoint}`,
		body,
		safety: 'paid',
		encoding: 'jsonWithBlobs',
		itemIndex,
		requests,
		notFoundHint,
	});

	const imagesReturned = (result.images?.length ?? 0) || (result.download_urls?.length ?? 0);
	requests.bill.addImages(`/${endpoint}`, itemIndex, imagesReturned);
	return await imageResultItems.call(this, result, {
		operation: endpoint,
		profileIds,
		outputFormat: String(body.output_format ?? 'png'),
		binaryPropertyOutput: options.binaryPropertyOutput,
		downloadUrls: options.delivery === 'urlsThenBinary',
		itemIndex,
		requests,
	});
}

const SIGNATURES: Array<{ mimeType: string; matches: (bytes: Buffer) => boolean }> = [
	{ mimeType: 'image/png', matches: (b) => b.length > 8 && b.readUInt32BE(0) === 0x89504e47 },
	{
		mimeType: 'image/jpeg',
		matches: (b) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
	},
	{
		mimeType: 'image/webp',
		matches: (b) =>
			b.length > 12 &&
			b.toString('ascii', 0, 4) === 'RIFF' &&
			b.toString('ascii', 8, 12) === 'WEBP',
	},
	{
		mimeType: 'image/heic',
		matches: (b) =>
			b.length > 12 &&
			b.toString('ascii', 4, 8) === 'ftyp' &&
			/^(heic|heix|hevc|heim|heis|mif1|msf1)$/.test(b.toString('ascii', 8, 12)),
	},
];

/** The image type by its magic bytes, or undefined when the bytes are not an image Phota accepts. */
export function sniffImageMimeType(bytes: Buffer): string | undefined {
	return SIGNATURES.find((signature) => signature.matches(bytes))?.mimeType;
}

/** MIME type of a file Phota sent: the bytes decide, then the Content-Type header, then the fallback. */
export function outputMimeType(
	bytes: Buffer,
	contentType: string | undefined,
	fallback: string,
): string {
	return sniffImageMimeType(bytes) ?? declaredImageType(contentType) ?? fallback;
}

/** The image type a Content-Type header names, or undefined when it names no image. */
export function declaredImageType(contentType: string | undefined): string | undefined {
	const declared = contentType?.split(';')[0].trim();
	return declared?.startsWith('image/') ? declared : undefined;
}

export interface ImageResultContext {
	operation: ImageEndpoint | 'job';
	profileIds: string[];
	outputFormat: string;
	binaryPropertyOutput: string;
	/** Download each URL into a binary file (otherwise URLs only). */
	downloadUrls: boolean;
	itemIndex: number;
	requests: RunRequests;
	extraJson?: IDataObject;
}

/** What n8n's binary data store accepts: a Buffer or a stream. */
type BinarySource = Parameters<IExecuteFunctions['helpers']['prepareBinaryData']>[0];

/**
 * One output item per image of a (paid) result. A failed download keeps its item, with the URL
 * and the reason, so a result that was paid for is never dropped.
 */
export async function imageResultItems(
	this: IExecuteFunctions,
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
	const fileNameStem = `${context.operation}-${context.itemIndex + 1}`;

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
				`phota-${fileNameStem}-${position + 1}`,
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
							`phota-${fileNameStem}-${position + 1}`,
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
	this: IExecuteFunctions,
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
			[context.binaryPropertyOutput]: await this.helpers.prepareBinaryData(
				data,
				fileName,
				mimeType,
			),
		},
	};
}
