import type { INodeProperties } from 'n8n-workflow';

import * as edit from './edit.operation';
import * as enhance from './enhance.operation';
import * as generate from './generate.operation';
import * as remix from './remix.operation';

export { edit, enhance, generate, remix };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['image'] } },
		options: [
			{
				name: 'Edit',
				value: 'edit',
				description: 'Edit 1–10 photos from a prompt, keeping the chosen people recognisable',
				action: 'Edit images',
			},
			{
				name: 'Enhance',
				value: 'enhance',
				description: 'Improve one photo automatically, keeping the chosen people recognisable',
				action: 'Enhance an image',
			},
			{
				name: 'Generate',
				value: 'generate',
				description: 'Create new images from a prompt that names people as [[profile]]',
				action: 'Generate images',
			},
			{
				name: 'Remix',
				value: 'remix',
				description: 'Restyle a photo with the look of a reference image',
				action: 'Remix an image',
			},
		],
		default: 'generate',
	},
	...edit.description,
	...enhance.description,
	...generate.description,
	...remix.description,
];
