/**
 * The items a finished job's delivery starts the workflow with: one per image (like the Phota
 * node's image operations), the images as binary files, or one item for a failed job.
 */
import type { IBinaryData, IDataObject, INodeExecutionData, IWebhookFunctions } from 'n8n-workflow';

import { declaredImageType, outputMimeType } from '../helpers/mimeTypes';
import { discardBody, isBodyStream, normaliseHeaders } from '../transport/answer';
import type { RawResponse } from '../transport/answer';
import { messageOf } from '../transport/errorWording';
import { armTimer } from '../transport/timers';
import { deliveryKeyOf } from './deliveries';
import type { JobDocument } from './jobDocument';

export interface OutputSettings {
	/** Download each download URL into a binary file (otherwise the URLs only). */
	download: boolean;
	binaryProperty: string;
}

/** One image from Phota's storage (up to tens of MB for 4K), as the Phota node allows. */
const DOWNLOAD_TIMEOUT_MS = 300_000;
const DOWNLOAD_ATTEMPTS = 2;
/** Phota's default output format, when neither the bytes nor the answer say otherwise. */
const FALLBACK_MIME_TYPE = 'image/png';

/** What n8n's binary data store accepts: a Buffer or a stream. */
type BinarySource = Parameters<IWebhookFunctions['helpers']['prepareBinaryData']>[0];

/** n8n hands a streamed response body over as a Node stream, which its binary store takes as it is. */
function isNodeStream(body: unknown): body is BinarySource {
	return isBodyStream(body) && 'pipe' in body && typeof body.pipe === 'function';
}

function extensionOf(mimeType: string): string {
	return mimeType === 'image/jpeg' ? 'jpg' : (mimeType.split('/')[1] ?? 'bin');
}

/** The image type a download URL's file name says, for answers without an image Content-Type. */
function typeFromUrl(url: string): string | undefined {
	if (!URL.canParse(url)) return undefined;
	const extension = /\.(png|jpe?g|webp|heic)$/i.exec(new URL(url).pathname)?.[1]?.toLowerCase();
	if (!extension) return undefined;
	return extension.startsWith('jp') ? 'image/jpeg' : `image/${extension}`;
}

type Stored = { binary: IBinaryData; fileName: string; mimeType: string } | { error: string };

/** One try at downloading `url` straight into n8n's binary store, without buffering it here. */
async function downloadOnce(
	this: IWebhookFunctions,
	url: string,
	fileStem: string,
): Promise<Stored & { retry?: boolean }> {
	const abort = new AbortController();
	// Bounds the whole transfer (n8n's timeout only bounds the wait for the answer to start).
	const disarm = armTimer(DOWNLOAD_TIMEOUT_MS, () => abort.abort());
	try {
		// The URL carries its own signature: no credential is sent with it.
		const raw: RawResponse = await this.helpers.httpRequest({
			method: 'GET',
			url,
			encoding: 'stream',
			json: false,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: DOWNLOAD_TIMEOUT_MS,
			abortSignal: abort.signal,
		});
		if (raw.statusCode >= 300 || !isNodeStream(raw.body)) {
			discardBody(raw);
			return {
				error: `the download answered HTTP ${raw.statusCode}`,
				retry: raw.statusCode >= 500,
			};
		}
		const headers = normaliseHeaders(raw.headers);
		const mimeType =
			declaredImageType(headers['content-type']) ?? typeFromUrl(url) ?? FALLBACK_MIME_TYPE;
		const fileName = `${fileStem}.${extensionOf(mimeType)}`;
		const binary = await this.helpers.prepareBinaryData(raw.body, fileName, mimeType);
		return { binary, fileName, mimeType };
	} catch (error) {
		const reason = abort.signal.aborted
			? `it took longer than ${DOWNLOAD_TIMEOUT_MS / 1000} s`
			: messageOf(error);
		return { error: `the download failed: ${reason}`, retry: true };
	} finally {
		disarm();
	}
}

async function download(this: IWebhookFunctions, url: string, fileStem: string): Promise<Stored> {
	if (!/^https?:\/\//i.test(url)) return { error: 'the download URL is not an http(s) URL' };
	let outcome: Stored & { retry?: boolean } = { error: 'not tried' };
	for (let attempt = 1; attempt <= DOWNLOAD_ATTEMPTS; attempt++) {
		outcome = await downloadOnce.call(this, url, fileStem);
		if (!('error' in outcome) || !outcome.retry) break;
	}
	if ('error' in outcome) return { error: outcome.error };
	return outcome;
}

/** A base64 image from the document, into n8n's binary store. */
async function storeBase64(
	this: IWebhookFunctions,
	image: string,
	fileStem: string,
): Promise<Stored> {
	try {
		const data = Buffer.from(image, 'base64');
		const mimeType = outputMimeType(data, undefined, FALLBACK_MIME_TYPE);
		const fileName = `${fileStem}.${extensionOf(mimeType)}`;
		return {
			binary: await this.helpers.prepareBinaryData(data, fileName, mimeType),
			fileName,
			mimeType,
		};
	} catch (error) {
		return { error: `the image could not be stored: ${messageOf(error)}` };
	}
}

/** The item of one image: its binary file, or why there is none (the item is kept either way). */
function imageItem(json: IDataObject, stored: Stored | undefined, binaryProperty: string) {
	if (!stored) return { json: { ...json, file_name: null, mime_type: null } };
	if ('error' in stored) {
		return { json: { ...json, file_name: null, mime_type: null, download_error: stored.error } };
	}
	return {
		json: { ...json, file_name: stored.fileName, mime_type: stored.mimeType },
		binary: { [binaryProperty]: stored.binary },
	};
}

/**
 * The output of a finished job's delivery. Never throws: the images may be paid for, so an image
 * that cannot be downloaded or stored keeps its item, with `download_error`.
 */
export async function jobItems(
	this: IWebhookFunctions,
	document: JobDocument,
	settings: OutputSettings,
): Promise<INodeExecutionData[]> {
	const { recognised, status } = document;
	const counts = document.result?.counts ?? {};
	const base: IDataObject = {
		job_id: document.jobId,
		status,
		status_recognised: recognised,
		client_request_id: document.clientRequestId,
		profile_ids: Object.keys(counts),
		known_subjects: counts,
		delivery_key: deliveryKeyOf(document.jobId, status),
	};
	if (document.status === 'failed') {
		const error = document.error ?? { code: null, detail: 'The job failed without a reason' };
		return [{ json: { ...base, profile_ids: [], known_subjects: {}, error } }];
	}
	// A status the node does not know: what the document holds stays visible.
	if (!recognised) base.error = document.error;

	const images = document.result?.images ?? [];
	const urls = document.result?.downloadUrls ?? [];
	const total = images.length + urls.length;
	if (total === 0) {
		const json: IDataObject = { ...base, images_in_job: 0 };
		if (!recognised) json.result = document.rawResult;
		else json.warning = 'The job succeeded, but its callback holds no images and no download URLs';
		return [{ json }];
	}

	const stem = `phota-${document.jobId.replace(/[^\w-]/g, '_').slice(0, 64)}`;
	const items: INodeExecutionData[] = [];
	for (let index = 0; index < total; index++) {
		const position = index + 1;
		const json = { ...base, image_number: position, images_in_job: total };
		if (index < images.length) {
			const stored = await storeBase64.call(this, images[index], `${stem}-${position}`);
			items.push(imageItem({ ...json, download_url: null }, stored, settings.binaryProperty));
			continue;
		}
		const url = urls[index - images.length];
		const stored = settings.download
			? await download.call(this, url, `${stem}-${position}`)
			: undefined;
		items.push(imageItem({ ...json, download_url: url }, stored, settings.binaryProperty));
	}
	return items;
}
