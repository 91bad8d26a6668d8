/**
 * A node's list-search method called the way the editor calls it when a user opens a "From list"
 * resource locator: through n8n-core's LoadOptionsContext, with the node's credentials.
 */
import './n8nEnv';

import { LoadOptionsContext } from 'n8n-core';
import type { ICredentialDataDecryptedObject, INode, INodeListSearchResult } from 'n8n-workflow';
import { Workflow } from 'n8n-workflow';

import type { HarnessCredentialsHelper } from './credentialsHelper';
import { recordArtifact, recordKeys } from './leakCheck';
import type { LoadedTypes } from './n8nRuntime';
import { additionalDataWith } from './n8nRuntime';

export async function runListSearch(
	types: LoadedTypes,
	credentialsHelper: HarnessCredentialsHelper,
	nodeJson: INode,
	methodName: string,
	credentials: Record<string, ICredentialDataDecryptedObject>,
	filter?: string,
): Promise<INodeListSearchResult> {
	credentialsHelper.credentials = credentials;
	const nodeType = types.getByNameAndVersion(nodeJson.type, nodeJson.typeVersion);
	const method = nodeType.methods?.listSearch?.[methodName];
	if (!method) throw new Error(`${nodeJson.type} has no list search ${methodName}`);
	const workflow = new Workflow({
		nodes: [nodeJson],
		connections: {},
		active: false,
		nodeTypes: types,
	});
	const context = new LoadOptionsContext(
		workflow,
		nodeJson,
		additionalDataWith({ credentialsHelper }),
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
