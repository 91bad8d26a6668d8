import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { binaryPropertyOption } from '../../helpers/descriptions';
import { outputBinaryField } from '../../helpers/settings';
import { readBoolean } from '../../helpers/settings';
import { imageResultItems } from '../../helpers/imageResults';
import { KNOWN_JOB_STATUSES, jobStatusOf } from '../../helpers/imageJobs';
import type { ImageResponse, JobDocument } from '../../helpers/interfaces';
import { fromAI, withToolSetup } from '../../helpers/toolMode';
import type { ItemOperation } from '../../helpers/itemRunner';
import type { RunSettings } from '../../helpers/settings';
import { normaliseProfileIds } from '../../helpers/profileIds';
import { photaApiRequest } from '../../transport';
import { incompleteAnswerError } from '../../transport/errors';
import {
	downloadImagesOption,
	optionsCollection,
	requestOptions,
} from '../../helpers/descriptions';

const properties: INodeProperties[] = [
	{
		displayName: 'Job ID',
		name: 'jobId',
		type: 'string',
		default: '={{ $json.job_id }}',
		required: true,
		description: 'The job_id an image operation returned in Async mode',
	},
	optionsCollection([downloadImagesOption, binaryPropertyOption, ...requestOptions]),
];

const displayOptions = { show: { resource: ['job'], operation: ['get'] } };

export const description = updateDisplayOptions(
	displayOptions,
	withToolSetup(properties, {
		description:
			'Reads an async Phota image job: pass job_id. Returns its status (queued, running, succeeded, failed) and, once succeeded, one entry per image with download_url (valid for 24 hours). On a mistake it returns "error" and "description" instead.',
		defaults: { jobId: fromAI('job_id', 'The job_id an image tool returned', 'string') },
	}),
);

function holdsImages(result: JobDocument['result']): result is ImageResponse {
	return (
		!!result &&
		typeof result === 'object' &&
		((Array.isArray(result.images) && result.images.length > 0) ||
			(Array.isArray(result.download_urls) && result.download_urls.length > 0))
	);
}

interface JobPlan {
	jobId: string;
	profileIds: string[];
}

export function prepare(
	this: IExecuteFunctions,
	{ requests, options }: RunSettings,
): ItemOperation<JobPlan> {
	/** Job documents whose status this node does not know (the job schema is not published). */
	const unrecognised = new Map<number, string>();
	const download = readBoolean.call(
		this,
		options.download,
		{ label: 'Download Images', fallback: true },
		0,
	);
	const binaryPropertyOutput = outputBinaryField(options);

	return {
		async plan(itemIndex) {
			const jobId = String(this.getNodeParameter('jobId', itemIndex, '') ?? '').trim();
			if (!jobId) {
				throw new NodeOperationError(this.getNode(), 'Job ID is empty', {
					itemIndex,
					description:
						'Connect this node after an image operation run in Async mode (it outputs "job_id"), or enter the ID.',
				});
			}
			const profileIds = normaliseProfileIds(
				this.getInputData()[itemIndex]?.json.profile_ids ?? [],
			);
			return { jobId, profileIds };
		},
		async run({ jobId, profileIds }, itemIndex) {
			const { body: job } = await (photaApiRequest<JobDocument>).call(this, {
				method: 'GET',
				endpoint: `/jobs/${encodeURIComponent(jobId)}`,
				itemIndex,
				requests,
			});
			const status = jobStatusOf(job);
			const json: IDataObject = { job_id: job.job_id ?? jobId, status, profile_ids: profileIds };
			const images = async (result: ImageResponse, extraJson: IDataObject) =>
				await imageResultItems.call(this, result, {
					operation: 'job',
					profileIds,
					outputFormat: 'png',
					binaryPropertyOutput,
					downloadUrls: download,
					itemIndex,
					requests,
					extraJson,
				});

			if (!KNOWN_JOB_STATUSES.includes(status)) {
				unrecognised.set(itemIndex, String(job.status));
				// Whatever the document holds stays visible: the result may be paid for.
				json.status = job.status ?? null;
				json.result = job.result ?? null;
				json.job_error = job.error ?? null;
				json.status_recognised = false;
				if (!holdsImages(job.result)) return [{ json }];
				const { job_id, status_recognised, job_error } = json;
				return await images(job.result, {
					job_id,
					status: json.status,
					status_recognised,
					job_error,
				});
			}
			if (status === 'succeeded') {
				if (!holdsImages(job.result)) {
					throw incompleteAnswerError(
						this.getNode(),
						'images or download URLs although the job succeeded',
						job,
						itemIndex,
						'The job ran (and may have been charged).',
					);
				}
				return await images(job.result, { job_id: json.job_id, status });
			}
			if (status === 'failed') {
				json.job_error = job.error?.detail ?? 'The job failed without a reason';
				if (job.error?.code) json.job_error_code = job.error.code;
			}
			return [{ json }];
		},
		profileIdsOf: ({ profileIds }) => profileIds,
		finish() {
			if (unrecognised.size === 0) return;
			const examples = [...unrecognised.entries()]
				.slice(0, 5)
				.map(([itemIndex, status]) => `item ${itemIndex}: "${status}"`)
				.join(', ');
			this.addExecutionHints({
				message: `Phota answered with a job status this node does not know (${examples}). The document's status, result and error are passed on as they are, and any images in it were downloaded; check them before relying on the job.`,
				type: 'warning',
				location: 'outputPane',
			});
		},
	};
}
