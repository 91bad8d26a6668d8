import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { optionsCollection, profileLocator, requestOptions } from '../../helpers/descriptions';
import { errorItem } from '../../helpers/failedItems';
import { resolveProfileLocator } from '../../helpers/profileIds';
import { fromAI, withToolSetup } from '../../helpers/toolMode';
import { asNodeError } from '../../transport';
import { appendDescription } from '../../transport/errors';

/**
 * Parameters of operations on existing profiles: the profile picker and the Options collection;
 * as an AI Agent's tool, `toolDescription` and the profile ID from the model.
 */
export function perProfileProperties(
	toolDescription: string,
	extraOptions: INodeProperties[] = [],
): INodeProperties[] {
	return withToolSetup(
		[profileLocator({}), optionsCollection([...extraOptions, ...requestOptions])],
		{
			description: `${toolDescription} On a mistake it returns "error" and "description" instead.`,
			defaults: {
				profile: {
					__rl: true,
					mode: 'id',
					value: fromAI(
						'profile_id',
						'The Phota profile ID, e.g. prof_a1 (the profile list tool finds it)',
						'string',
					),
				},
			},
		},
	);
}

/** Plan of an operation on existing profiles: the item's profile IDs (one or several). */
export function planProfiles(this: IExecuteFunctions, itemIndex: number): string[] {
	return resolveProfileLocator.call(this, 'profile', itemIndex, {
		required: true,
		fieldLabel: 'Profile',
	});
}

/**
 * Runs `handle` for each profile of one item, in turn. When one fails, an item with several
 * profiles keeps what the others already did: with Continue On Fail as an error item next to their
 * results, without it named in the error.
 */
export async function forEachProfile(
	this: IExecuteFunctions,
	profileIds: string[],
	itemIndex: number,
	handle: (profileId: string) => Promise<INodeExecutionData>,
): Promise<INodeExecutionData[]> {
	const results: INodeExecutionData[] = [];
	for (const profileId of profileIds) {
		try {
			results.push(await handle(profileId));
		} catch (error) {
			const nodeError = asNodeError(this.getNode(), error);
			if (profileIds.length === 1) throw nodeError;
			if (!this.continueOnFail()) throw noteHandledProfiles(nodeError, results);
			results.push(errorItem.call(this, nodeError, itemIndex, { profile_ids: [profileId] }));
		}
	}
	return results;
}

function noteHandledProfiles(error: Error, results: INodeExecutionData[]): Error {
	if (results.length === 0) return error;
	const handled = results
		.map(
			(item) => `${String(item.json.profile_id)}${item.json.deleted === true ? ' (deleted)' : ''}`,
		)
		.join(', ');
	return appendDescription(error, `The item's other profiles were already handled: ${handled}.`);
}
