import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { errorItem, runItems } from '../../helpers/itemRunner';
import { asNodeError } from '../../transport';
import { resolveProfileLocator } from '../../helpers/profileIds';
import { fromAI, withToolSetup } from '../../helpers/toolMode';
import type { RetryPolicy } from '../../transport/retryPolicy';
import {
	optionsCollection,
	requestOptions,
	profileLocator,
	requestSettings,
} from '../common.descriptions';

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
 * Runs `handle` once per profile of every input item (an item may name several profiles), with
 * the items in parallel up to the Parallel Requests option.
 */
export async function executePerProfile(
	this: IExecuteFunctions,
	handle: (this: IExecuteFunctions, call: ProfileCall) => Promise<INodeExecutionData>,
): Promise<INodeExecutionData[]> {
	const options = this.getNodeParameter('options', 0, {}) as IDataObject;
	const { parallelRequests, retryPolicy } = requestSettings.call(this, options);

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
			profileIdsOf: (profileIds: string[]) => profileIds,
		},
		parallelRequests,
	);
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
