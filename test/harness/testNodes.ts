import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';

/** Binary file attached to a fixture item, given as base64 so workflow JSON stays plain JSON. */
export interface FixtureBinary {
	base64: string;
	fileName?: string;
	mimeType?: string;
}

export interface FixtureItem {
	json: IDataObject;
	binary?: Record<string, FixtureBinary>;
}

/**
 * Start node of harness workflows: emits fixture items, storing their binaries through n8n's own
 * binary helpers so that they live wherever the binary data mode puts them (memory or disk).
 */
export class FixtureItemsNode implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Fixture Items',
		name: 'fixtureItems',
		group: ['input'],
		version: 1,
		description: 'Emits the items given in its "items" parameter',
		defaults: { name: 'Fixture Items' },
		inputs: [],
		outputs: ['main'],
		properties: [{ displayName: 'Items', name: 'items', type: 'json', default: '[]' }],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const raw = this.getNodeParameter('items', 0) as string | FixtureItem[];
		const fixtures = (typeof raw === 'string' ? JSON.parse(raw) : raw) as FixtureItem[];
		const items: INodeExecutionData[] = [];
		for (const fixture of fixtures) {
			const item: INodeExecutionData = { json: fixture.json };
			for (const [property, file] of Object.entries(fixture.binary ?? {})) {
				item.binary ??= {};
				item.binary[property] = await this.helpers.prepareBinaryData(
					Buffer.from(file.base64, 'base64'),
					file.fileName,
					file.mimeType,
				);
			}
			items.push(item);
		}
		return [items];
	}
}

/** Passes items through unchanged: a stand-in for "the next node" in chaining tests. */
export class PassThroughNode implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Pass Through',
		name: 'passThrough',
		group: ['transform'],
		version: 1,
		description: 'Outputs its input',
		defaults: { name: 'Pass Through' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [this.getInputData()];
	}
}

/**
 * n8n's Loop Over Items with batch size 1, reduced to what matters here: the node after it runs
 * once per item within one execution, each time with the item at index 0. Output 0 is "done"
 * (all items that came back), output 1 is "loop" (the next item).
 */
export class LoopOverItemsNode implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Loop Over Items',
		name: 'loopOverItems',
		group: ['transform'],
		version: 1,
		description: 'Sends items one at a time round a loop',
		defaults: { name: 'Loop Over Items' },
		inputs: ['main'],
		outputs: ['main', 'main'],
		outputNames: ['done', 'loop'],
		properties: [],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const state = this.getContext('node') as {
			pending?: INodeExecutionData[];
			done?: INodeExecutionData[];
		};
		if (state.pending === undefined) {
			state.pending = this.getInputData().map((item) => ({ json: item.json }));
			state.done = [];
		} else {
			state.done!.push(...this.getInputData().map((item) => ({ json: item.json })));
		}
		const next = state.pending.shift();
		if (next) return [[], [{ ...next, pairedItem: { item: 0 } }]];
		const done = state.done!;
		delete state.pending;
		return [done.map((item, index) => ({ ...item, pairedItem: { item: index } })), []];
	}
}

export const HARNESS_NODE_PREFIX = 'harness.';

/**
 * The least a node can do per item with the Phota credential: one authenticated GET of the URL
 * in "url", one item out. The benchmark's floor for "a node calling Phota through n8n".
 */
export class AuthenticatedGetNode implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Authenticated GET',
		name: 'authenticatedGet',
		group: ['transform'],
		version: 1,
		description: 'GETs each item\'s "url" with the Phota credential, one at a time',
		defaults: { name: 'Authenticated GET' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: [{ name: 'photaApi', required: true }],
		properties: [],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const output: INodeExecutionData[] = [];
		for (const [index, item] of this.getInputData().entries()) {
			const body = (await this.helpers.httpRequestWithAuthentication.call(this, 'photaApi', {
				method: 'GET',
				url: String(item.json.url),
				json: true,
			})) as IDataObject;
			output.push({ json: body, pairedItem: { item: index } });
		}
		return [output];
	}
}
