import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import * as image from './actions/image/Image.resource';
import * as job from './actions/job/Job.resource';
import * as profile from './actions/profile/Profile.resource';
import { router } from './actions/router';
import { listSearch } from './methods';
import { CREDENTIAL_TYPE } from './transport';

export class Phota implements INodeType {
	description: INodeTypeDescription = {
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
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: CREDENTIAL_TYPE, required: true }],
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

	methods = { listSearch };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
