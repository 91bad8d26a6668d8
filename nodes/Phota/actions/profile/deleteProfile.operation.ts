import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { runItems } from '../../helpers/itemRunner';
import { resolveProfileLocator } from '../../helpers/profileIds';
import type { PhotaResponse } from '../../transport';
import { photaApiRequest } from '../../transport';
import {
	maxRetriesOption,
	parallelRequestsOption,
	profileLocator,
	requestSettings,
	optionsCollection,
} from '../common.descriptions';

const properties: INodeProperties[] = [
	{
		displayName:
			'Deleting a profile removes it and its training data for good. Images already made are not affected.',
		name: 'deleteNotice',
		type: 'notice',
		default: '',
	},
	profileLocator({ required: true }),
	optionsCollection([parallelRequestsOption, maxRetriesOption]),
];

const displayOptions = { show: { resource: ['profile'], operation: ['deleteProfile'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const { parallelRequests, retryPolicy } = requestSettings(
		this.getNodeParameter('options', 0, {}),
	);

	return await runItems.call(
		this,
		{
			async plan(itemIndex) {
				return resolveProfileLocator.call(this, 'profile', itemIndex, {
					required: true,
					fieldLabel: 'Profile',
				});
			},
			async run(profileIds: string[], itemIndex: number) {
				const deleted: INodeExecutionData[] = [];
				for (const profileId of profileIds) {
					const { body } = (await photaApiRequest.call(this, {
						method: 'DELETE',
						endpoint: `/profiles/${encodeURIComponent(profileId)}`,
						itemIndex,
						retryPolicy,
					})) as PhotaResponse<IDataObject>;
					deleted.push({
						json: {
							profile_id: (body.profile_id as string) ?? profileId,
							deleted: true,
							status: body.status ?? 'ok',
							profile_ids: [profileId],
						},
					});
				}
				return deleted;
			},
		},
		parallelRequests,
	);
}
