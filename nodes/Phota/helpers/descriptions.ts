import type { INodeProperties } from 'n8n-workflow';

import { DEFAULT_PROFILE_FIELD, FROM_INPUT_MODE } from './profileIds';
import {
	MAX_RETRIES,
	PARALLEL_REQUESTS,
	RATE_LIMIT_WAIT_MINUTES,
	REQUEST_TIMEOUT_SECONDS,
} from './settings';

/**
 * Profile picker: from a field of the input item (default "profile_ids"), from a searchable list, or
 * by ID. The default value is empty, not "profile_ids": n8n keeps the value when the mode is
 * switched, and a leftover "profile_ids" under "By ID" would be sent to Phota as an ID. Never
 * `required`: the editor would mark the empty default as missing; an empty "By ID" or "From list"
 * is refused when the node runs where a profile is needed.
 */
export function profileLocator(
	overrides: Partial<INodeProperties> & { multiple?: boolean },
): INodeProperties {
	const { multiple, ...rest } = overrides;
	return {
		displayName: multiple ? 'Profiles' : 'Profile',
		name: multiple ? 'profiles' : 'profile',
		type: 'resourceLocator',
		default: { mode: FROM_INPUT_MODE, value: '' },
		description: multiple
			? 'The people whose identity the images keep. By default the IDs come from the input item\'s "profile_ids", as output by Create Profile and Wait for Profile Ready.'
			: 'The profile to use. By default its ID comes from the input item\'s "profile_ids", as output by Create Profile and Wait for Profile Ready.',
		modes: [
			{
				// Short enough for the editor's mode selector (92 px wide in n8n 2.x).
				displayName: 'By Field',
				name: FROM_INPUT_MODE,
				type: 'string',
				hint: `The input item's field that holds the profile ID(s); empty means "${DEFAULT_PROFILE_FIELD}"`,
				placeholder: DEFAULT_PROFILE_FIELD,
			},
			{
				// The editor shows n8n's own label for this mode: "From list".
				displayName: 'From List',
				name: 'list',
				type: 'list',
				typeOptions: {
					searchListMethod: 'searchProfiles',
					searchable: true,
				},
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				hint: multiple ? 'One ID, or several separated by commas' : undefined,
				placeholder: multiple ? 'e.g. prof_a1, prof_b2' : 'e.g. prof_a1',
			},
		],
		...rest,
	};
}

export const parallelRequestsOption: INodeProperties = {
	displayName: 'Parallel Requests',
	name: 'parallelRequests',
	type: 'number',
	typeOptions: { minValue: PARALLEL_REQUESTS.min, maxValue: PARALLEL_REQUESTS.max },
	default: 5,
	description:
		'The most requests sent to Phota at the same time. Results keep the input order. When Phota answers 429 (rate limited) the node sends fewer at a time, and more again as requests succeed.',
};

export const rateLimitWaitOption: INodeProperties = {
	displayName: 'Rate Limit Wait (Minutes)',
	name: 'rateLimitWaitMinutes',
	type: 'number',
	typeOptions: { minValue: RATE_LIMIT_WAIT_MINUTES.min, maxValue: RATE_LIMIT_WAIT_MINUTES.max },
	default: 10,
	description:
		"How long one request may keep waiting out Phota's rate limit (429, never charged) before its item fails. Max Retries does not count these.",
};

export const maxRetriesOption: INodeProperties = {
	displayName: 'Max Retries',
	name: 'maxRetries',
	type: 'number',
	typeOptions: { minValue: MAX_RETRIES.min, maxValue: MAX_RETRIES.max },
	default: 3,
	description:
		'How often a request that failed for a passing reason (5xx, dropped connection, timeout) is sent again. Paid requests are only resent when Phota certainly did not process them. Rate limits (429) are waited out separately (Rate Limit Wait).',
};

export const requestTimeoutOption: INodeProperties = {
	displayName: 'Request Timeout (Seconds)',
	name: 'requestTimeoutSeconds',
	type: 'number',
	typeOptions: {
		minValue: REQUEST_TIMEOUT_SECONDS.min,
		maxValue: REQUEST_TIMEOUT_SECONDS.max,
	},
	default: 0,
	description:
		"How long one request may take before it counts as failed (and is sent again when that is safe). 0 uses Phota's own limits: 610 seconds for image requests, 60 for everything else.",
};

export const addBillingToItemsOption: INodeProperties = {
	displayName: 'Add Billing to Items',
	name: 'addBillingToItems',
	type: 'boolean',
	default: false,
	description:
		'Whether to add what Phota billed for each input item to its first output item (phota_billing: billed requests, images, async jobs queued, not billed, may have been billed), so a later node can add up what a run spent',
};

/**
 * Parallelism, retries and timeout: the options every Phota operation ends with. Their defaults are
 * literals because n8n's lint rule asks for them; a unit test checks they equal the rules' fallbacks.
 */
export const requestOptions: INodeProperties[] = [
	parallelRequestsOption,
	maxRetriesOption,
	rateLimitWaitOption,
	requestTimeoutOption,
	addBillingToItemsOption,
];

/** The "Options" collection every operation ends with. */
export function optionsCollection(options: INodeProperties[]): INodeProperties {
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options,
	};
}

export const binaryPropertyOption: INodeProperties = {
	displayName: 'Put Output File in Field',
	name: 'binaryPropertyOutput',
	type: 'string',
	default: 'data',
	hint: 'The name of the output binary field to put the file in',
};

/** Job → Get's and the Phota Trigger's: a finished job's images as files, or only their URLs. */
export const downloadImagesOption: INodeProperties = {
	displayName: 'Download Images',
	name: 'download',
	type: 'boolean',
	default: true,
	description:
		'Whether to download the finished images as binary files (otherwise only their URLs are output; images Phota sends inline always become binary files)',
};
