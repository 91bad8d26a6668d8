import type { INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { readSingleImage, singleImageProperties } from './inputs';
import { fromAI } from '../../helpers/toolMode';
import type { ImageToolArgument } from './options';
import { imageOptions } from './options';
import { imageOperation, withImageToolSetup } from './shared';
import { profilesProperty, promptProperty } from './prompt';

/** Options the AI Agent's model sets when the node is a tool. */
const toolArguments: ImageToolArgument[] = ['numberOfImages'];

const nodeProperties: INodeProperties[] = [
	...singleImageProperties('image', 'Image', 'The photo to enhance'),
	profilesProperty,
	promptProperty({
		placeholder: 'e.g. brighten the faces a little',
		description: 'Optional guidance; leave empty for fully automatic enhancement',
	}),
	imageOptions({ chooseModel: false }),
];

const properties = withImageToolSetup(nodeProperties, {
	toolArguments,
	description: `Improves one photo with Phota (light, sharpness, faces), keeping the people in it recognisable: pass image_url (a public http(s) link) and optionally a prompt with guidance.`,
	promptArgument: 'Optional guidance, e.g. "brighten the faces a little", or an empty string',
	defaults: {
		imageSource: 'url',
		imageUrl: fromAI('image_url', 'Public http(s) link to the photo to enhance', 'string'),
	},
});

const displayOptions = { show: { resource: ['image'], operation: ['enhance'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export const prepare = imageOperation({
	endpoint: 'enhance',
	promptRequired: false,
	profilesOnlyInPrompt: false,
	options: { chooseModel: false, operationName: 'enhance', toolArguments },
	async readImages(itemIndex) {
		return { image: await readSingleImage.call(this, 'image', 'Image', itemIndex) };
	},
});
