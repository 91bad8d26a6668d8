/** The node's AI-tool setup, straight from the source: what n8n shows and fills in per node type. */
import type { INodeProperties, INodeTypeDescription } from 'n8n-workflow';
import { NodeHelpers } from 'n8n-workflow';

import { isToolRun } from '../../nodes/Phota/helpers/settings';
import { fromAI, withToolSetup } from '../../nodes/Phota/helpers/toolMode';

const prompt: INodeProperties = {
	displayName: 'Prompt',
	name: 'prompt',
	type: 'string',
	default: '',
};
const quality: INodeProperties = {
	displayName: 'Quality',
	name: 'quality',
	type: 'string',
	default: 'high',
};

const properties = withToolSetup([prompt, quality], {
	description: 'Makes photos.',
	defaults: { prompt: fromAI('prompt', 'What the photo "shows"', 'string') },
});

/** The parameters n8n fills in for a node of this type (as its Workflow does before a run). */
function filledIn(typeName: string) {
	const description = { name: typeName, properties } as INodeTypeDescription;
	return NodeHelpers.getNodeParameters(properties, {}, true, false, null, description);
}

test('as a tool: the description and the model-set defaults; as a node: neither', () => {
	expect(filledIn('n8n-nodes-phota.photaTool')).toEqual({
		toolDescription: 'Makes photos.',
		prompt:
			"={{ /*n8n-auto-generated-fromAI-override*/ $fromAI('prompt', `What the photo \"shows\"`, 'string') }}",
		quality: 'high',
	});
	expect(filledIn('n8n-nodes-phota.phota')).toEqual({ prompt: '', quality: 'high' });
});

test('isToolRun reads the node type n8n gave the tool', () => {
	expect(isToolRun({ getNode: () => ({ type: 'n8n-nodes-phota.photaTool' }) as never })).toBe(true);
	expect(isToolRun({ getNode: () => ({ type: 'n8n-nodes-phota.phota' }) as never })).toBe(false);
});
