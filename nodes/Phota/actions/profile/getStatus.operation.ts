import type { IDataObject } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import type { ProfileStatusResponse } from '../../helpers/interfaces';
import { getProfileStatus } from '../../helpers/profileApi';
import { perProfileOperation, perProfileProperties } from './shared';

const displayOptions = { show: { resource: ['profile'], operation: ['getStatus'] } };

export const description = updateDisplayOptions(
	displayOptions,
	perProfileProperties(
		'Tells whether a Phota profile (a trained model of one person) can be used yet: pass profile_id. Returns status: READY (ready for images), VALIDATING, QUEUING or IN_PROGRESS (still training; about 20 minutes in all), ERROR or INACTIVE (cannot be used; message says why).',
	),
);

export const prepare = perProfileOperation(async function ({ profileId, itemIndex, retryPolicy }) {
	const status = await getProfileStatus.call(this, profileId, { itemIndex, retryPolicy });
	return { json: profileStatusJson(status) };
});

function profileStatusJson(status: ProfileStatusResponse): IDataObject {
	return {
		profile_id: status.profile_id,
		status: status.status,
		message: status.message ?? '',
		ready: status.status === 'READY',
		profile_ids: [status.profile_id],
	};
}
