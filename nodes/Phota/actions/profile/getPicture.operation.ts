import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { binaryPropertyOption, outputMimeType } from '../../helpers/binary';
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
	profileLocator({ required: true }),
	optionsCollection([binaryPropertyOption, parallelRequestsOption, maxRetriesOption]),
];

const displayOptions = { show: { resource: ['profile'], operation: ['getPicture'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const options = this.getNodeParameter('options', 0, {}) as IDataObject;
	const { parallelRequests, retryPolicy } = requestSettings(options);
	const binaryProperty = (options.binaryPropertyOutput as string) || 'data';

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
				const pictures: INodeExecutionData[] = [];
				for (const profileId of profileIds) {
					const { body, headers } = (await photaApiRequest.call(this, {
						method: 'GET',
						endpoint: `/profiles/${encodeURIComponent(profileId)}/profile_picture`,
						encoding: 'arraybuffer',
						itemIndex,
						retryPolicy,
					})) as PhotaResponse<Buffer>;
					const data = Buffer.from(body);
					const mimeType = outputMimeType(data, headers['content-type'], 'image/jpeg');
					const extension = mimeType === 'image/png' ? 'png' : 'jpg';
					pictures.push({
						json: {
							profile_id: profileId,
							profile_ids: [profileId],
							mimeType,
							fileSize: data.length,
						},
						binary: {
							[binaryProperty]: await this.helpers.prepareBinaryData(
								data,
								`phota-profile-${profileId}.${extension}`,
								mimeType,
							),
						},
					});
				}
				return pictures;
			},
		},
		parallelRequests,
	);
}
