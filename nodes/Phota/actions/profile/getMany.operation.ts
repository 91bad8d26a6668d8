import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { optionsCollection, requestOptions } from '../../helpers/descriptions';
import type { ItemOperation } from '../../helpers/itemRunner';
import { forEachConcurrently } from '../../transport/limiter';
import type { NumberRule } from '../../helpers/settings';
import { readBoolean, readNumber } from '../../helpers/settings';
import { getProfileStatus, listProfiles } from '../../helpers/profileApi';
import type { RunSettings } from '../../helpers/settings';
import { withToolSetup } from '../../helpers/toolMode';
import { asNodeError, failureOf } from '../../transport';

const LIMIT: NumberRule = { label: 'Limit', min: 1, max: 100_000, integer: true, fallback: 50 };

const properties: INodeProperties[] = [
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: LIMIT.min },
		default: 50,
		description: 'Max number of results to return',
		displayOptions: { show: { returnAll: [false] } },
	},
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		options: [
			{
				displayName: 'Tag',
				name: 'tag',
				type: 'string',
				default: '',
				placeholder: 'e.g. user_42',
				description: 'Only profiles created with exactly this tag',
			},
		],
	},
	optionsCollection([
		{
			displayName: 'Include Training Status',
			name: 'includeStatus',
			type: 'boolean',
			default: true,
			description:
				"Whether to add each profile's training status. Costs one extra (free) status request per profile when the list does not include it.",
		},
		...requestOptions,
	]),
];

const displayOptions = { show: { resource: ['profile'], operation: ['getMany'] } };

export const description = updateDisplayOptions(
	displayOptions,
	withToolSetup(properties, {
		description:
			'Lists the Phota profiles of this account, each a trained model of one person: profile_id, status (READY means it can be used in images; VALIDATING, QUEUING or IN_PROGRESS: still training) and tag (a label such as a customer or person name). Use it to find the profile ID of a person before making images.',
	}),
);

interface ListPlan {
	limit: number;
	tag?: string;
}

export function prepare(
	this: IExecuteFunctions,
	{ parallelRequests, requests, options }: RunSettings,
): ItemOperation<ListPlan> {
	const includeStatus = readBoolean.call(
		this,
		options.includeStatus,
		{ label: 'Include Training Status', fallback: true },
		0,
	);
	return {
		async plan(itemIndex) {
			const returnAll = readBoolean.call(
				this,
				this.getNodeParameter('returnAll', itemIndex, false),
				{ label: 'Return All', fallback: false },
				itemIndex,
			);
			const limit = returnAll
				? Infinity
				: readNumber.call(this, this.getNodeParameter('limit', itemIndex, 50), LIMIT, itemIndex);
			const { tag } = this.getNodeParameter('filters', itemIndex, {}) as { tag?: string };
			return { limit, tag: tag?.trim() || undefined };
		},
		async run({ limit, tag }, itemIndex) {
			const profiles = (await listProfiles.call(this, { tag, itemIndex, requests })).slice(
				0,
				limit,
			);
			if (includeStatus) {
				await forEachConcurrently(
					profiles.filter((profile) => profile.status === undefined),
					parallelRequests,
					async (profile) => {
						try {
							const { status, message } = await getProfileStatus.call(this, profile.profile_id, {
								itemIndex,
								requests,
							});
							Object.assign(profile, { status, message: message ?? '' });
						} catch (error) {
							// Deleted between the list and its status request: the rest of the list stands.
							if (failureOf(error)?.status !== 404) throw asNodeError(this.getNode(), error);
							Object.assign(profile, {
								status: 'NOT_FOUND',
								message: 'Deleted after it was listed',
							});
						}
					},
				);
			}
			return profiles.map((profile) => ({
				json: {
					...profile,
					...(tag && profile.tag === undefined ? { tag } : {}),
					profile_ids: [profile.profile_id],
				},
			}));
		},
	};
}
