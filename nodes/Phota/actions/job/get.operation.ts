import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { binaryPropertyOption } from '../../helpers/binary';
import { imageResultItems } from '../../helpers/imageResults';
import type { JobDocument } from '../../helpers/interfaces';
import { runItems } from '../../helpers/itemRunner';
import { normaliseProfileIds } from '../../helpers/profileIds';
import type { PhotaResponse } from '../../transport';
import { photaApiRequest } from '../../transport';
import { optionsCollection, requestOptions, requestSettings } from '../common.descriptions';

const properties: INodeProperties[] = [
	{
		displayName: 'Job ID',
		name: 'jobId',
		type: 'string',
		default: '={{ $json.job_id }}',
		required: true,
		description: 'The job_id an image operation returned in Async mode',
	},
	optionsCollection([
		{
			displayName: 'Download Images',
			name: 'download',
			type: 'boolean',
			default: true,
			description:
				'Whether to download the finished images as binary files (otherwise only their URLs are output)',
		},
		binaryPropertyOption,
		...requestOptions,
	]),
];

const displayOptions = { show: { resource: ['job'], operation: ['get'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const options = this.getNodeParameter('options', 0, {}) as IDataObject;
	const { parallelRequests, retryPolicy } = requestSettings(options);

	return await runItems.call(
		this,
		{
			async plan(itemIndex: number) {
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
			async run({ jobId, profileIds }: { jobId: string; profileIds: string[] }, itemIndex: number) {
				const { body: job } = (await photaApiRequest.call(this, {
					method: 'GET',
					endpoint: `/jobs/${encodeURIComponent(jobId)}`,
					itemIndex,
					retryPolicy,
				})) as PhotaResponse<JobDocument>;
				const summary: IDataObject = {
					job_id: job.job_id ?? jobId,
					status: job.status,
					profile_ids: profileIds,
				};

				if (job.status === 'succeeded' && job.result) {
					return await imageResultItems.call(this, job.result, {
						operation: 'job',
						profileIds,
						outputFormat: 'png',
						binaryPropertyOutput: (options.binaryPropertyOutput as string) || 'data',
						downloadUrls: options.download !== false,
						itemIndex,
						retryPolicy,
						extraJson: { job_id: summary.job_id, status: job.status },
					});
				}
				if (job.status === 'failed') {
					summary.job_error = job.error?.detail ?? 'The job failed without a reason';
					if (job.error?.code) summary.job_error_code = job.error.code;
				}
				return [{ json: summary }];
			},
		},
		parallelRequests,
	);
}
