/**
 * The parts of n8n's runtime that the harness provides itself: the node and credential types the
 * package loader found, and the additional data an execution or a load-options call gets.
 */
import type {
	ICredentialType,
	INodeType,
	INodeTypes,
	IVersionedNodeType,
	IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';

export class LoadedTypes implements INodeTypes {
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

/**
 * An object whose fields are `fields` and whose every other property is a function returning
 * undefined: the parts of n8n's additional data that running a workflow does not need. (No jest
 * mocks, so the benchmark can run the same harness outside jest.)
 */
export function stub<T>(fields: Record<string, unknown> = {}): T {
	return new Proxy(fields, {
		get(target, property) {
			if (typeof property === 'symbol' || property === 'then') return undefined;
			return property in target ? target[property] : () => undefined;
		},
	}) as T;
}

export function additionalDataWith(
	fields: Partial<IWorkflowExecuteAdditionalData>,
): IWorkflowExecuteAdditionalData {
	return stub<IWorkflowExecuteAdditionalData>({
		currentNodeParameters: undefined,
		executionTimeoutTimestamp: undefined,
		restartExecutionId: undefined,
		...fields,
	});
}
