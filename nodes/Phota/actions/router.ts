import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { requestSettings } from '../helpers/descriptions';
import type { PrepareOperation, RunSettings } from '../helpers/itemRunner';
import { runOperation } from '../helpers/itemRunner';
import { isToolRun, runAsTool } from '../helpers/toolMode';
import type { PhotaType } from './node.type';
import * as image from './image/Image.resource';
import * as job from './job/Job.resource';
import * as profile from './profile/Profile.resource';

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	if (!isToolRun(this)) return await routeToOperation.call(this);
	return await runAsTool.call(this, async () => await routeToOperation.call(this));
}

/** Reads the Options every operation shares, prepares the chosen operation, and runs its items. */
async function routeToOperation(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const resource = this.getNodeParameter('resource', 0) as PhotaType['resource'];
	const operation = this.getNodeParameter('operation', 0) as string;
	const photaNodeData = { resource, operation } as PhotaType;

	const options = this.getNodeParameter('options', 0, {}) as IDataObject;
	const settings: RunSettings = { ...requestSettings.call(this, options), options };

	let prepare: PrepareOperation;
	switch (photaNodeData.resource) {
		case 'profile':
			prepare = profile[photaNodeData.operation].prepare;
			break;
		case 'image':
			prepare = image[photaNodeData.operation].prepare;
			break;
		case 'job':
			prepare = job[photaNodeData.operation].prepare;
			break;
		default:
			throw new NodeOperationError(this.getNode(), `The resource "${resource}" is not supported`);
	}

	return [await runOperation.call(this, prepare.call(this, settings), settings.parallelRequests)];
}
