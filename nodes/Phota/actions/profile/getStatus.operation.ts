import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import type { ProfileStatusResponse } from '../../helpers/interfaces';
import { runItems } from '../../helpers/itemRunner';
import { getProfileStatus } from '../../helpers/profileApi';
import { resolveProfileLocator } from '../../helpers/profileIds';
import {
	maxRetriesOption,
	parallelRequestsOption,
	profileLocator,
	requestSettings,
	optionsCollection,
} from '../common.descriptions';

const properties: INodeProperties[] = [
	profileLocator({ required: true }),
	optionsCollection([parallelRequestsOption, maxRetriesOption]),
];

const displayOptions = { show: { resource: ['profile'], operation: ['getStatus'] } };

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
				const statuses: INodeExecutionData[] = [];
				for (const profileId of profileIds) {
					const status = await getProfileStatus.call(this, profileId, { itemIndex, retryPolicy });
					statuses.push({ json: profileStatusJson(status) });
				}
				return statuses;
			},
		},
		parallelRequests,
	);
}

export function profileStatusJson(status: ProfileStatusResponse): IDataObject {
	return {
		profile_id: status.profile_id,
		status: status.status,
		message: status.message ?? '',
		ready: status.status === 'READY',
		profile_ids: [status.profile_id],
	};
}
