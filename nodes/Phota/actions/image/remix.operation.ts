import type { INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { readSingleImage, singleImageProperties } from './inputs';
import { fromAI } from '../../helpers/toolMode';
import type { ImageToolArgument } from './options';
import { imageOptions } from './options';
import { imageOperation, withImageToolSetup } from './shared';
import { profilesProperty, promptProperty } from './prompt';

/** Options the AI Agent's model sets when the node is a tool. */
const toolArguments: ImageToolArgument[] = [];

const nodeProperties: INodeProperties[] = [
	...singleImageProperties('input', 'Input Image', 'The photo whose content is kept'),
	...singleImageProperties(
		'reference',
		'Reference Image',
		'The photo whose style and look are applied',
	),
	profilesProperty,
	promptProperty({
		placeholder: 'e.g. keep the red scarf',
		description: 'Optional: what to keep or emphasise',
	}),
	imageOptions({ chooseModel: false }),
];

const properties = withImageToolSetup(nodeProperties, {
	toolArguments,
	description: `Restyles a photo after a reference photo with Phota, keeping its content: pass input_image_url and reference_image_url (public http(s) links) and optionally a prompt.`,
	promptArgument: 'Optional: what to keep or emphasise, or an empty string',
	defaults: {
		inputSource: 'url',
		inputUrl: fromAI('input_image_url', 'Public http(s) link to the photo to restyle', 'string'),
		referenceSource: 'url',
		referenceUrl: fromAI(
			'reference_image_url',
			'Public http(s) link to the photo whose style to apply',
			'string',
		),
	},
});

const displayOptions = { show: { resource: ['image'], operation: ['remix'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export const prepare = imageOperation({
	endpoint: 'remix',
	promptRequired: false,
	profilesOnlyInPrompt: false,
	options: { chooseModel: false, operationName: 'remix', toolArguments },
	async readImages(itemIndex) {
		return {
			input_image: await readSingleImage.call(this, 'input', 'Input Image', itemIndex),
			reference_image: await readSingleImage.call(this, 'reference', 'Reference Image', itemIndex),
		};
	},
});
