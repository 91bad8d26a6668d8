import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { optionsCollection, profileLocator, requestOptions } from '../../helpers/descriptions';
import type { ItemOperation, RunSettings } from '../../helpers/itemRunner';
import { errorItem } from '../../helpers/itemRunner';
import { resolveProfileLocator } from '../../helpers/profileIds';
import { fromAI, withToolSetup } from '../../helpers/toolMode';
import { asNodeError } from '../../transport';
import type { RetryPolicy } from '../../transport/retryPolicy';

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

export interface ProfileCall {
	profileId: string;
	itemIndex: number;
	retryPolicy: RetryPolicy;
	options: IDataObject;
}

/**
 * An operation that runs `handle` once per profile of every input item (an item may name several
 * profiles), with the items in parallel up to the Parallel Requests option.
 */
export function perProfileOperation(
	handle: (this: IExecuteFunctions, call: ProfileCall) => Promise<INodeExecutionData>,
) {
	return function prepare(
		this: IExecuteFunctions,
		{ retryPolicy, options }: RunSettings,
	): ItemOperation<string[]> {
		return {
			async plan(itemIndex) {
				return resolveProfileLocator.call(this, 'profile', itemIndex, {
					required: true,
					fieldLabel: 'Profile',
				});
			},
			async run(profileIds, itemIndex) {
				const results: INodeExecutionData[] = [];
				for (const profileId of profileIds) {
					try {
						results.push(await handle.call(this, { profileId, itemIndex, retryPolicy, options }));
					} catch (error) {
						if (profileIds.length === 1) throw asNodeError(this.getNode(), error);
						// Several profiles in one item: the ones already handled (deleted, say) stay known.
						if (!this.continueOnFail()) throw noteHandledProfiles(error as Error, results);
						results.push(
							errorItem.call(this, error as Error, itemIndex, { profile_ids: [profileId] }),
						);
					}
				}
				return results;
			},
			profileIdsOf: (profileIds) => profileIds,
		};
	};
}

function noteHandledProfiles(error: Error, results: INodeExecutionData[]): Error {
	if (results.length === 0) return error;
	const handled = results
		.map(
			(item) => `${String(item.json.profile_id)}${item.json.deleted === true ? ' (deleted)' : ''}`,
		)
		.join(', ');
	const withDescription = error as Error & { description?: string | null };
	withDescription.description = [
		withDescription.description,
		`The item's other profiles were already handled: ${handled}.`,
	]
		.filter(Boolean)
		.join(' ');
	return error;
}
