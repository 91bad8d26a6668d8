import type { INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { imageToolArguments } from './options';
import { fromAI, withToolSetup } from '../../helpers/toolMode';
import {
	IMAGE_TOOL_RESULT,
	imageOperation,
	imageOptions,
	profilesFromModel,
	profilesProperty,
	promptProperty,
} from './shared';

const properties: INodeProperties[] = withToolSetup(
	[
		profilesProperty,
		promptProperty({
			required: true,
			placeholder: 'e.g. Studio headshot of [[profile]], grey backdrop, soft key light',
			description:
				'What to create. Write [[profile]] where the chosen person should appear ([[profile_2]] for the second one), or a profile ID as [[prof_a1]].',
		}),
		imageOptions('generate'),
	],
	{
		description: `Makes new photos from a text prompt with Phota. ${IMAGE_TOOL_RESULT}`,
		defaults: {
			profiles: profilesFromModel,
			prompt: fromAI(
				'prompt',
				'What the photo shows, e.g. "Studio headshot of [[profile]], grey backdrop"',
				'string',
			),
		},
		extra: imageToolArguments('generate'),
	},
);

const displayOptions = { show: { resource: ['image'], operation: ['generate'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export const prepare = imageOperation({ endpoint: 'generate', promptRequired: true });
