/**
 * One node in a process of its own, for section 1 of `npm run bench`: for each line "round" on
 * stdin it runs one execution of `requests` items through its node (the Phota node's Get Status,
 * or the minimal node's authenticated GET) in in-process n8n (test/harness), against a simulator
 * in this process too (as in the rest of section 1), and prints the node's time per request for
 * it as one JSON line. With "mixed", each round runs the other node's execution first (not
 * measured): the two nodes then share the process, as in the one-process rows.
 *
 * Usage: ts-node scripts/bench/overheadChild.ts <phota|minimal> <requests> [mixed]
 */
import { createInterface } from 'node:readline';

import { startSimulator } from '../../simulator';
import { N8nHarness } from '../../test/harness/n8n';
import {
	authenticatedGetNode,
	chain,
	fixtureNode,
	photaCredentials,
	photaNode,
} from '../../test/harness/workflow';
import { API_KEY, readyProfile } from './shared';

const [which, requestsArgument, mixed] = process.argv.slice(2);
const requests = Number(requestsArgument);

function workflowAndNodeName(node: string, baseUrl: string, profileId: string) {
	if (node === 'phota') {
		const items = Array.from({ length: requests }, () => ({ json: { profile_ids: [profileId] } }));
		const phota = photaNode({
			resource: 'profile',
			operation: 'getStatus',
			options: { parallelRequests: 1 },
		});
		return { workflow: chain(fixtureNode(items), phota), nodeName: 'Phota' };
	}
	const url = `${baseUrl}/profiles/${profileId}/status`;
	const items = Array.from({ length: requests }, () => ({ json: { url } }));
	return {
		workflow: chain(fixtureNode(items), authenticatedGetNode('Minimal')),
		nodeName: 'Minimal',
	};
}

async function main() {
	const sim = await startSimulator({ apiKeys: [API_KEY] });
	const profileId = await readyProfile(sim);
	const { workflow, nodeName } = workflowAndNodeName(which, sim.baseUrl, profileId);
	const other = workflowAndNodeName(
		which === 'phota' ? 'minimal' : 'phota',
		sim.baseUrl,
		profileId,
	);
	const credentials = photaCredentials(sim.baseUrl, API_KEY);
	const n8n = await N8nHarness.start();
	console.log(JSON.stringify({ ready: true }));
	for await (const line of createInterface({ input: process.stdin })) {
		if (line.trim() !== 'round') break;
		if (mixed === 'mixed') await n8n.run(other.workflow, { credentials });
		const result = await n8n.run(workflow, { credentials });
		if (result.error) throw result.error;
		const { executionTime } = result.run.data.resultData.runData[nodeName][0];
		console.log(JSON.stringify({ perRequestMs: executionTime / requests }));
	}
	await N8nHarness.shutdown();
	await sim.close();
}

void main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
