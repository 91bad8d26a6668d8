/* eslint-disable n8n-nodes-base/node-filename-against-convention */
import type { INodeTypeDescription } from 'n8n-workflow';

import * as image from './image/Image.resource';
import * as job from './job/Job.resource';
import * as profile from './profile/Profile.resource';

export const versionDescription: INodeTypeDescription = {
	displayName: 'Phota',
	name: 'phota',
	icon: { light: 'file:phota.svg', dark: 'file:phota.dark.svg' },
	group: ['transform'],
	version: 1,
	subtitle: '={{ $parameter["operation"] + ": " + $parameter["resource"] }}',
	description:
		'Train a profile of one person, then edit, generate, enhance and remix images that keep their identity',
	defaults: { name: 'Phota' },
	usableAsTool: true,
	inputs: ['main'],
	outputs: ['main'],
	credentials: [{ name: 'photaApi', required: true }],
	properties: [
		{
			displayName: 'Resource',
			name: 'resource',
			type: 'options',
			noDataExpression: true,
			options: [
				{ name: 'Image', value: 'image' },
				{ name: 'Job', value: 'job' },
				{ name: 'Profile', value: 'profile' },
			],
			default: 'image',
		},
		...image.description,
		...job.description,
		...profile.description,
	],
};
