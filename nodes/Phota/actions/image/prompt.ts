/** The parameters that say who is in the images: Profiles and Prompt (read by helpers/profileIds.ts). */
import type { INodeProperties } from 'n8n-workflow';

import { profileLocator } from '../../helpers/descriptions';

/** Who is in the images: every image operation's Profiles parameter. */
export const profilesProperty: INodeProperties = profileLocator({
	multiple: true,
	description:
		'The people whose identity the images keep. By default (By Field, empty) the IDs come from the input item\'s "profile_ids" (output by Create Profile and Wait for Profile Ready). Choose "By ID" and leave it empty to work without identity.',
});

export function promptProperty(overrides: Partial<INodeProperties>): INodeProperties {
	return {
		displayName: 'Prompt',
		name: 'prompt',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		...overrides,
	};
}
