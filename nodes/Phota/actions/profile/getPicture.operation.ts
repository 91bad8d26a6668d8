import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { binaryPropertyOption } from '../../helpers/descriptions';
import { outputMimeType } from '../../helpers/mimeTypes';
import { outputBinaryField } from '../../helpers/settings';
import type { ItemOperation } from '../../helpers/itemRunner';
import { PROFILE_NOT_FOUND_HINT } from '../../helpers/profileApi';
import type { RunSettings } from '../../helpers/settings';
import type { RunRequests } from '../../transport';
import { photaApiRequest } from '../../transport';
import { forEachProfile, perProfileProperties, planProfiles } from './shared';

const displayOptions = { show: { resource: ['profile'], operation: ['getPicture'] } };

export const description = updateDisplayOptions(
	displayOptions,
	perProfileProperties(
		"Gets a Phota profile's picture as a binary file: pass profile_id. A model cannot see binary files; the workflow gets it in this tool's run data.",
		[binaryPropertyOption],
	),
);

export function prepare(
	this: IExecuteFunctions,
	{ requests, options }: RunSettings,
): ItemOperation<string[]> {
	const binaryProperty = outputBinaryField(options);
	return {
		plan: async (itemIndex) => planProfiles.call(this, itemIndex),
		async run(profileIds, itemIndex) {
			return await forEachProfile.call(
				this,
				profileIds,
				itemIndex,
				async (profileId) =>
					await getPicture.call(this, profileId, itemIndex, requests, binaryProperty),
			);
		},
		profileIdsOf: (profileIds) => profileIds,
	};
}

async function getPicture(
	this: IExecuteFunctions,
	profileId: string,
	itemIndex: number,
	requests: RunRequests,
	binaryProperty: string,
): Promise<INodeExecutionData> {
	const { body, headers } = await (photaApiRequest<Buffer>).call(this, {
		method: 'GET',
		endpoint: `/profiles/${encodeURIComponent(profileId)}/profile_picture`,
		encoding: 'arraybuffer',
		notFoundHint: PROFILE_NOT_FOUND_HINT,
		itemIndex,
		requests,
	});
	const data = Buffer.from(body);
	const mimeType = outputMimeType(data, headers['content-type'], 'image/jpeg');
	const extension = mimeType === 'image/png' ? 'png' : 'jpg';
	return {
		json: { profile_id: profileId, profile_ids: [profileId], mimeType, fileSize: data.length },
		binary: {
			[binaryProperty]: await this.helpers.prepareBinaryData(
				data,
				`phota-profile-${profileId}.${extension}`,
				mimeType,
			),
		},
	};
}
