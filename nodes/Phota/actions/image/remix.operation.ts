import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { readSingleImage, singleImageProperties } from '../../helpers/imageInputs';
import { executeImageOperation, imageOptions, profilesProperty, promptProperty } from './shared';

const properties: INodeProperties[] = [
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
	imageOptions('remix'),
];

const displayOptions = { show: { resource: ['image'], operation: ['remix'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return await executeImageOperation.call(this, {
		endpoint: 'remix',
		promptRequired: false,
		async readImages(itemIndex) {
			return {
				input_image: await readSingleImage.call(this, 'input', 'Input Image', itemIndex),
				reference_image: await readSingleImage.call(
					this,
					'reference',
					'Reference Image',
					itemIndex,
				),
			};
		},
	});
}
