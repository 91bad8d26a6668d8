import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { readSingleImage, singleImageProperties } from '../../helpers/imageInputs';
import { executeImageOperation, imageOptions, profilesProperty, promptProperty } from './shared';

const properties: INodeProperties[] = [
	...singleImageProperties('image', 'Image', 'The photo to enhance'),
	profilesProperty,
	promptProperty({
		placeholder: 'e.g. brighten the faces a little',
		description: 'Optional guidance; leave empty for fully automatic enhancement',
	}),
	imageOptions('enhance'),
];

const displayOptions = { show: { resource: ['image'], operation: ['enhance'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return await executeImageOperation.call(this, {
		endpoint: 'enhance',
		promptRequired: false,
		async readImages(itemIndex) {
			return { image: await readSingleImage.call(this, 'image', 'Image', itemIndex) };
		},
	});
}
