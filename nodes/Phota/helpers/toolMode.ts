import type {
	IDisplayOptions,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
	NodeParameterValueType,
} from 'n8n-workflow';
import { ExecutionCancelledError } from 'n8n-workflow';

import { asNodeError } from '../transport';
import { errorItem } from './failedItems';

/**
 * Runs a node's work as an AI Agent's tool. n8n passes only the first output to the model, so every
 * output's items go there; and an error is returned as the tool's result, so the model reads it and
 * can fix its call (thrown, it would reach the model as an empty answer in Agent 1.x, or stop the
 * whole run in Agent 2+). Stop still stops the run.
 */
export async function runAsTool(
	this: IExecuteFunctions,
	work: () => Promise<INodeExecutionData[][]>,
): Promise<INodeExecutionData[][]> {
	try {
		return [(await work()).flat()];
	} catch (error) {
		const nodeError = asNodeError(this.getNode(), error);
		if (nodeError instanceof ExecutionCancelledError) throw nodeError;
		return [[errorItem.call(this, nodeError, 0)]];
	}
}

/**
 * `$fromAI(...)`: an argument the model fills in; n8n builds the tool's schema from these. Written
 * as the editor's "let the model define this parameter" writes it (its marker, the description in
 * backticks), so the editor shows "Defined automatically by the model" with the description.
 */
export function fromAI(key: string, description: string, type: 'string' | 'number'): string {
	const quoted = description.replaceAll('\\', '\\\\').replaceAll('`', '\\`');
	return `={{ /*n8n-auto-generated-fromAI-override*/ $fromAI('${key}', \`${quoted}\`, '${type}') }}`;
}

/** A Profiles locator whose IDs the model gives as one comma-separated `profile_ids` argument. */
export function profileIdsFromModel(description: string): NodeParameterValueType {
	return { __rl: true, mode: 'id', value: fromAI('profile_ids', description, 'string') };
}

interface ToolSetup {
	/** What the model reads about this operation (n8n's own default is only "<action> in Phota"). */
	description: string;
	/** Defaults that differ in the tool, by parameter name: usually a `$fromAI` argument. */
	defaults?: Record<string, NodeParameterValueType>;
	/** Parameters that exist only in the tool (arguments a model sets that the node keeps in Options). */
	extra?: INodeProperties[];
}

/**
 * An operation's parameters for both the node and the tool: a "Description" parameter in the tool
 * (named `toolDescription`, so n8n uses it and adds no "Set Automatically" switch of its own), and
 * for each parameter with a tool default, a copy shown only in the tool with that default.
 */
export function withToolSetup(properties: INodeProperties[], tool: ToolSetup): INodeProperties[] {
	const descriptionProperty: INodeProperties = {
		displayName: 'Description',
		name: 'toolDescription',
		type: 'string',
		default: '',
		typeOptions: { rows: 4 },
		description:
			'What the AI Agent reads about this tool: what it does, its arguments and its result',
	};
	const result = [onlyInTool({ ...descriptionProperty, default: tool.description })];
	for (const property of properties) {
		const toolDefault = tool.defaults?.[property.name];
		if (toolDefault === undefined) {
			result.push(property);
			continue;
		}
		result.push(withDisplay(property, { hide: { '@tool': [true] } }));
		result.push({ ...onlyInTool(property), default: toolDefault });
	}
	result.push(...(tool.extra ?? []).map(onlyInTool));
	return result;
}

function onlyInTool(property: INodeProperties): INodeProperties {
	return withDisplay(property, { show: { '@tool': [true] } });
}

function withDisplay(property: INodeProperties, added: IDisplayOptions): INodeProperties {
	const current = property.displayOptions ?? {};
	return {
		...property,
		displayOptions: {
			...current,
			...(added.show ? { show: { ...current.show, ...added.show } } : {}),
			...(added.hide ? { hide: { ...current.hide, ...added.hide } } : {}),
		},
	};
}
