import type {
	ICredentialDataDecryptedObject,
	IConnections,
	INode,
	INodeParameterResourceLocator,
	INodeParameters,
} from 'n8n-workflow';

import type { WorkflowJson } from './n8n';
import { PACKAGE_NAME } from './n8n';
import type { FixtureItem } from './testNodes';
import { HARNESS_NODE_PREFIX } from './testNodes';

export const PHOTA_NODE_TYPE = `${PACKAGE_NAME}.phota`;
export const WAIT_NODE_TYPE = `${PACKAGE_NAME}.waitForProfileReady`;
export const TRIGGER_NODE_TYPE = `${PACKAGE_NAME}.photaTrigger`;

let nodeCounter = 0;

export interface NodeOptions {
	name?: string;
	continueOnFail?: boolean;
	/** n8n's "On Error" setting; 'continueErrorOutput' adds an error output. */
	onError?: INode['onError'];
}

function node(
	type: string,
	parameters: INodeParameters,
	options: NodeOptions & { name: string },
): INode {
	nodeCounter += 1;
	return {
		id: `node-${nodeCounter}`,
		name: options.name,
		type,
		typeVersion: 1,
		position: [nodeCounter * 200, 0],
		parameters,
		...(options.continueOnFail ? { continueOnFail: true } : {}),
		...(options.onError ? { onError: options.onError } : {}),
		...(type.startsWith(PACKAGE_NAME)
			? { credentials: { photaApi: { id: 'cred-1', name: 'Phota account' } } }
			: {}),
	};
}

export function fixtureNode(items: FixtureItem[], name = 'Input'): INode {
	return node(`${HARNESS_NODE_PREFIX}fixtureItems`, { items: JSON.stringify(items) }, { name });
}

/** One authenticated GET per item (its "url"): the benchmark's minimal node. */
export function authenticatedGetNode(name = 'Authenticated GET'): INode {
	const get = node(`${HARNESS_NODE_PREFIX}authenticatedGet`, {}, { name });
	return { ...get, credentials: { photaApi: { id: 'cred-1', name: 'Phota account' } } };
}

export function loopOverItemsNode(name = 'Loop Over Items'): INode {
	return node(`${HARNESS_NODE_PREFIX}loopOverItems`, {}, { name });
}

export function passThroughNode(name = 'Next'): INode {
	return node(`${HARNESS_NODE_PREFIX}passThrough`, {}, { name });
}

export function photaNode(parameters: INodeParameters, options: NodeOptions = {}): INode {
	return node(PHOTA_NODE_TYPE, parameters, { name: 'Phota', ...options });
}

export function waitNode(parameters: INodeParameters, options: NodeOptions = {}): INode {
	return node(WAIT_NODE_TYPE, parameters, { name: 'Wait for Profile Ready', ...options });
}

/** The Phota Trigger; with a typed-in secret it names the Phota Webhook Secret credential. */
export function photaTriggerNode(
	parameters: INodeParameters = {},
	options: NodeOptions = {},
): INode {
	const trigger = node(TRIGGER_NODE_TYPE, parameters, { name: 'Phota Trigger', ...options });
	if (parameters.secretSource !== 'secretCredential') return trigger;
	const credentials = { photaWebhookSecretApi: { id: 'cred-2', name: 'Phota webhook secret' } };
	return { ...trigger, credentials };
}

/** Connects the nodes one after the other on their first output. */
export function chain(...nodes: INode[]): WorkflowJson {
	const connections: IConnections = {};
	for (let index = 0; index + 1 < nodes.length; index++) {
		connections[nodes[index].name] = {
			main: [[{ node: nodes[index + 1].name, type: 'main', index: 0 }]],
		};
	}
	return { nodes, connections };
}

export function photaCredentials(
	baseUrl: string,
	apiKey: string,
): Record<string, ICredentialDataDecryptedObject> {
	return { photaApi: { apiKey, baseUrl } };
}

/** `count` distinct photo URLs of one person, as a training set. */
export function photoUrls(count: number, prefix = 'https://photos.example.org/ada'): string[] {
	return Array.from(
		{ length: count },
		(_, index) => `${prefix}/${String(index + 1).padStart(2, '0')}.jpg`,
	);
}

/** A Profile or Profiles parameter set "By ID": IDs (comma-separated) or an expression. */
export function byId(value: string): INodeParameterResourceLocator {
	return { __rl: true, mode: 'id', value };
}

/** Profiles "By ID" left empty: an image operation without identity. */
export const NO_PROFILES = byId('');

/** Phota → Profile → Create from the item's `image_urls` field. */
export function createProfileNode(name = 'Create'): INode {
	return photaNode({ resource: 'profile', operation: 'create', imageSource: 'field' }, { name });
}

/**
 * One training set → Create → Generate "Portrait of [[profile]]": the chain that needs no
 * expressions, the new profile_ids flowing from Create into Generate.
 */
export function createThenGenerate(): WorkflowJson {
	return chain(
		fixtureNode([{ json: { image_urls: photoUrls(10) } }]),
		createProfileNode(),
		photaNode(
			{ resource: 'image', operation: 'generate', prompt: 'Portrait of [[profile]]' },
			{ name: 'Generate' },
		),
	);
}
