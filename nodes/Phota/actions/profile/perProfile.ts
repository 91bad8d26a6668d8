import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import { runItems } from '../../helpers/itemRunner';
import { resolveProfileLocator } from '../../helpers/profileIds';
import type { RetryPolicy } from '../../transport/retryPolicy';
import {
	optionsCollection,
	requestOptions,
	profileLocator,
	requestSettings,
} from '../common.descriptions';

/** Parameters of operations on existing profiles: the profile picker and the Options collection. */
export function perProfileProperties(extraOptions: INodeProperties[] = []): INodeProperties[] {
	return [
		profileLocator({ required: true }),
		optionsCollection([...extraOptions, ...requestOptions]),
	];
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
	const { parallelRequests, retryPolicy } = requestSettings(options);

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
					results.push(await handle.call(this, { profileId, itemIndex, retryPolicy, options }));
				}
				return results;
			},
		},
		parallelRequests,
	);
}
