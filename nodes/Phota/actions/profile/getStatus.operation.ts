import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import type { ProfileStatusResponse } from '../../helpers/interfaces';
import type { ItemOperation } from '../../helpers/itemRunner';
import { getProfileStatus } from '../../helpers/profileApi';
import type { RunSettings } from '../../helpers/settings';
import { forEachProfile, perProfileProperties, planProfiles } from './shared';

const displayOptions = { show: { resource: ['profile'], operation: ['getStatus'] } };

export const description = updateDisplayOptions(
	displayOptions,
	perProfileProperties(
		'Tells whether a Phota profile (a trained model of one person) can be used yet: pass profile_id. Returns status: READY (ready for images), VALIDATING, QUEUING or IN_PROGRESS (still training; about 20 minutes in all), ERROR or INACTIVE (cannot be used; message says why).',
	),
);

export function prepare(
	this: IExecuteFunctions,
	{ requests }: RunSettings,
): ItemOperation<string[]> {
	return {
		plan: async (itemIndex) => planProfiles.call(this, itemIndex),
		async run(profileIds, itemIndex) {
			return await forEachProfile.call(this, profileIds, itemIndex, async (profileId) => {
				const status = await getProfileStatus.call(this, profileId, { itemIndex, requests });
				return { json: profileStatusJson(status) };
			});
		},
		profileIdsOf: (profileIds) => profileIds,
	};
}

function profileStatusJson(status: ProfileStatusResponse): IDataObject {
	return {
		profile_id: status.profile_id,
		status: status.status,
		message: status.message ?? '',
		ready: status.status === 'READY',
		profile_ids: [status.profile_id],
	};
}
