import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { randomString } from 'n8n-workflow';

import type { BodyStream, PhotaResponse } from '../transport';
import { downloadSignedUrl, photaApiRequest } from '../transport';
import { incompleteAnswerError } from '../transport/errors';
import type { RetryPolicy } from '../transport/retryPolicy';
import { outputMimeType } from './binary';
import type { ImageEndpoint, ImageRequestSettings } from './imageOptions';
import type { ImageResponse, JobHandle } from './interfaces';

export interface ImageResultContext {
	operation: ImageEndpoint | 'job';
	profileIds: string[];
	outputFormat: string;
	binaryPropertyOutput: string;
	/** Download each URL into a binary file (otherwise URLs only). */
	downloadUrls: boolean;
	itemIndex: number;
	retryPolicy: RetryPolicy;
	extraJson?: IDataObject;
}

/** What n8n's binary data store accepts: a Buffer or a stream. */
type BinarySource = Parameters<IExecuteFunctions['helpers']['prepareBinaryData']>[0];

/**
 * Identifies one logical request: random per call, reused only by the transport's resends of that
 * same request. A node that runs again in the same execution (a loop, an agent's second tool call)
 * therefore never gets an earlier run's job back.
 */
export function newClientRequestId(this: IExecuteFunctions): string {
	const executionId = this.getExecutionId();
	const prefix = typeof executionId === 'string' && executionId ? `n8n-${executionId}` : 'n8n';
	return `${prefix}-${randomString(16).toLowerCase()}`;
}

/**
 * Sends one image request. Sync requests return one output item per image; async requests return
 * the job handle at once, with a client_request_id so that a resend after a dropped connection
 * is deduplicated by Phota instead of billed twice.
 */
export async function sendImageRequest(
	this: IExecuteFunctions,
	endpoint: ImageEndpoint,
	body: IDataObject,
	settings: ImageRequestSettings,
	profileIds: string[],
	itemIndex: number,
	retryPolicy: RetryPolicy,
): Promise<INodeExecutionData[]> {
	if (settings.async) {
		const clientRequestId = newClientRequestId.call(this);
		const { body: handle } = (await photaApiRequest.call(this, {
			method: 'POST',
			endpoint: `/${endpoint}`,
			body: { ...body, client_request_id: clientRequestId },
			safety: 'deduplicated',
			itemIndex,
			retryPolicy,
		})) as PhotaResponse<JobHandle>;
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

	const { body: result } = (await photaApiRequest.call(this, {
		method: 'POST',
		endpoint: `/${endpoint}`,
		body,
		safety: 'paid',
		encoding: 'jsonWithBlobs',
		itemIndex,
		retryPolicy,
	})) as PhotaResponse<ImageResponse>;

	return await imageResultItems.call(this, result, {
		operation: endpoint,
		profileIds,
		outputFormat: String(body.output_format ?? 'png'),
		binaryPropertyOutput: settings.binaryPropertyOutput,
		downloadUrls: settings.delivery === 'urlsThenBinary',
		itemIndex,
		retryPolicy,
	});
}

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
	const stamp = `${context.operation}-${context.itemIndex + 1}`;

	const describe = (position: number): IDataObject => ({
		operation: context.operation,
		profile_ids: context.profileIds,
		known_subjects: counts,
		image_number: position + 1,
		images_in_request: total,
		...context.extraJson,
	});

	const items: INodeExecutionData[] = [];
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
				`phota-${stamp}-${position + 1}`,
				describe(position),
				context,
			),
		);
	}
	for (const [position, url] of urls.entries()) {
		const json = { ...describe(position), download_url: url };
		if (!context.downloadUrls) {
			items.push({ json });
			continue;
		}
		try {
			items.push(
				(await downloadSignedUrl.call(
					this,
					url,
					context.itemIndex,
					context.retryPolicy,
					async (body: BodyStream, headers) =>
						await binaryItem.call(
							this,
							body as unknown as BinarySource,
							declaredImageType(headers['content-type']) ?? fallbackMime,
							`phota-${stamp}-${position + 1}`,
							json,
							context,
						),
				)) as INodeExecutionData,
			);
		} catch (error) {
			items.push({ json: { ...json, download_error: (error as Error).message } });
		}
	}
	return items;
}

function declaredImageType(contentType: string | undefined): string | undefined {
	const declared = contentType?.split(';')[0].trim();
	return declared?.startsWith('image/') ? declared : undefined;
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
