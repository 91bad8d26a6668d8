/**
 * Runs this package's *built* nodes the way n8n does: n8n-core's PackageDirectoryLoader reads the
 * package.json "n8n" section and loads dist/, WorkflowExecute runs workflow JSON, and credentials
 * are applied by the credential type's own `authenticate` block (as n8n's CredentialsHelper does).
 * HTTP goes through n8n-core's real helpers over real sockets; nothing of ours is mocked.
 */
import path from 'node:path';

import { makeTempDir, removeTempDir } from '../../scripts/lifecycle';

// n8n-core reads its settings folder and binary-data settings from the environment.
const userFolder = makeTempDir('phota-n8n-');
process.env.N8N_USER_FOLDER = userFolder;
process.env.N8N_ENCRYPTION_KEY ??= 'phota-harness-encryption-key';
process.env.N8N_DIAGNOSTICS_ENABLED = 'false';

import { Container } from '@n8n/di';
import {
	BinaryDataConfig,
	BinaryDataService,
	ExecuteContext,
	LoadOptionsContext,
	ExecutionLifecycleHooks,
	PackageDirectoryLoader,
	RoutingNode,
	WorkflowExecute,
} from 'n8n-core';
import type {
	IBinaryData,
	ICredentialDataDecryptedObject,
	ICredentialType,
	ICredentialsDecrypted,
	IConnections,
	IExecuteData,
	IHttpRequestOptions,
	INode,
	INodeCredentialTestResult,
	INodeExecutionData,
	INodeListSearchResult,
	INodeType,
	INodeTypes,
	IRequestOptionsSimplified,
	IRun,
	IRunExecutionData,
	IVersionedNodeType,
	IWorkflowExecuteAdditionalData,
	Workflow as WorkflowType,
} from 'n8n-workflow';
import { SSHClientsManager } from 'n8n-core/dist/execution-engine/ssh-clients-manager';
import {
	ICredentialsHelper,
	NodeHelpers,
	Workflow,
	createDeferredPromise,
	createRunExecutionData,
	isExpression,
} from 'n8n-workflow';

import { recordArtifact, recordKeys } from './leakCheck';
import {
	AuthenticatedGetNode,
	FixtureItemsNode,
	HARNESS_NODE_PREFIX,
	LoopOverItemsNode,
	PassThroughNode,
} from './testNodes';

export const PACKAGE_DIR = path.resolve(__dirname, '..', '..');
export const PACKAGE_NAME = 'n8n-nodes-phota';

export type BinaryMode = 'default' | 'filesystem';

export interface WorkflowJson {
	name?: string;
	nodes: INode[];
	connections: IConnections;
}

export interface RunOptions {
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	/** Cancels the execution this many ms after it starts (like Stop in the n8n UI). */
	cancelAfterMs?: number;
}

export interface RunResult {
	run: IRun;
	status: IRun['status'];
	/** The execution-level error, when a node failed without Continue On Fail. */
	error: IRun['data']['resultData']['error'];
	/** Items a node sent to output `outputIndex` in its first run. */
	output(nodeName: string, outputIndex?: number): INodeExecutionData[];
	nodeError(nodeName: string): unknown;
	executedNodes: string[];
	wallTimeMs: number;
}

class LoadedTypes implements INodeTypes {
	constructor(
		readonly nodes: Map<string, INodeType | IVersionedNodeType>,
		readonly credentials: Map<string, ICredentialType>,
	) {}

	getByName(nodeType: string) {
		const type = this.nodes.get(nodeType);
		if (!type) throw new Error(`Unknown node type ${nodeType}`);
		return type;
	}

	getByNameAndVersion(nodeType: string, version?: number): INodeType {
		return NodeHelpers.getVersionedNodeType(this.getByName(nodeType), version);
	}

	getKnownTypes() {
		return {};
	}

	credential(name: string): ICredentialType {
		const type = this.credentials.get(name);
		if (!type) throw new Error(`Unknown credential type ${name}`);
		return type;
	}
}

/** Mirrors n8n's CredentialsHelper: fills credential defaults, applies generic `authenticate`. */
class HarnessCredentialsHelper extends ICredentialsHelper {
	credentials: Record<string, ICredentialDataDecryptedObject> = {};

	constructor(private readonly types: LoadedTypes) {
		super();
	}

	getParentTypes(name: string): string[] {
		return this.types.credential(name).extends ?? [];
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		requestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
		workflow: WorkflowType,
		node: INode,
	): Promise<IHttpRequestOptions> {
		const { authenticate } = this.types.credential(typeName);
		if (typeof authenticate === 'function') {
			return await authenticate(credentials, requestOptions as IHttpRequestOptions);
		}
		if (authenticate?.type === 'generic') {
			const resolve = (value: string) =>
				isExpression(value)
					? String(
							workflow.expression.getSimpleParameterValue(
								node,
								value,
								'internal',
								{ $credentials: credentials },
								undefined,
								'',
							) ?? '',
						)
					: value;
			for (const [target, entries] of Object.entries(authenticate.properties)) {
				const options = requestOptions as unknown as Record<string, Record<string, string>>;
				options[target] ??= {};
				for (const [key, value] of Object.entries(entries as Record<string, string>)) {
					options[target][resolve(key)] = resolve(value);
				}
			}
		}
		return requestOptions as IHttpRequestOptions;
	}

	async preAuthentication() {
		return undefined;
	}

	async getCredentials(): Promise<never> {
		throw new Error('The harness keeps credentials decrypted; use getDecrypted');
	}

	async getDecrypted(
		_additionalData: IWorkflowExecuteAdditionalData,
		_nodeCredentials: unknown,
		type: string,
	): Promise<ICredentialDataDecryptedObject> {
		const stored = this.credentials[type];
		if (!stored) throw new Error(`No test credentials of type ${type} were given`);
		return withDefaults(this.types.credential(type), stored);
	}

	async updateCredentials() {}

	async updateCredentialsOauthTokenData() {}

	getCredentialsProperties(type: string) {
		return this.types.credential(type).properties;
	}
}

/**
 * An object whose fields are `fields` and whose every other property is a function returning
 * undefined: the parts of n8n's additional data that running a workflow does not need. (No jest
 * mocks, so the benchmark can run the same harness outside jest.)
 */
function stub<T>(fields: Record<string, unknown> = {}): T {
	return new Proxy(fields, {
		get(target, property) {
			if (typeof property === 'symbol' || property === 'then') return undefined;
			return property in target ? target[property] : () => undefined;
		},
	}) as T;
}

let executionCount = 0;

function additionalDataWith(
	fields: Partial<IWorkflowExecuteAdditionalData>,
): IWorkflowExecuteAdditionalData {
	return stub<IWorkflowExecuteAdditionalData>({
		currentNodeParameters: undefined,
		executionTimeoutTimestamp: undefined,
		restartExecutionId: undefined,
		...fields,
	});
}

function withDefaults(
	type: ICredentialType,
	data: ICredentialDataDecryptedObject,
): ICredentialDataDecryptedObject {
	const filled: ICredentialDataDecryptedObject = {};
	for (const property of type.properties) {
		if (property.default !== undefined && property.type !== 'notice')
			filled[property.name] = property.default as string;
	}
	return { ...filled, ...data };
}

export class N8nHarness {
	private constructor(
		readonly types: LoadedTypes,
		readonly binaryMode: BinaryMode,
		private readonly credentialsHelper: HarnessCredentialsHelper,
	) {}

	/** Loads dist/ through n8n's package loader and prepares binary data storage. */
	static async start(options: { binaryMode?: BinaryMode } = {}): Promise<N8nHarness> {
		const binaryMode = options.binaryMode ?? 'default';
		const loader = new PackageDirectoryLoader(PACKAGE_DIR);
		await loader.loadAll();

		const nodes = new Map<string, INodeType | IVersionedNodeType>();
		for (const [name, { type }] of Object.entries(loader.nodeTypes)) {
			nodes.set(name.includes('.') ? name : `${PACKAGE_NAME}.${name}`, type);
		}
		nodes.set(`${HARNESS_NODE_PREFIX}fixtureItems`, new FixtureItemsNode());
		nodes.set(`${HARNESS_NODE_PREFIX}passThrough`, new PassThroughNode());
		nodes.set(`${HARNESS_NODE_PREFIX}authenticatedGet`, new AuthenticatedGetNode());
		nodes.set(`${HARNESS_NODE_PREFIX}loopOverItems`, new LoopOverItemsNode());
		const credentials = new Map<string, ICredentialType>();
		for (const [name, { type }] of Object.entries(loader.credentialTypes))
			credentials.set(name, type);

		const binaryConfig = Container.get(BinaryDataConfig);
		binaryConfig.mode = binaryMode;
		binaryConfig.availableModes = ['default', 'filesystem'];
		binaryConfig.localStoragePath = path.join(userFolder, 'binaryData');
		await Container.get(BinaryDataService).init();

		const types = new LoadedTypes(nodes, credentials);
		return new N8nHarness(types, binaryMode, new HarnessCredentialsHelper(types));
	}

	/** Node type names as n8n registers them for an installed community package. */
	nodeTypeNames(): string[] {
		return [...this.types.nodes.keys()].filter((name) => name.startsWith(`${PACKAGE_NAME}.`));
	}

	async run(workflowJson: WorkflowJson, options: RunOptions = {}): Promise<RunResult> {
		this.credentialsHelper.credentials = options.credentials ?? {};
		const workflow = new Workflow({
			id: 'harness',
			name: workflowJson.name ?? 'harness',
			nodes: workflowJson.nodes,
			connections: workflowJson.connections,
			nodeTypes: this.types,
			active: false,
		});

		const executionId = `harness-${++executionCount}`;
		const hooks = new ExecutionLifecycleHooks('manual', executionId, stub());
		const executedNodes: string[] = [];
		hooks.addHandler('nodeExecuteAfter', (nodeName) => {
			executedNodes.push(nodeName);
		});
		const finished = createDeferredPromise<IRun>();
		hooks.addHandler('workflowExecuteAfter', (fullRunData) => finished.resolve(fullRunData));

		// A real execution id, as n8n gives every run (client_request_id starts with it).
		const additionalData = additionalDataWith({ hooks, executionId });
		additionalData.credentialsHelper = this.credentialsHelper;

		const targets = new Set(
			Object.values(workflowJson.connections).flatMap((outputs) =>
				Object.values(outputs)
					.flat(2)
					.map((connection) => connection?.node),
			),
		);
		const startNode = workflowJson.nodes.find((candidate) => !targets.has(candidate.name));
		if (!startNode) throw new Error('Workflow has no start node');
		const runExecutionData: IRunExecutionData = createRunExecutionData({
			executionData: {
				nodeExecutionStack: [{ node: startNode, data: { main: [[{ json: {} }]] }, source: null }],
			},
		});

		const started = Date.now();
		const execution = new WorkflowExecute(
			additionalData,
			'manual',
			runExecutionData,
		).processRunExecutionData(workflow);
		if (options.cancelAfterMs !== undefined) {
			const cancelAt = started + options.cancelAfterMs;
			void (async () => {
				while (Date.now() < cancelAt) await new Promise((resolve) => setTimeout(resolve, 10));
				execution.cancel();
			})();
		}
		let run: IRun;
		try {
			run = await execution;
		} catch (error) {
			// A cancelled execution rejects; the lifecycle hook still reports the run data.
			run = await Promise.race([
				finished.promise,
				new Promise<never>((_, reject) => setTimeout(() => reject(error), 5_000)),
			]);
		}
		const wallTimeMs = Date.now() - started;
		recordKeys(Object.values(options.credentials ?? {}).map((credential) => credential.apiKey));
		recordArtifact('workflow run', run);

		const runData = run.data.resultData.runData;
		return {
			run,
			status: run.status,
			error: run.data.resultData.error,
			executedNodes,
			wallTimeMs,
			output: (nodeName, outputIndex = 0) =>
				runData[nodeName]?.[0]?.data?.main?.[outputIndex] ?? [],
			nodeError: (nodeName) => runData[nodeName]?.[0]?.error,
		};
	}

	/**
	 * Calls a node's list-search method the way the editor does when a user opens a "From list"
	 * resource locator: through n8n-core's LoadOptionsContext, with the node's credentials.
	 */
	async listSearch(
		nodeJson: INode,
		methodName: string,
		credentials: Record<string, ICredentialDataDecryptedObject>,
		filter?: string,
	): Promise<INodeListSearchResult> {
		this.credentialsHelper.credentials = credentials;
		const nodeType = this.types.getByNameAndVersion(nodeJson.type, nodeJson.typeVersion);
		const method = nodeType.methods?.listSearch?.[methodName];
		if (!method) throw new Error(`${nodeJson.type} has no list search ${methodName}`);
		const workflow = new Workflow({
			nodes: [nodeJson],
			connections: {},
			active: false,
			nodeTypes: this.types,
		});
		const context = new LoadOptionsContext(
			workflow,
			nodeJson,
			additionalDataWith({ credentialsHelper: this.credentialsHelper }),
			'parameters',
		);
		recordKeys(Object.values(credentials).map((credential) => credential.apiKey));
		try {
			const result = await method.call(context, filter);
			recordArtifact('list search', result);
			return result;
		} catch (error) {
			recordArtifact('list search error', error);
			throw error;
		}
	}

	/** Bytes of an output binary, wherever the binary data mode stored them. */
	async binaryBuffer(binary: IBinaryData): Promise<Buffer> {
		return await Container.get(BinaryDataService).getAsBuffer(binary);
	}

	/**
	 * Runs a credential's `test` request the way n8n's CredentialsTester does ("Test credential"
	 * button): a temporary node whose only property routes the test request through RoutingNode.
	 */
	async testCredential(
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<INodeCredentialTestResult> {
		recordKeys([data.apiKey]);
		const result = await this.runCredentialTest(type, data);
		recordArtifact('credential test', result);
		return result;
	}

	private async runCredentialTest(
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<INodeCredentialTestResult> {
		const credentialType = this.types.credential(type);
		const testRequest = credentialType.test;
		if (!testRequest)
			return { status: 'Error', message: 'No testing function found for this credential.' };

		const nodeType: INodeType = {
			description: {
				displayName: 'Temp',
				name: 'n8n-nodes-base.noOp',
				group: ['transform'],
				version: 1,
				description: '',
				defaults: {},
				inputs: ['main'],
				outputs: ['main'],
				credentials: [{ name: type, required: true }],
				properties: [
					{
						displayName: 'Temp',
						name: 'temp',
						type: 'string',
						routing: { request: testRequest.request },
						default: '',
					},
				],
			},
		};
		const node: INode = {
			id: 'temp',
			name: 'Temp-Node',
			type: nodeType.description.name,
			typeVersion: 1,
			position: [0, 0],
			parameters: {},
			credentials: { [type]: { id: 'test', name: 'test' } },
		};
		const workflow = new Workflow({
			nodes: [node],
			connections: {},
			active: false,
			nodeTypes: {
				getByName: () => nodeType,
				getByNameAndVersion: () => nodeType,
				getKnownTypes: () => ({}),
			},
		});
		const credentialsDecrypted: ICredentialsDecrypted = {
			id: 'test',
			name: 'test',
			type,
			data: withDefaults(credentialType, data),
		};
		this.credentialsHelper.credentials = { [type]: credentialsDecrypted.data! };
		const additionalData = additionalDataWith({});
		additionalData.credentialsHelper = this.credentialsHelper;
		const executeData: IExecuteData = { node, data: {}, source: null };
		const context = new ExecuteContext(
			workflow,
			node,
			additionalData,
			'internal',
			createRunExecutionData(),
			0,
			[],
			{ main: [[{ json: {} }]] },
			executeData,
			[],
		);

		let response: INodeExecutionData[][] | undefined;
		try {
			response = (await new RoutingNode(context, nodeType, credentialsDecrypted).runNode()) as
				| INodeExecutionData[][]
				| undefined;
		} catch (error) {
			// Same order of checks as n8n's CredentialsTester.testCredentials.
			const cause = (
				error as { cause?: { response?: { status: number; statusText?: string }; code?: string } }
			).cause;
			if (cause?.response) {
				for (const rule of testRequest.rules ?? []) {
					if (rule.type === 'responseCode' && rule.properties.value === cause.response.status) {
						return { status: 'Error', message: rule.properties.message };
					}
				}
				if (cause.response.status < 199 || cause.response.status > 299) {
					return {
						status: 'Error',
						message:
							cause.response.statusText || `Received HTTP status code: ${cause.response.status}`,
					};
				}
			} else if (cause?.code) {
				return { status: 'Error', message: cause.code };
			}
			return { status: 'Error', message: (error as Error).message };
		}
		for (const rule of testRequest.rules ?? []) {
			if (
				rule.type === 'responseSuccessBody' &&
				valueAt(response?.[0]?.[0]?.json, rule.properties.key) === rule.properties.value
			)
				return { status: 'Error', message: rule.properties.message };
		}
		return { status: 'OK', message: 'Connection successful!' };
	}

	/** Stops n8n-core's background timers so jest can exit. */
	static async shutdown(): Promise<void> {
		Container.get(SSHClientsManager).onShutdown();
		removeTempDir(userFolder);
	}
}

/** lodash's `get` for the dotted keys of credential test rules, as n8n's tester reads them. */
function valueAt(data: unknown, key: string): unknown {
	return key
		.split('.')
		.reduce<unknown>(
			(value, part) =>
				value !== null && typeof value === 'object'
					? (value as Record<string, unknown>)[part]
					: undefined,
			data,
		);
}
