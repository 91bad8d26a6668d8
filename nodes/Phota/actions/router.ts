import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { PrepareOperation } from '../helpers/itemRunner';
import { runOperation } from '../helpers/itemRunner';
import type { RunSettings } from '../helpers/settings';
import { isToolRun, readRunSettings } from '../helpers/settings';
import { runAsTool } from '../helpers/toolMode';
import { RunBill } from '../transport/bill';
import { CredentialCache } from '../transport/credential';
import { RequestLimiter } from '../transport/limiter';
import { LostRun } from '../transport/limiter';
import type { PhotaType } from './node.type';
import * as image from './image/Image.resource';
import * as job from './job/Job.resource';
import * as profile from './profile/Profile.resource';

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	if (!isToolRun(this)) return await routeToOperation.call(this);
	return await runAsTool.call(this, async () => await routeToOperation.call(this));
}

/**
 * Reads the Options every operation shares, sets up what the run's requests share, prepares the
 * chosen operation and runs its items.
 */
async function routeToOperation(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const resource = this.getNodeParameter('resource', 0) as PhotaType['resource'];
	const operation = this.getNodeParameter('operation', 0) as string;
	const photaNodeData = { resource, operation } as PhotaType;

	const options = this.getNodeParameter('options', 0, {}) as IDataObject;
	const { retryPolicy, ...read } = readRunSettings.call(this, options);
	const settings: RunSettings = {
		...read,
		requests: {
			credential: new CredentialCache(),
			retryPolicy,
			// Parallel Requests bounds the run's requests in total, however an operation nests them.
			limiter: new RequestLimiter(read.parallelRequests),
			// Without Continue On Fail one failed item loses the run: nothing more is paid for.
			lostRun: this.continueOnFail() ? undefined : new LostRun(),
			bill: new RunBill(),
		},
	};

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

	return [await runOperation.call(this, prepare.call(this, settings), settings)];
}
