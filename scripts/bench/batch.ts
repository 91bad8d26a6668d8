/**
 * Section 2 of `npm run bench` (--only=batch): 50 edits at 500 ms simulated latency in real n8n.
 * The Phota node against the HTTP Request node sending items one by one (Loop Over Items, batch
 * size 1), plus the HTTP Request node's default (all items at once) against a rate limit.
 */
import type { N8nInstance } from '../../e2e/n8nCli';
import {
	diyEditNode,
	doneNode,
	linearWorkflow,
	nodeTime,
	outputCount,
	photaEditNode,
	runInN8n,
} from './n8nWorkflows';
import type { BenchContext } from './shared';
import { readyProfile, shots } from './shared';
import { seconds } from './table';

export async function measureBatch({ sim, rows }: BenchContext, n8n: N8nInstance): Promise<void> {
	const edits = 50;
	sim.reset();
	sim.settings.latencyMs = { 'POST /edit': 500 };
	// ASSUMPTION (PHOTA_API.md §9.18): no documented limit; ten concurrent requests is a plausible one.
	sim.settings.rateLimit = { maxConcurrent: 10, retryAfterSeconds: 1 };
	const profileId = await readyProfile(sim);
	const elements = shots(edits, profileId);

	sim.log.clear();
	const photaRun = await runInN8n(
		n8n,
		linearWorkflow(elements, [
			photaEditNode('=Put [[profile]] in a studio portrait, shot {{ $json.shot }}'),
		]),
	);
	const photaLog = sim.log.forRoute('POST /edit');
	const photaImages = outputCount(photaRun, 'Phota');
	if (photaRun.data.resultData.error || photaImages !== edits) {
		throw new Error(
			`Phota batch failed: ${photaRun.data.resultData.error?.message ?? `${photaImages} images`}`,
		);
	}
	const diyRequest = diyEditNode(sim.baseUrl, photaLog[0]);

	// One by one, the usual way: Loop Over Items (batch size 1) → HTTP Request → back to the loop.
	// (The HTTP Request node's own Batching option only spaces out the starts; requests still overlap.)
	const loop = linearWorkflow(elements, [
		{
			name: 'Loop Over Items',
			type: 'n8n-nodes-base.splitInBatches',
			typeVersion: 3,
			parameters: { batchSize: 1, options: {} },
		},
	]);
	loop.nodes.push(diyRequest, doneNode);
	loop.connections['Loop Over Items'] = {
		main: [
			[{ node: 'Done', type: 'main', index: 0 }],
			[{ node: 'HTTP Request', type: 'main', index: 0 }],
		],
	};
	loop.connections['HTTP Request'] = {
		main: [[{ node: 'Loop Over Items', type: 'main', index: 0 }]],
	};
	sim.log.clear();
	const oneByOne = await runInN8n(n8n, loop);
	const oneByOneLog = sim.log.forRoute('POST /edit');
	const oneByOneDone = outputCount(oneByOne, 'Done');
	sim.log.clear();
	const allAtOnce = await runInN8n(n8n, linearWorkflow(elements, [diyRequest]));
	const allAtOnceLog = sim.log.forRoute('POST /edit');

	const photaMs = nodeTime(photaRun, 'Phota');
	// The loop's wall time: from the first Loop Over Items run to the end of the execution.
	const oneByOneMs =
		new Date(oneByOne.stoppedAt ?? Date.now()).getTime() -
		oneByOne.data.resultData.runData['Loop Over Items'][0].startTime;
	const count429 = (log: typeof photaLog) => log.filter((entry) => entry.status === 429).length;
	rows.push({
		measure: `2. ${edits} edits at 500 ms latency, real n8n (Phota: default 5 parallel)`,
		phota: `${seconds(photaMs)}, ${count429(photaLog)}×429`,
		baseline: `${seconds(oneByOneMs)} Loop Over Items (1) + HTTP Request, ${oneByOneDone} done, ${count429(oneByOneLog)}×429`,
		ratio: `${(oneByOneMs / photaMs).toFixed(2)}× faster`,
		target: '≥ 4× faster, no 429 storm',
		met: oneByOneMs / photaMs >= 4 && count429(photaLog) === 0 && oneByOneDone === edits,
	});
	const allAtOnceError = allAtOnce.data.resultData.error?.message;
	rows.push({
		measure: '   HTTP Request default (all items at once) against a 10-concurrent limit',
		phota: '',
		baseline: `${seconds(nodeTime(allAtOnce, 'HTTP Request'))}, ${count429(allAtOnceLog)}×429${allAtOnceError ? ', run failed' : ''}`,
		ratio: '',
		target: 'info',
		met: true,
	});
}
