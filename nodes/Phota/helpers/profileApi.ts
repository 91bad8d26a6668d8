import type { IExecuteFunctions, ILoadOptionsFunctions } from 'n8n-workflow';

import type { RunRequests } from '../transport';
import { photaApiRequest } from '../transport';
import type { ProfileListEntry, ProfileListResponse, ProfileStatusResponse } from './interfaces';

/** What a 404 on a profile's own endpoint advises. */
export const PROFILE_NOT_FOUND_HINT = 'Check the profile ID; deleted profiles are gone for good.';

export interface ProfileSummary {
	profile_id: string;
	status?: string;
	tag?: string | null;
}

export async function getProfileStatus(
	this: IExecuteFunctions | ILoadOptionsFunctions,
	profileId: string,
	options: { itemIndex?: number; requests?: RunRequests } = {},
): Promise<ProfileStatusResponse> {
	const { body } = await (photaApiRequest<ProfileStatusResponse>).call(this, {
		method: 'GET',
		endpoint: `/profiles/${encodeURIComponent(profileId)}/status`,
		notFoundHint: PROFILE_NOT_FOUND_HINT,
		...options,
	});
	return { ...body, profile_id: body.profile_id ?? profileId };
}

export async function listProfiles(
	this: IExecuteFunctions | ILoadOptionsFunctions,
	options: { tag?: string; itemIndex?: number; requests?: RunRequests } = {},
): Promise<ProfileSummary[]> {
	const { tag, ...requestOptions } = options;
	const { body } = await (photaApiRequest<ProfileListResponse>).call(this, {
		method: 'GET',
		endpoint: '/profiles/ids',
		qs: tag ? { tag } : undefined,
		...requestOptions,
	});
	return (body.profiles ?? []).map(toProfileSummary);
}

function toProfileSummary(entry: ProfileListEntry): ProfileSummary {
	if (typeof entry === 'string') return { profile_id: entry };
	return { profile_id: String(entry.profile_id), status: entry.status, tag: entry.tag };
}
