/**
 * Workflows for the real-n8n sections of `npm run bench`: built as node lists, imported with
 * `n8n import:workflow` and run with `n8n execute` (e2e/n8nCli.ts), and the figures read from a run.
 */
import type { IRun } from 'n8n-workflow';

import { executeWorkflow, importCredential, importWorkflow } from '../../e2e/n8nCli';
import type { N8nInstance } from '../../e2e/n8nCli';
import type { PhotaSimulator } from '../../simulator';
import { createN8nWithPackage, importPhotaCredential } from '../packedN8n';
import { API_KEY } from './shared';

let workflowCounter = 0;

export interface N8nNode {
	name: string;
	type: string;
	typeVersion: number;
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string; name: string }>;
	/** n8n's node settings "Retry On Fail", "Max. Tries", "Wait Between Tries (ms)". */
	retryOnFail?: boolean;
	maxTries?: number;
	waitBetweenTries?: number;
}

export interface BenchWorkflow {
	nodes: N8nNode[];
	connections: Record<string, unknown>;
}

export const photaCredential = { photaApi: { id: 'bench-phota', name: 'Phota' } };
export const headerCredential = { httpHeaderAuth: { id: 'bench-header', name: 'Phota header' } };

/** The end of a branch: a No Operation node named Done. */
export const doneNode: N8nNode = {
	name: 'Done',
	type: 'n8n-nodes-base.noOp',
	typeVersion: 1,
	parameters: {},
};

/**
 * A fresh n8n with the packed package, in filesystem binary mode, and both credentials: the Phota
 * one and the header auth the do-it-yourself HTTP Request nodes use, on the simulator's key.
 */
export async function startBenchN8n(sim: PhotaSimulator): Promise<N8nInstance> {
	const n8n = await createN8nWithPackage({ binaryMode: 'filesystem' });
	await importPhotaCredential(n8n, {
		id: photaCredential.photaApi.id,
		name: 'Phota',
		apiKey: API_KEY,
		baseUrl: sim.baseUrl,
	});
	await importCredential(n8n, {
		id: headerCredential.httpHeaderAuth.id,
		name: 'Phota header',
		type: 'httpHeaderAuth',
		data: { name: 'X-API-Key', value: API_KEY },
	});
	return n8n;
}

/**
 * Manual trigger → `first` (run once, e.g. a Wait) → one item per element of `elements` → the
 * given nodes, connected in a line.
 */
export function linearWorkflow(
	elements: unknown[],
	nodes: N8nNode[],
	first: N8nNode[] = [],
): BenchWorkflow {
	const start: N8nNode[] = [
		{ name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} },
		...first,
		{
			name: 'Items',
			type: 'n8n-nodes-base.set',
			typeVersion: 3.4,
			parameters: { mode: 'raw', jsonOutput: JSON.stringify({ elements }), options: {} },
		},
		{
			name: 'Split',
			type: 'n8n-nodes-base.splitOut',
			typeVersion: 1,
			parameters: { fieldToSplitOut: 'elements', options: {} },
		},
	];
	const all = [...start, ...nodes];
	const connections: Record<string, unknown> = {};
	for (let index = 0; index + 1 < all.length; index++) {
		connections[all[index].name] = {
			main: [[{ node: all[index + 1].name, type: 'main', index: 0 }]],
		};
	}
	return { nodes: all, connections };
}

/** Imports the workflow into the n8n; resolves to its id. */
export async function importBenchWorkflow(
	n8n: N8nInstance,
	workflow: BenchWorkflow,
): Promise<string> {
	const id = `bench${++workflowCounter}`;
	await importWorkflow(n8n, {
		id,
		name: id,
		nodes: workflow.nodes.map((node, index) => ({
			...node,
			id: `n${index}`,
			position: [index * 200, 0],
		})),
		connections: workflow.connections,
		settings: { executionOrder: 'v1' },
	});
	return id;
}

export async function runInN8n(n8n: N8nInstance, workflow: BenchWorkflow): Promise<IRun> {
	return await executeWorkflow(n8n, await importBenchWorkflow(n8n, workflow));
}

export function nodeTime(run: IRun, name: string): number {
	return (run.data.resultData.runData[name] ?? []).reduce(
		(sum, task) => sum + task.executionTime,
		0,
	);
}

/** How many items the node's first run put out on its first output. */
export function outputCount(run: IRun, name: string): number {
	return run.data.resultData.runData[name]?.[0]?.data?.main?.[0]?.length ?? 0;
}

export function httpRequestNode(name: string, parameters: Record<string, unknown>): N8nNode {
	return {
		name,
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		parameters: {
			authentication: 'genericCredentialType',
			genericAuthType: 'httpHeaderAuth',
			...parameters,
		},
		credentials: headerCredential,
	};
}

/**
 * The do-it-yourself edit: an HTTP Request node sending exactly the body the Phota node sent in
 * `sent` (a request of the simulator's log), with the prompt "Put [[id]] in a studio portrait, shot
 * N" built from the item.
 */
export function diyEditNode(baseUrl: string, sent: { body: unknown }): N8nNode {
	const sentBody = sent.body as Record<string, unknown>;
	return httpRequestNode('HTTP Request', {
		method: 'POST',
		url: `${baseUrl}/edit`,
		sendBody: true,
		specifyBody: 'json',
		jsonBody: `={{ JSON.stringify(Object.assign(${JSON.stringify({ ...sentBody, prompt: undefined })}, { prompt: "Put [[" + $json.profile_ids[0] + "]] in a studio portrait, shot " + $json.shot })) }}`,
		options: {},
	});
}

/** The Phota node (named Phota) with these parameters, on the bench's credential. */
export function photaNode(parameters: Record<string, unknown>): N8nNode {
	return {
		name: 'Phota',
		type: 'n8n-nodes-phota.phota',
		typeVersion: 1,
		parameters,
		credentials: photaCredential,
	};
}

/** The Phota node editing one photo with a prompt per item (`prompt` is an n8n expression). */
export function photaEditNode(prompt: string, options: Record<string, unknown> = {}): N8nNode {
	return photaNode({
		resource: 'image',
		operation: 'edit',
		binaryProperties: '',
		imageUrls: ['https://photos.example.org/team/ada.jpg'],
		prompt,
		options,
	});
}
