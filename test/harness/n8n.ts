/**
 * Runs this package's *built* nodes the way n8n does: n8n-core's PackageDirectoryLoader reads the
 * package.json "n8n" section and loads dist/, WorkflowExecute runs workflow JSON, and credentials
 * are applied by the credential type's own `authenticate` block (as n8n's CredentialsHelper does).
 * HTTP goes through n8n-core's real helpers over real sockets; nothing of ours is mocked.
 *
 * Here: loading and running workflows. Beside it: n8nEnv.ts (the environment n8n-core reads on
 * import), n8nRuntime.ts (types, additional data), credentialsHelper.ts, listSearch.ts and
 * credentialTest.ts (the "Test credential" button).
 */

import './n8nEnv';

import path from 'node:path';

import { Container } from '@n8n/di';
import {
	BinaryDataConfig,
	BinaryDataService,
	ExecutionLifecycleHooks,
	PackageDirectoryLoader,
	WorkflowExecute,
} from 'n8n-core';
import { SSHClientsManager } from 'n8n-core/dist/execution-engine/ssh-clients-manager';
import type {
	IBinaryData,
	ICredentialDataDecryptedObject,
	ICredentialType,
	IConnections,
	INode,
	INodeCredentialTestResult,
	INodeExecutionData,
	INodeListSearchResult,
	INodeType,
	IRun,
	IRunExecutionData,
	IVersionedNodeType,
} from 'n8n-workflow';
import { NodeHelpers, Workflow, createDeferredPromise, createRunExecutionData } from 'n8n-workflow';

import { testCredential } from './credentialTest';
import { HarnessCredentialsHelper } from './credentialsHelper';
import { recordArtifact, recordKeys } from './leakCheck';
import { runListSearch } from './listSearch';
import { removeUserFolder, userFolder } from './n8nEnv';
import { collectN8nLog } from './testLog';
import type { WebhookCall, WebhookRequest } from './webhook';
import { callWebhook } from './webhook';
import { LoadedTypes, additionalDataWith, stub } from './n8nRuntime';
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
	/** The start node's input: a trigger's items, as a webhook's `workflowData` (webhook.ts). */
	startData?: INodeExecutionData[][];
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

let executionCount = 0;

export class N8nHarness {
	private constructor(
		readonly types: LoadedTypes,
		readonly binaryMode: BinaryMode,
		private readonly credentialsHelper: HarnessCredentialsHelper,
	) {}

	/** Loads dist/ through n8n's package loader and prepares binary data storage. */
	static async start(options: { binaryMode?: BinaryMode } = {}): Promise<N8nHarness> {
		const binaryMode = options.binaryMode ?? 'default';
		collectN8nLog();
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

	/** Credential reads and applications so far (see HarnessCredentialsHelper). */
	get credentialUse(): { reads: number; authentications: number } {
		const { reads, authentications } = this.credentialsHelper;
		return { reads, authentications };
	}

	/** Node type names as n8n registers them for an installed community package. */
	nodeTypeNames(): string[] {
		return [...this.types.nodes.keys()].filter((name) => name.startsWith(`${PACKAGE_NAME}.`));
	}

	/** The labels the editor shows on `node`'s outputs, as n8n computes them from its parameters. */
	outputLabels(node: INode): string[] {
		const workflow = new Workflow({
			nodes: [node],
			connections: {},
			nodeTypes: this.types,
			active: false,
		});
		const description = this.types.getByNameAndVersion(node.type, node.typeVersion).description;
		return NodeHelpers.getNodeOutputs(workflow, node, description).map((output) =>
			typeof output === 'string' ? '' : (output.displayName ?? ''),
		);
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
				nodeExecutionStack: [
					{ node: startNode, data: { main: options.startData ?? [[{ json: {} }]] }, source: null },
				],
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
	 * resource locator (listSearch.ts).
	 */
	async listSearch(
		nodeJson: INode,
		methodName: string,
		credentials: Record<string, ICredentialDataDecryptedObject>,
		filter?: string,
	): Promise<INodeListSearchResult> {
		return await runListSearch(
			this.types,
			this.credentialsHelper,
			nodeJson,
			methodName,
			credentials,
			filter,
		);
	}

	/** Calls a webhook node's `webhook()` the way n8n's webhook server does (webhook.ts). */
	async webhook(
		node: INode,
		request: WebhookRequest,
		credentials: Record<string, ICredentialDataDecryptedObject>,
	): Promise<WebhookCall> {
		return await callWebhook(this.types, this.credentialsHelper, node, request, credentials);
	}

	/** Bytes of an output binary, wherever the binary data mode stored them. */
	async binaryBuffer(binary: IBinaryData): Promise<Buffer> {
		return await Container.get(BinaryDataService).getAsBuffer(binary);
	}

	/**
	 * Runs a credential's `test` request the way n8n's CredentialsTester does ("Test credential"
	 * button; credentialTest.ts).
	 */
	async testCredential(
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<INodeCredentialTestResult> {
		return await testCredential(this.types, this.credentialsHelper, type, data);
	}

	/** Stops n8n-core's background timers so jest can exit. */
	static async shutdown(): Promise<void> {
		Container.get(SSHClientsManager).onShutdown();
		removeUserFolder();
	}
}
