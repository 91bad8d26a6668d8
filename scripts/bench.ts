/**
 * `npm run bench`: the package against the do-it-yourself way, side by side in one run against
 * the local simulator, printed as ratios with the raw figures (see BENCHMARKS.md for results).
 *
 *  1. Overhead per request: Phota node (Get Status, one at a time) vs bare round trips of the same
 *     request through n8n's own HTTP helper and through undici, at zero simulated latency.
 *  2. 50 edits at 500 ms simulated latency in real n8n: Phota node vs the HTTP Request node
 *     sending items one by one (batch size 1), plus the HTTP Request node's default (all at once)
 *     against a rate limit.
 *  3. Waiting for 10 concurrently training profiles in real n8n: Wait for Profile Ready vs an
 *     HTTP Request + IF + Wait loop (wall time and status calls).
 *  4. Peak memory of a Generate of four 4K images, bytes vs URL delivery, relative to image bytes.
 *  5. Edits against an account rate limit in real n8n, against the ideal time and paid once; the
 *     HTTP Request node against the same limit (scripts/benchRateLimit.ts).
 */
import { cpus, totalmem } from 'node:os';
import path from 'node:path';

import { httpRequest } from 'n8n-core/dist/execution-engine/node-execution-context/utils/request-helper-functions';
import type { IRun } from 'n8n-workflow';
import { request } from 'undici';

import { createN8n, importCredential, packPackage, removeN8n, removePackage } from '../e2e/n8nCli';
import type { N8nInstance } from '../e2e/n8nCli';
import type { N8nNode, Row } from './benchShared';
import {
	API_KEY,
	headerCredential,
	diyEditNode,
	httpRequestNode,
	linearWorkflow,
	nodeTime,
	outputCount,
	photaCredential,
	photaEditNode,
	photoUrls,
	readyProfile,
	runInN8n,
	seconds,
} from './benchShared';
import { measureRateLimit } from './benchRateLimit';
import { failUnlessInterrupted, handleInterrupts, run } from './lifecycle';
import { N8nHarness } from '../test/harness/n8n';
import {
	authenticatedGetNode,
	chain,
	fixtureNode,
	photaCredentials,
	photaNode,
} from '../test/harness/workflow';
import type { PhotaSimulator } from '../simulator';
import { startSimulator } from '../simulator';

const ROOT = path.resolve(__dirname, '..');
const quick = process.argv.includes('--quick');
/** `--only=overhead,memory,batch,wait,ratelimit` runs some of the measurements. */
const only = process.argv
	.find((argument) => argument.startsWith('--only='))
	?.slice('--only='.length)
	.split(',');
const wanted = (section: string) => !only || only.includes(section);

const rows: Row[] = [];

function megabytes(bytes: number): string {
	return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)];
}

// ---------------------------------------------------------------- 1. overhead per request

async function measureOverhead(sim: PhotaSimulator) {
	const requests = quick ? 100 : 300;
	const profileId = await readyProfile(sim);
	const url = `${sim.baseUrl}/profiles/${profileId}/status`;
	const n8n = await N8nHarness.start();
	const credentials = photaCredentials(sim.baseUrl, API_KEY);
	const workflow = chain(
		fixtureNode(Array.from({ length: requests }, () => ({ json: { profile_ids: [profileId] } }))),
		photaNode({
			resource: 'profile',
			operation: 'getStatus',
			options: { parallelRequests: 1 },
		}),
	);

	const nodeRound = async () => {
		const result = await n8n.run(workflow, { credentials });
		if (result.error) throw result.error;
		return result.run.data.resultData.runData.Phota[0].executionTime / requests;
	};
	const minimalWorkflow = chain(
		fixtureNode(Array.from({ length: requests }, () => ({ json: { url } }))),
		authenticatedGetNode('Minimal'),
	);
	const minimalRound = async () => {
		const result = await n8n.run(minimalWorkflow, { credentials });
		if (result.error) throw result.error;
		return result.run.data.resultData.runData.Minimal[0].executionTime / requests;
	};
	const helperRound = async () => {
		const started = performance.now();
		for (let index = 0; index < requests; index++) {
			await httpRequest({ method: 'GET', url, headers: { 'X-API-Key': API_KEY }, json: true });
		}
		return (performance.now() - started) / requests;
	};
	const undiciRound = async () => {
		const started = performance.now();
		for (let index = 0; index < requests; index++) {
			const { body } = await request(url, { headers: { 'x-api-key': API_KEY } });
			await body.json();
		}
		return (performance.now() - started) / requests;
	};

	// Warm up all three (the JIT settles after a few rounds), then alternate so drift hits each
	// equally; report medians.
	for (let round = 0; round < 3; round++) {
		await nodeRound();
		await minimalRound();
		await helperRound();
		await undiciRound();
	}
	const node: number[] = [];
	const minimal: number[] = [];
	const helper: number[] = [];
	const bare: number[] = [];
	for (let round = 0; round < (quick ? 3 : 7); round++) {
		node.push(await nodeRound());
		minimal.push(await minimalRound());
		helper.push(await helperRound());
		bare.push(await undiciRound());
	}
	await N8nHarness.shutdown();

	const perNode = median(node);
	const perMinimal = median(minimal);
	const perHelper = median(helper);
	const perUndici = median(bare);
	const fmt = (ms: number) => `${ms.toFixed(3)} ms`;
	rows.push({
		measure: `1. per request, 0 ms latency (${requests} Get Status, median of rounds)`,
		phota: fmt(perNode),
		baseline: `${fmt(perHelper)} n8n HTTP helper`,
		ratio: `${(perNode / perHelper).toFixed(2)}×`,
		target: '≤ 1.10×',
		met: perNode / perHelper <= 1.1,
	});
	rows.push({
		measure: '   same, against a minimal node (one authenticated GET per item, nothing else)',
		phota: fmt(perNode),
		baseline: `${fmt(perMinimal)} minimal node`,
		ratio: `${(perNode / perMinimal).toFixed(2)}×`,
		target: 'info',
		met: true,
	});
	rows.push({
		measure: '   same, against a raw undici round trip (floor of any HTTP client)',
		phota: fmt(perNode),
		baseline: `${fmt(perUndici)} undici`,
		ratio: `${(perNode / perUndici).toFixed(2)}×`,
		target: 'info',
		met: true,
	});
}

// ---------------------------------------------------------------- 2. 50 edits at 500 ms

async function measureBatch(sim: PhotaSimulator, n8n: N8nInstance) {
	const edits = 50;
	sim.reset();
	sim.settings.latencyMs = { 'POST /edit': 500 };
	// ASSUMPTION (PHOTA_API.md §9.18): no documented limit; ten concurrent requests is a plausible one.
	sim.settings.rateLimit = { maxConcurrent: 10, retryAfterSeconds: 1 };
	const profileId = await readyProfile(sim);
	const elements = Array.from({ length: edits }, (_, shot) => ({ shot, profile_ids: [profileId] }));

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
	loop.nodes.push(diyRequest, {
		name: 'Done',
		type: 'n8n-nodes-base.noOp',
		typeVersion: 1,
		parameters: {},
	});
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

// ---------------------------------------------------------------- 3. wait for 10 profiles

async function measureWait(sim: PhotaSimulator, n8n: N8nInstance) {
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
	loop.nodes.push(
		{ name: 'Done', type: 'n8n-nodes-base.noOp', typeVersion: 1, parameters: {} },
		{
			name: 'Wait',
			type: 'n8n-nodes-base.wait',
			typeVersion: 1.1,
			parameters: { amount: intervalSeconds, unit: 'seconds' },
		},
	);
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

// ---------------------------------------------------------------- 4. peak memory

/** Runs in a child process; asynchronously, because the simulator it calls runs in this one. */
async function measureMemoryOnce(
	sim: PhotaSimulator,
	profileId: string,
	delivery: string,
	binaryMode: string,
): Promise<{ peakAddedBytes: number; outputs: number; wallMs: number }> {
	const { stdout } = await run(
		process.execPath,
		[
			'--expose-gc',
			'-r',
			'ts-node/register/transpile-only',
			path.join(__dirname, 'benchMemory.ts'),
			sim.baseUrl,
			API_KEY,
			delivery,
			binaryMode,
			profileId,
		],
		{ cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
	);
	return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
}

async function measureMemory(sim: PhotaSimulator) {
	sim.reset();
	const profileId = await readyProfile(sim);
	const sizes = quick ? [8] : [8, 24];
	const cases: Array<{ delivery: string; binaryMode: string; label: string }> = [
		{
			delivery: 'binary',
			binaryMode: 'filesystem',
			label: 'bytes, filesystem binary data (n8n 2.x default)',
		},
		{ delivery: 'binary', binaryMode: 'default', label: 'bytes, in-memory binary data' },
		{ delivery: 'urlsThenBinary', binaryMode: 'filesystem', label: 'URLs + download, filesystem' },
		{ delivery: 'urls', binaryMode: 'filesystem', label: 'URLs only' },
	];
	const peaks = new Map<string, number[]>();
	for (const megabytesPerImage of sizes) {
		sim.settings.outputBytes = { '1K': 64 * 1024, '2K': 0, '4K': megabytesPerImage * 1024 * 1024 };
		const imageBytes = 4 * megabytesPerImage * 1024 * 1024;
		for (const testCase of cases) {
			const measured = await measureMemoryOnce(
				sim,
				profileId,
				testCase.delivery,
				testCase.binaryMode,
			);
			peaks.set(testCase.label, [...(peaks.get(testCase.label) ?? []), measured.peakAddedBytes]);
			const ratio = measured.peakAddedBytes / imageBytes;
			const bytesTarget = testCase.delivery === 'binary' && testCase.binaryMode === 'filesystem';
			rows.push({
				measure: `4. peak memory, 4 × ${megabytesPerImage} MB 4K images: ${testCase.label}`,
				phota: `+${megabytes(measured.peakAddedBytes)} RSS (${measured.outputs} outputs)`,
				baseline: `${megabytes(imageBytes)} image bytes`,
				ratio: `${ratio.toFixed(2)}× image bytes`,
				target: bytesTarget ? '≤ 2.5×' : 'info',
				met: bytesTarget ? ratio <= 2.5 : true,
			});
		}
	}
	if (sizes.length > 1) {
		for (const label of ['URLs + download, filesystem', 'URLs only']) {
			const [small, large] = peaks.get(label) ?? [0, 0];
			const growth = large - small;
			const imageGrowth = 4 * (sizes[1] - sizes[0]) * 1024 * 1024;
			rows.push({
				measure: `   ${label}: growth from ${sizes[0]} MB to ${sizes[1]} MB images`,
				phota: `${growth >= 0 ? '+' : ''}${megabytes(growth)}`,
				baseline: `+${megabytes(imageGrowth)} image bytes`,
				ratio: `${(growth / imageGrowth).toFixed(2)}× of the growth`,
				target: 'does not grow (≤ 0.10×)',
				met: growth / imageGrowth <= 0.1,
			});
		}
	}
}

// ---------------------------------------------------------------- main

function printTable() {
	const headers: Array<keyof Row> = ['measure', 'phota', 'baseline', 'ratio', 'target'];
	const widths = headers.map((header) =>
		Math.max(header.length, ...rows.map((row) => String(row[header]).length)),
	);
	const line = (cells: string[]) =>
		cells.map((cell, index) => cell.padEnd(widths[index])).join(' | ');
	console.log(`\n${line(headers)} | met`);
	console.log(widths.map((width) => '-'.repeat(width)).join('-|-') + '-|----');
	for (const row of rows) {
		console.log(
			`${line(headers.map((header) => String(row[header])))} | ${row.target === 'info' ? '' : row.met ? 'yes' : 'NO'}`,
		);
	}
}

async function main() {
	const cpu = cpus();
	console.log(
		`machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${megabytes(totalmem())} RAM, Node ${process.version}, ${process.platform}`,
	);
	const sim = await startSimulator({ apiKeys: [API_KEY] });
	let n8n: N8nInstance | undefined;
	try {
		if (wanted('overhead')) {
			console.log('1/5 overhead per request...');
			await measureOverhead(sim);
		}
		if (wanted('memory')) {
			console.log('4/5 peak memory (child processes)...');
			await measureMemory(sim);
		}
		if (wanted('batch') || wanted('wait') || wanted('ratelimit')) {
			console.log(
				'starting real n8n (packing the package, installing it into a fresh n8n user folder)...',
			);
			const tarball = await packPackage();
			n8n = await createN8n(tarball, { binaryMode: 'filesystem' }).finally(() =>
				removePackage(tarball),
			);
			await importCredential(n8n, {
				id: photaCredential.photaApi.id,
				name: 'Phota',
				type: 'photaApi',
				data: { apiKey: API_KEY, baseUrl: sim.baseUrl },
			});
			await importCredential(n8n, {
				id: headerCredential.httpHeaderAuth.id,
				name: 'Phota header',
				type: 'httpHeaderAuth',
				data: { name: 'X-API-Key', value: API_KEY },
			});
		}
		if (n8n && wanted('batch')) {
			console.log('2/5 50 edits in real n8n...');
			await measureBatch(sim, n8n);
		}
		if (n8n && wanted('wait')) {
			console.log('3/5 waiting for 10 profiles in real n8n...');
			await measureWait(sim, n8n);
		}
		if (n8n && wanted('ratelimit')) {
			console.log('5/5 edits against a rate limit in real n8n (scripts/benchRateLimit.ts)...');
			rows.push(...(await measureRateLimit(sim, n8n, quick ? 1 : 3)));
		}
	} finally {
		printTable();
		if (n8n) removeN8n(n8n);
		await sim.close();
	}
	const missed = rows.filter((row) => row.target !== 'info' && !row.met);
	console.log(missed.length ? `\n${missed.length} target(s) missed` : '\nall targets met');
}

handleInterrupts();
main().catch((error: unknown) =>
	failUnlessInterrupted(error instanceof Error ? (error.stack ?? error.message) : String(error)),
);
