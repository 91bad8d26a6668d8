import type { INodeProperties } from 'n8n-workflow';

import * as create from './create.operation';
import * as deleteProfile from './deleteProfile.operation';
import * as getMany from './getMany.operation';
import * as getPicture from './getPicture.operation';
import * as getStatus from './getStatus.operation';

export { create, deleteProfile, getMany, getPicture, getStatus };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['profile'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				description:
					'Create a profile of one person from 5–50 reference photos and start training it',
				action: 'Create a profile',
			},
			{
				name: 'Delete',
				value: 'deleteProfile',
				description: 'Permanently delete a profile and its training data',
				action: 'Delete a profile',
			},
			{
				name: 'Get Many',
				value: 'getMany',
				description: 'List the profiles of the account, optionally only those with a tag',
				action: 'Get many profiles',
			},
			{
				name: 'Get Picture',
				value: 'getPicture',
				description: 'Download the profile picture of a profile as an image file',
				action: 'Get a profile picture',
			},
			{
				name: 'Get Status',
				value: 'getStatus',
				description: 'Get the training status of a profile (READY when it can be used)',
				action: 'Get the status of a profile',
			},
		],
		default: 'create',
	},
	...create.description,
	...deleteProfile.description,
	...getMany.description,
	...getPicture.description,
	...getStatus.description,
];
