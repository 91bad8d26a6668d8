import type { ILoadOptionsFunctions, INodeListSearchResult } from 'n8n-workflow';

import { forEachConcurrently } from '../transport/limiter';
import type { ProfileSummary } from '../helpers/profileApi';
import { getProfileStatus, listProfiles } from '../helpers/profileApi';
import type { RunRequests } from '../transport';
import { RunBill } from '../transport/bill';
import { CredentialCache } from '../transport/credential';
import { RequestLimiter } from '../transport/limiter';
import { DEFAULT_RETRY_POLICY, NO_RETRIES } from '../transport/retryPolicy';

/** Status look-ups per search page; the list endpoint may return bare ids without a status. */
const STATUS_LOOKUPS_PER_PAGE = 25;
const STATUS_LOOKUPS_AT_ONCE = 5;

export async function searchProfiles(
	this: ILoadOptionsFunctions,
	filter?: string,
): Promise<INodeListSearchResult> {
	const search = filter?.trim() ?? '';
	const needle = search.toLowerCase();
	// One credential read and at most STATUS_LOOKUPS_AT_ONCE requests at a time for the whole search.
	const listing: RunRequests = {
		credential: new CredentialCache(),
		retryPolicy: DEFAULT_RETRY_POLICY,
		limiter: new RequestLimiter(STATUS_LOOKUPS_AT_ONCE),
		bill: new RunBill(),
	};
	const listed = await listProfiles.call(this, { requests: listing });
	// Where the list gives bare ids, the search text is also tried as a tag (Phota filters by exact tag).
	if (search && listed.every((profile) => profile.tag === undefined)) {
		const tagged = new Set(
			(await listProfiles.call(this, { tag: search, requests: listing })).map(
				(profile) => profile.profile_id,
			),
		);
		for (const profile of listed) if (tagged.has(profile.profile_id)) profile.tag = search;
	}
	const profiles = listed.filter(
		(profile) =>
			!needle ||
			profile.profile_id.toLowerCase().includes(needle) ||
			profile.tag?.toLowerCase().includes(needle),
	);

	const shown = profiles.slice(0, STATUS_LOOKUPS_PER_PAGE);
	// The editor waits for the list: a status that fails is shown as unknown, not retried.
	const requests: RunRequests = { ...listing, retryPolicy: NO_RETRIES };
	await forEachConcurrently(
		shown.filter((profile) => profile.status === undefined),
		STATUS_LOOKUPS_AT_ONCE,
		async (profile) => {
			try {
				profile.status = (
					await getProfileStatus.call(this, profile.profile_id, { requests })
				).status;
			} catch {
				profile.status = 'status unknown';
			}
		},
	);

	return {
		results: [...shown, ...profiles.slice(STATUS_LOOKUPS_PER_PAGE)].map((profile) => ({
			name: describeProfile(profile),
			value: profile.profile_id,
		})),
	};
}

function describeProfile(profile: ProfileSummary): string {
	const details = [profile.status, profile.tag ? `tag ${profile.tag}` : undefined]
		.filter(Boolean)
		.join(', ');
	return details ? `${profile.profile_id} (${details})` : profile.profile_id;
}
