/**
 * A stand-in for n8n's execution context, for unit tests of functions that take
 * `this: IExecuteFunctions` but only read the node, its parameters and the input items. It has no
 * `helpers`: a function that tried to send a request would fail with a TypeError, not with the
 * NodeOperationError the tests expect.
 */
import type { IDataObject, IExecuteFunctions, INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

export const PHOTA_NODE_TYPE = 'n8n-nodes-phota.phota';
/** The node type n8n gives the node when it is an AI Agent's tool. */
export const PHOTA_TOOL_TYPE = 'n8n-nodes-phota.photaTool';

export interface FakeContextOptions {
	/** Parameter values by name, the same for every item; a missing one gives the caller's fallback. */
	parameters?: Record<string, unknown>;
	/** The input items' JSON. */
	items?: IDataObject[];
	nodeType?: string;
}

export function fakeContext(options: FakeContextOptions = {}): IExecuteFunctions {
	const { parameters = {}, items = [], nodeType = PHOTA_NODE_TYPE } = options;
	const node: INode = {
		id: 'phota-node',
		name: 'Phota',
		type: nodeType,
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	};
	const context: Pick<IExecuteFunctions, 'getNode' | 'getInputData' | 'getNodeParameter'> = {
		getNode: () => node,
		getInputData: () => items.map((json) => ({ json })),
		getNodeParameter: ((name: string, _itemIndex: number, fallback?: unknown) =>
			name in parameters ? parameters[name] : fallback) as IExecuteFunctions['getNodeParameter'],
	};
	return context as unknown as IExecuteFunctions;
}

/**
 * Runs `action`, which must fail with n8n's NodeOperationError for item `itemIndex`, and returns
 * the error's message and description.
 */
export function nodeErrorOf(
	action: () => unknown,
	itemIndex = 0,
): { message: string; description: string | undefined } {
	let thrown: unknown;
	try {
		action();
	} catch (error) {
		thrown = error;
	}
	expect(thrown).toBeInstanceOf(NodeOperationError);
	const error = thrown as NodeOperationError;
	expect(error.context.itemIndex).toBe(itemIndex);
	return { message: error.message, description: error.description ?? undefined };
}
