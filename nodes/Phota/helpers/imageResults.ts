/**
 * The output items of an image result: each image put in n8n's binary store (as the answer is
 * decoded, or downloaded from its URL), one item per image with the profiles it keeps.
 */
import type {
	IBinaryData,
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	IWebhookFunctions,
} from 'n8n-workflow';

import type { BlobToStore, BodyStream, RunRequests, StoreBlob } from '../transport';
import { downloadSignedUrl } from '../transport';
import { incompleteAnswerError } from '../transport/errors';
import { isNodeReadable } from '../transport/bodyStreams';
import type { ImageEndpoint, ImageResponse, StoredImage } from './interfaces';
import { declaredImageType, outputMimeType } from './mimeTypes';

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

/** The output of an image request the node sent: its endpoint, and the run whose bill it is on. */
export type RequestResultContext = ImageResultContext & {
	operation: ImageEndpoint;
	requests: RunRequests;
};

/** What n8n's binary data store accepts: a Buffer or a stream. */
export type BinarySource = Parameters<IExecuteFunctions['helpers']['prepareBinaryData']>[0];

export type StoreBinary = (
	data: BinarySource,
	fileName: string,
	mimeType: string,
) => Promise<IBinaryData>;

/** The output items of an image request's answer, once the images it returned are on the bill. */
export async function requestResultItems(
	this: IExecuteFunctions,
	result: ImageResponse,
	context: RequestResultContext,
): Promise<INodeExecutionData[]> {
	const imagesReturned = (result.images?.length ?? 0) || (result.download_urls?.length ?? 0);
	context.requests.bill.addImages(`/${context.operation}`, context.itemIndex, imagesReturned);
	return await imageResultItems.call(this, result, context);
}

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
	for (const [position, image] of base64Images.entries()) {
		const stored = isStoredImage(image)
			? image
			: await storeImageBytes.call(this, bytesToStore(image), position, context);
		// Let go of each image's bytes once they are in n8n's binary store (which may write them to disk).
		base64Images[position] = '';
		items.push(imageItem(stored, imageJson(position), context));
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
					async (body: BodyStream, headers) => {
						const mimeType =
							declaredImageType(headers['content-type']) ?? fallbackMimeType(context);
						const stored = await storeImage.call(
							this,
							asBinarySource(body),
							mimeType,
							position,
							context,
						);
						return imageItem(stored, json, context);
					},
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
	if (isNodeReadable(body)) return body;
	throw new Error('the download did not come as a stream');
}

function isStoredImage(image: string | Buffer | StoredImage): image is StoredImage {
	return typeof image === 'object' && image !== null && 'binary' in image;
}

function bytesToStore(image: string | Buffer): BlobToStore {
	const bytes = Buffer.isBuffer(image) ? image : Buffer.from(image, 'base64');
	return { data: bytes, head: bytes };
}

function fallbackMimeType(context: ImageResultContext): string {
	return context.outputFormat === 'jpg' ? 'image/jpeg' : 'image/png';
}

/**
 * Where an answer's inline images go while it is read (`jsonWithBlobs`): `images[n]` is stored as
 * image n of the result. None is ever whole here: each is streamed to n8n's store as it is decoded.
 */
export function blobStore(this: IExecuteFunctions, context: ImageResultContext): StoreBlob {
	return async (image, path) =>
		await storeImageBytes.call(this, image, typeof path[1] === 'number' ? path[1] : 0, context);
}

/**
 * Stores a decoded image (its bytes, or a stream of them as they are decoded) as the `position`th
 * image of a result, typed by its magic bytes.
 */
async function storeImageBytes(
	this: ImageOutputContext,
	{ data, head }: BlobToStore,
	position: number,
	context: ImageResultContext,
): Promise<StoredImage> {
	const mimeType = outputMimeType(head, undefined, fallbackMimeType(context));
	return await storeImage.call(this, data, mimeType, position, context);
}

/** Puts one image in n8n's binary store (a stream goes there without being buffered here). */
async function storeImage(
	this: ImageOutputContext,
	data: BinarySource,
	mimeType: string,
	position: number,
	context: ImageResultContext,
): Promise<StoredImage> {
	const fileNameStem =
		context.fileNameStem ?? `phota-${context.operation}-${context.itemIndex + 1}`;
	const extension = mimeType === 'image/jpeg' ? 'jpg' : mimeType.split('/')[1];
	const fileName = `${fileNameStem}-${position + 1}.${extension}`;
	const binary = context.storeBinary
		? await context.storeBinary(data, fileName, mimeType)
		: await this.helpers.prepareBinaryData(data, fileName, mimeType);
	return { binary, fileName, mimeType };
}

/** The output item of one stored image. */
function imageItem(
	stored: StoredImage,
	json: IDataObject,
	context: ImageResultContext,
): INodeExecutionData {
	return {
		json: { ...json, file_name: stored.fileName, mime_type: stored.mimeType },
		binary: { [context.binaryPropertyOutput]: stored.binary },
	};
}
