/**
 * The examples suit the simulator a new user tries them with, and say what to change for the real
 * API: a Wait for Profile Ready that polls inside the node polls every 5 s or less, and its note
 * names the real API's interval.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const EXAMPLES = path.resolve(__dirname, '../../examples');

interface ExampleNode {
	name: string;
	type: string;
	notes?: string;
	parameters: { mode?: string; pollIntervalSeconds?: number };
}

const waitNodes = readdirSync(EXAMPLES)
	.filter((file) => file.endsWith('.json'))
	.flatMap((file) =>
		(JSON.parse(readFileSync(path.join(EXAMPLES, file), 'utf8')) as { nodes: ExampleNode[] }).nodes
			.filter(
				(node) =>
					node.type === 'n8n-nodes-phota.waitForProfileReady' &&
					(node.parameters.mode ?? 'wait') === 'wait',
			)
			.map((node) => [`${file}: ${node.name}`, node] as const),
	);

test('at least one example waits inside the node', () => {
	expect(waitNodes.length).toBeGreaterThan(0);
});

test.each(waitNodes)('%s polls every 5 s or less and says what suits the real API', (_, node) => {
	expect(node.parameters.pollIntervalSeconds).toBeLessThanOrEqual(5);
	expect(node.notes).toMatch(/real Phota API use 15-30 s/);
});
