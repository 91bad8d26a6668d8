import type { INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import type { ImageToolArgument } from './options';
import { imageOptions } from './options';
import { imageOperation, withImageToolSetup } from './shared';
import { profilesProperty, promptProperty } from './prompt';

/** Options the AI Agent's model sets when the node is a tool. */
const toolArguments: ImageToolArgument[] = ['numberOfImages', 'aspectRatio'];

const nodeProperties: INodeProperties[] = [
	profilesProperty,
	promptProperty({
		required: true,
		placeholder: 'e.g. Studio headshot of [[profile]], grey backdrop, soft key light',
		description:
			'What to create. Write [[profile]] where the chosen person should appear ([[profile_2]] for the second one), or a profile ID as [[prof_a1]].',
	}),
	imageOptions({ chooseModel: true }),
];

const properties = withImageToolSetup(nodeProperties, {
	toolArguments,
	description: 'Makes new photos from a text prompt with Phota.',
	promptArgument: 'What the photo shows, e.g. "Studio headshot of [[profile]], grey backdrop"',
});

const displayOptions = { show: { resource: ['image'], operation: ['generate'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export const prepare = imageOperation({
	endpoint: 'generate',
	promptRequired: true,
	profilesOnlyInPrompt: true,
	options: { chooseModel: true, toolArguments },
});
