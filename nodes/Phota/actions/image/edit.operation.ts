import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { readEditImages } from '../../helpers/imageInputs';
import { executeImageOperation, imageOptions, profilesProperty, promptProperty } from './shared';

const properties: INodeProperties[] = [
	{
		displayName: 'Binary Fields',
		name: 'binaryProperties',
		type: 'string',
		default: 'data',
		placeholder: 'e.g. data, photo2',
		hint: 'Input binary field(s) with the photos to edit, separated by commas. Leave empty to use only URLs.',
	},
	{
		displayName: 'Image URLs',
		name: 'imageUrls',
		type: 'string',
		typeOptions: { multipleValues: true, multipleValueButtonText: 'Add Image URL' },
		default: [],
		placeholder: 'https://example.com/photo.jpg',
		description:
			'Publicly reachable photos to edit, in addition to the binary fields (1–10 images in total)',
	},
	profilesProperty,
	promptProperty({
		required: true,
		placeholder: 'e.g. Put [[profile]] on a sunny beach, keep the outfit',
		description:
			'The edit to make. Refer to the chosen person as [[profile]] ([[profile_2]] for the second), or by ID as [[prof_a1]].',
	}),
	imageOptions('edit'),
];

const displayOptions = { show: { resource: ['image'], operation: ['edit'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return await executeImageOperation.call(this, {
		endpoint: 'edit',
		promptRequired: true,
		async readImages(itemIndex) {
			return { images: await readEditImages.call(this, itemIndex) };
		},
	});
}
