/**
 * Section 3 of `npm run bench` (--only=wait): waiting for 10 concurrently training profiles in real
 * n8n. Wait for Profile Ready against an HTTP Request + IF + Wait loop (wall time and status calls).
 */
import type { IRun } from 'n8n-workflow';

import type { N8nInstance } from '../../e2e/n8nCli';
import type { N8nNode } from './n8nWorkflows';
import {
	doneNode,
	httpRequestNode,
	linearWorkflow,
	outputCount,
	photaCredential,
	runInN8n,
} from './n8nWorkflows';
import type { BenchContext } from './shared';
import { photoUrls } from './shared';
import { seconds } from './table';

export async function measureWait({ sim, rows }: BenchContext, n8n: N8nInstance): Promise<void> {
	const profiles = 10;
	const intervalSeconds = 1;
	// Profile k trains 3 + 0.5·k seconds (real time), split over the three phases.
	const trainingMs = (index: number) => 3_000 + 500 * (index % profiles);
	const longestMs = trainingMs(profiles - 1);
	const people = Array.from({ length: profiles }, (_, index) => ({
		image_urls: photoUrls(10, `https://x.org/person${index}`),
	}));
	const create: N8nNode = {
		name: 'Create',
		type: 'n8n-nodes-phota.phota',
		typeVersion: 1,
		parameters: { resource: 'profile', operation: 'create', imageSource: 'field', options: {} },
		credentials: photaCredential,
	};
	const prepare = () => {
		sim.reset();
		sim.settings.profilePlan = ({ index }) => {
			const total = trainingMs(index);
			return {
				phasesMs: { validating: total * 0.2, queuing: total * 0.2, inProgress: total * 0.6 },
			};
		};
	};
	const statusCalls = () => sim.log.count('GET /profiles/:id/status');
	/** From the first profile created to the end of the run. */
	const waitWall = (run: IRun) =>
		new Date(run.stoppedAt ?? Date.now()).getTime() -
		run.data.resultData.runData.Create[0].startTime;

	prepare();
	const photaRun = await runInN8n(
		n8n,
		linearWorkflow(people, [
			create,
			{
				name: 'Wait for Profile Ready',
				type: 'n8n-nodes-phota.waitForProfileReady',
				typeVersion: 1,
				parameters: { pollIntervalSeconds: intervalSeconds, timeoutMinutes: 5, options: {} },
				credentials: photaCredential,
			},
		]),
	);
	const photaReady = outputCount(photaRun, 'Wait for Profile Ready');
	const photaCalls = statusCalls();

	prepare();
	const loop = linearWorkflow(people, [
		create,
		httpRequestNode('Get Status', {
			method: 'GET',
			url: `=${sim.baseUrl}/profiles/{{ $json.profile_id }}/status`,
			options: {},
		}),
		{
			name: 'Ready?',
			type: 'n8n-nodes-base.if',
			typeVersion: 2,
			parameters: {
				conditions: {
					options: { caseSensitive: true, leftValue: '', typeValidation: 'strict' },
					conditions: [
						{
							leftValue: '={{ $json.status }}',
							rightValue: 'READY',
							operator: { type: 'string', operation: 'equals' },
						},
					],
					combinator: 'and',
				},
				options: {},
			},
		},
	]);
	loop.nodes.push(doneNode, {
		name: 'Wait',
		type: 'n8n-nodes-base.wait',
		typeVersion: 1.1,
		parameters: { amount: intervalSeconds, unit: 'seconds' },
	});
	loop.connections['Ready?'] = {
		main: [[{ node: 'Done', type: 'main', index: 0 }], [{ node: 'Wait', type: 'main', index: 0 }]],
	};
	loop.connections.Wait = { main: [[{ node: 'Get Status', type: 'main', index: 0 }]] };
	const loopRun = await runInN8n(n8n, loop);
	const loopReady = (loopRun.data.resultData.runData.Done ?? []).reduce(
		(sum, task) => sum + (task.data?.main?.[0]?.length ?? 0),
		0,
	);
	const loopCalls = statusCalls();

	const photaWall = waitWall(photaRun);
	const loopWall = waitWall(loopRun);
	const bound = longestMs + intervalSeconds * 1000;
	rows.push({
		measure: `3. wait for ${profiles} profiles (longest ${seconds(longestMs)}, poll ${intervalSeconds} s), real n8n`,
		phota: `${seconds(photaWall)}, ${photaCalls} status calls, ${photaReady} ready`,
		baseline: `${seconds(loopWall)}, ${loopCalls} status calls, ${loopReady} ready (HTTP+IF+Wait loop)`,
		ratio: `${(photaWall / bound).toFixed(2)}× (longest + interval)`,
		target: '≤ 1.10×',
		met: photaWall / bound <= 1.1 && photaReady === profiles,
	});
}
