import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import type { ItemOperation } from '../../helpers/itemRunner';
import { PROFILE_NOT_FOUND_HINT } from '../../helpers/profileApi';
import type { RunSettings } from '../../helpers/settings';
import type { RunRequests } from '../../transport';
import { photaApiRequest } from '../../transport';
import { forEachProfile, perProfileProperties, planProfiles } from './shared';

const displayOptions = { show: { resource: ['profile'], operation: ['deleteProfile'] } };

export const description = updateDisplayOptions(displayOptions, [
	{
		displayName:
			'Deleting a profile removes it and its training data for good. Images already made are not affected.',
		name: 'deleteNotice',
		type: 'notice',
		default: '',
	},
	...perProfileProperties(
		'Deletes a Phota profile and its training data for good: pass profile_id. This cannot be undone; only use it when the user asks for it.',
	),
]);

export function prepare(
	this: IExecuteFunctions,
	{ requests }: RunSettings,
): ItemOperation<string[]> {
	return {
		plan: async (itemIndex) => planProfiles.call(this, itemIndex),
		async run(profileIds, itemIndex) {
			return await forEachProfile.call(
				this,
				profileIds,
				itemIndex,
				async (profileId) => await deleteProfile.call(this, profileId, itemIndex, requests),
			);
		},
		profileIdsOf: (profileIds) => profileIds,
	};
}

async function deleteProfile(
	this: IExecuteFunctions,
	profileId: string,
	itemIndex: number,
	requests: RunRequests,
): Promise<INodeExecutionData> {
	const { body, statusCode } = await (photaApiRequest<IDataObject>).call(this, {
		method: 'DELETE',
		endpoint: `/profiles/${encodeURIComponent(profileId)}`,
		itemIndex,
		requests,
		notFoundOnResendMeansDone: true,
		notFoundHint: PROFILE_NOT_FOUND_HINT,
	});
	// 404 here: the connection dropped after Phota deleted the profile, and the resend found it gone.
	const deletedByEarlierAttempt = statusCode === 404;
	return {
		json: {
			profile_id:
				(!deletedByEarlierAttempt && typeof body.profile_id === 'string' && body.profile_id) ||
				profileId,
			deleted: true,
			status: deletedByEarlierAttempt ? 'ok' : (body.status ?? 'ok'),
			profile_ids: [profileId],
		},
	};
}
