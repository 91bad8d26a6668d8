/**
 * The "Test credential" button, emulated: n8n's CredentialsTester runs a credential's `test`
 * request through a temporary node whose only property routes it (RoutingNode), then reads the
 * answer against the test's rules. This follows its order of checks and its messages.
 */
import './n8nEnv';

import { ExecuteContext, RoutingNode } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	IExecuteData,
	INode,
	INodeCredentialTestResult,
	INodeExecutionData,
	INodeType,
} from 'n8n-workflow';
import { Workflow, createRunExecutionData } from 'n8n-workflow';

import type { HarnessCredentialsHelper } from './credentialsHelper';
import { withDefaults } from './credentialsHelper';
import { recordArtifact, recordKeys } from './leakCheck';
import type { LoadedTypes } from './n8nRuntime';
import { additionalDataWith } from './n8nRuntime';

/** Runs the test of credential type `type` with `data`; the key is recorded for the leak check. */
export async function testCredential(
	types: LoadedTypes,
	credentialsHelper: HarnessCredentialsHelper,
	type: string,
	data: ICredentialDataDecryptedObject,
): Promise<INodeCredentialTestResult> {
	recordKeys([data.apiKey]);
	const result = await runCredentialTest(types, credentialsHelper, type, data);
	recordArtifact('credential test', result);
	return result;
}

async function runCredentialTest(
	types: LoadedTypes,
	credentialsHelper: HarnessCredentialsHelper,
	type: string,
	data: ICredentialDataDecryptedObject,
): Promise<INodeCredentialTestResult> {
	const credentialType = types.credential(type);
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
	credentialsHelper.credentials = { [type]: credentialsDecrypted.data! };
	const additionalData = additionalDataWith({});
	additionalData.credentialsHelper = credentialsHelper;
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
