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
import type { OverheadNode } from './shared';
import { API_KEY, overheadRound, readyProfile } from './shared';

const [which, requestsArgument, mixed] = process.argv.slice(2);
const node: OverheadNode = which === 'phota' ? 'phota' : 'minimal';
const requests = Number(requestsArgument);

async function main() {
	const sim = await startSimulator({ apiKeys: [API_KEY] });
	const setup = { baseUrl: sim.baseUrl, profileId: await readyProfile(sim), requests };
	const n8n = await N8nHarness.start();
	const round = overheadRound(n8n, node, setup);
	const otherRound = overheadRound(n8n, node === 'phota' ? 'minimal' : 'phota', setup);
	console.log(JSON.stringify({ ready: true }));
	for await (const line of createInterface({ input: process.stdin })) {
		if (line.trim() !== 'round') break;
		if (mixed === 'mixed') await otherRound();
		console.log(JSON.stringify({ perRequestMs: await round() }));
	}
	await N8nHarness.shutdown();
	await sim.close();
}

void main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
