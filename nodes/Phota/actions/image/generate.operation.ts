import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { executeImageOperation, imageOptions, profilesProperty, promptProperty } from './shared';

const properties: INodeProperties[] = [
	profilesProperty,
	promptProperty({
		required: true,
		placeholder: 'e.g. Studio headshot of [[profile]], grey backdrop, soft key light',
		description:
			'What to create. Write [[profile]] where the chosen person should appear ([[profile_2]] for the second one), or a profile ID as [[prof_a1]].',
	}),
	imageOptions('generate'),
];

const displayOptions = { show: { resource: ['image'], operation: ['generate'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return await executeImageOperation.call(this, { endpoint: 'generate', promptRequired: true });
}
