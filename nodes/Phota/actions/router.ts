import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { PhotaType } from './node.type';
import * as image from './image/Image.resource';
import * as job from './job/Job.resource';
import * as profile from './profile/Profile.resource';

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const resource = this.getNodeParameter('resource', 0) as PhotaType['resource'];
	const operation = this.getNodeParameter('operation', 0) as string;
	const photaNodeData = { resource, operation } as PhotaType;

	let returnData: INodeExecutionData[];
	switch (photaNodeData.resource) {
		case 'profile':
			returnData = await profile[photaNodeData.operation].execute.call(this);
			break;
		case 'image':
			returnData = await image[photaNodeData.operation].execute.call(this);
			break;
		case 'job':
			returnData = await job[photaNodeData.operation].execute.call(this);
			break;
		default:
			throw new NodeOperationError(this.getNode(), `The resource "${resource}" is not supported`);
	}

	return [returnData];
}
