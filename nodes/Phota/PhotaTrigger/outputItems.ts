/**
 * The items a finished job's delivery starts the workflow with: one per image (like the Phota
 * node's image operations), the images as binary files, or one item for a failed job.
 */
import type { IBinaryData, IDataObject, INodeExecutionData, IWebhookFunctions } from 'n8n-workflow';

import type { BinarySource } from '../helpers/imageResults';
import { imageResultItems } from '../helpers/imageResults';
import { deliveryKeyOf } from './deliveries';
import type { JobDocument } from './jobDocument';

export interface OutputSettings {
	/** Download each download URL into a binary file (otherwise the URLs only). */
	download: boolean;
	binaryProperty: string;
}

/**
 * A job's image kept inline (base64 in the run data) rather than in n8n's binary data store. A
 * webhook has no execution yet, so n8n stores its files in the workflow's `executions/temp` folder,
 * and the first execution of that workflow to end moves its first file out and deletes the whole
 * folder (n8n 2.8, restoreBinaryDataId): concurrent callbacks lost their images ("File not found"
 * in most of the 20 executions of e2e/callbacks.test.ts). Inline, a job's images (at most 4) travel with
 * its own execution, to a queue-mode worker too.
 */
async function inlineBinary(
	data: BinarySource,
	fileName: string,
	mimeType: string,
): Promise<IBinaryData> {
	const chunks: Buffer[] = [];
	if (Buffer.isBuffer(data)) chunks.push(data);
	else for await (const chunk of data) chunks.push(Buffer.from(chunk));
	const bytes = Buffer.concat(chunks);
	return {
		data: bytes.toString('base64'),
		mimeType,
		fileName,
		fileExtension: fileName.split('.').pop(),
		fileSize: `${Math.round(bytes.length / 102.4) / 10} kB`,
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
	const delivery: IDataObject = {
		job_id: document.jobId,
		status,
		status_recognised: recognised,
		client_request_id: document.clientRequestId,
		delivery_key: deliveryKeyOf(document.jobId, status),
	};
	if (document.status === 'failed') {
		const error = document.error ?? { code: null, detail: 'The job failed without a reason' };
		return [{ json: { ...delivery, profile_ids: [], known_subjects: {}, error } }];
	}
	// A status the node does not know: what the document holds stays visible.
	const unknownStatus = recognised ? {} : { error: document.error };
	const images = document.result?.images ?? [];
	const urls = document.result?.downloadUrls ?? [];
	if (images.length + urls.length === 0) {
		const json: IDataObject = {
			...delivery,
			...unknownStatus,
			profile_ids: Object.keys(counts),
			known_subjects: counts,
			images_in_request: 0,
		};
		if (!recognised) json.result = document.rawResult;
		else json.warning = 'The job succeeded, but its callback holds no images and no download URLs';
		return [{ json }];
	}
	// The same items as Job → Get's, so one workflow can take either.
	return await imageResultItems.call(
		this,
		{ images, download_urls: urls, known_subjects: { counts } },
		{
			operation: 'job',
			profileIds: Object.keys(counts),
			outputFormat: 'png',
			binaryPropertyOutput: settings.binaryProperty,
			downloadUrls: settings.download,
			itemIndex: 0,
			storeBinary: inlineBinary,
			fileNameStem: `phota-${document.jobId.replace(/[^\w-]/g, '_').slice(0, 64)}`,
			extraJson: { ...delivery, ...unknownStatus },
		},
	);
}
