/**
 * A/B of two checkouts of this package in real n8n (`n8n execute`), with their runs interleaved
 * (A B, B A, A B, …) so drift and other load on the machine hit both alike:
 *
 *  probe  300 × Profile → Get Status, one at a time (Parallel Requests 1), 0 ms simulated latency:
 *         the node's executionTime ÷ 300, in ms per request;
 *  cpu    CPU time (user + system, all threads; from /usr/bin/time) of `n8n execute` with 1000
 *         of those Get Status calls minus the same with 1: CPU ms per request, which other load on
 *         the machine disturbs far less than wall time;
 *  5c     200 edits, simulator limit 5 concurrent (Retry-After 1 s), default Parallel Requests,
 *         each edit 100–200 ms: the node's executionTime ÷ the ideal 6 s (as `npm run bench
 *         -- --only=ratelimit` measures it).
 *
 *   ts-node --transpile-only scripts/bench/ab.ts --a=<checkout> --b=<checkout> [--rounds=5] [--only=probe,cpu,5c]
 *
 * Each checkout must be built (`npm run build`); each is packed and installed into its own fresh
 * n8n user folder, against one simulator in this process.
 */
import { loadavg } from 'node:os';
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { createN8n, executeWorkflow, importCredential, removeN8n } from '../../e2e/n8nCli';
import type { N8nInstance } from '../../e2e/n8nCli';
import type { BenchWorkflow } from './n8nWorkflows';
import {
	importBenchWorkflow,
	linearWorkflow,
	nodeTime,
	outputCount,
	photaCredential,
	photaEditNode,
} from './n8nWorkflows';
import { API_KEY, readyProfile } from './shared';
import {
	failUnlessInterrupted,
	handleInterrupts,
	makeTempDir,
	removeTempDir,
	run,
} from '../../processes';
import { startSimulator } from '../../simulator';

const argument = (name: string) =>
	process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const checkouts = { A: argument('a'), B: argument('b') };
const rounds = Number(argument('rounds') ?? 5);
const only = argument('only')?.split(',') ?? ['probe', 'cpu', '5c'];
const CPU_REQUESTS = 1000;
const PROBE_REQUESTS = 300;
const EDITS = 200;
const LIMIT = 5;
const IDEAL_MS = (EDITS / LIMIT) * 150;

function median(values: number[]): number {
	const sorted = [...values].sort((one, other) => one - other);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const load = () =>
	loadavg()
		.map((value) => value.toFixed(2))
		.join(' ');

async function main() {
	if (!checkouts.A || !checkouts.B) throw new Error('usage: --a=<checkout> --b=<checkout>');
	const sim = await startSimulator({ apiKeys: [API_KEY] });
	const packs = makeTempDir('phota-ab-pack-');
	const instances: Record<string, N8nInstance> = {};
	// Runs node under /usr/bin/time, which appends "user system" seconds to $PHOTA_TIMES_FILE.
	const timedNode = path.join(packs, 'timed-node.sh');
	writeFileSync(
		timedNode,
		`#!/bin/sh\nexec /usr/bin/time -f "%U %S" -a -o "$PHOTA_TIMES_FILE" "${process.execPath}" "$@"\n`,
	);
	chmodSync(timedNode, 0o755);
	if (only.includes('cpu') && !existsSync('/usr/bin/time'))
		throw new Error('the cpu section needs /usr/bin/time');
	try {
		const profileId = await readyProfile(sim);
		const workflows: Record<string, Record<string, string>> = {};
		for (const [label, checkout] of Object.entries(checkouts)) {
			const destination = path.join(packs, label);
			await run('mkdir', ['-p', destination]);
			await run('npm', ['pack', '--pack-destination', destination], { cwd: checkout });
			const tarball = path.join(destination, readdirSync(destination)[0]);
			const n8n = await createN8n(tarball, { binaryMode: 'filesystem' });
			n8n.env.PHOTA_TIMES_FILE = path.join(packs, `times-${label}.txt`);
			instances[label] = n8n;
			await importCredential(n8n, {
				id: photaCredential.photaApi.id,
				name: 'Phota',
				type: 'photaApi',
				data: { apiKey: API_KEY, baseUrl: sim.baseUrl },
			});
			const statuses = (count: number): BenchWorkflow =>
				linearWorkflow(
					Array.from({ length: count }, () => ({ profile_ids: [profileId] })),
					[
						{
							name: 'Phota',
							type: 'n8n-nodes-phota.phota',
							typeVersion: 1,
							parameters: {
								resource: 'profile',
								operation: 'getStatus',
								options: { parallelRequests: 1 },
							},
							credentials: photaCredential,
						},
					],
				);
			const edits = linearWorkflow(
				Array.from({ length: EDITS }, (_, shot) => ({ shot, profile_ids: [profileId] })),
				[photaEditNode(`=Put [[profile]] in a studio portrait, ${label}, shot {{ $json.shot }}`)],
			);
			workflows[label] = {
				probe: await importBenchWorkflow(n8n, statuses(PROBE_REQUESTS)),
				cpu1: await importBenchWorkflow(n8n, statuses(1)),
				cpuMany: await importBenchWorkflow(n8n, statuses(CPU_REQUESTS)),
				'5c': await importBenchWorkflow(n8n, edits),
			};
		}

		const results: Record<string, Record<string, number[]>> = {
			probe: { A: [], B: [] },
			cpu: { A: [], B: [] },
			'5c': { A: [], B: [] },
		};
		console.log(`load average before: ${load()}`);
		for (let round = 0; round < rounds; round++) {
			const order = round % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
			for (const section of only) {
				for (const label of order) {
					sim.log.clear();
					if (section === 'cpu') {
						sim.settings.latencyMs = 0;
						sim.settings.rateLimit = undefined;
						const timed = { ...instances[label], nodeBinary: timedNode };
						const cpuSeconds = async (workflow: string) => {
							await executeWorkflow(timed, workflows[label][workflow]);
							const lines = readFileSync(timed.env.PHOTA_TIMES_FILE!, 'utf8').trim().split('\n');
							const [user, system] = lines[lines.length - 1].split(' ').map(Number);
							return user + system;
						};
						const one = await cpuSeconds('cpu1');
						const many = await cpuSeconds('cpuMany');
						const value = ((many - one) * 1000) / (CPU_REQUESTS - 1);
						results.cpu[label].push(value);
						console.log(
							`round ${round + 1} cpu ${label}: ${value.toFixed(3)} CPU ms/request (${one.toFixed(2)} s with 1, ${many.toFixed(2)} s with ${CPU_REQUESTS}; load ${load()})`,
						);
						continue;
					}
					if (section === 'probe') {
						sim.settings.latencyMs = 0;
						sim.settings.rateLimit = undefined;
					} else {
						sim.settings.latencyMs = { 'POST /edit': { min: 100, max: 200, spread: 'even' } };
						sim.settings.rateLimit = { maxConcurrent: LIMIT, retryAfterSeconds: 1 };
					}
					const result = await executeWorkflow(instances[label], workflows[label][section]);
					const done = outputCount(result, 'Phota');
					const expected = section === 'probe' ? PROBE_REQUESTS : EDITS;
					if (done !== expected || result.data.resultData.error)
						throw new Error(`${section} ${label}: ${done}/${expected} items`);
					const ms = nodeTime(result, 'Phota');
					const value = section === 'probe' ? ms / PROBE_REQUESTS : ms / IDEAL_MS;
					results[section][label].push(value);
					const limited = sim.log.entries.filter((entry) => entry.status === 429).length;
					console.log(
						`round ${round + 1} ${section} ${label}: ${section === 'probe' ? `${value.toFixed(3)} ms/request` : `${(ms / 1000).toFixed(2)} s = ${value.toFixed(3)}× ideal, ${limited}×429`} (load ${load()})`,
					);
				}
			}
		}
		console.log(`load average after: ${load()}`);
		for (const section of only) {
			for (const label of ['A', 'B']) {
				const values = results[section][label];
				console.log(
					`${section} ${label} (${checkouts[label as 'A' | 'B']}): median ${median(values).toFixed(3)}${section === '5c' ? '× ideal' : section === 'cpu' ? ' CPU ms/request' : ' ms/request'}; runs ${values.map((value) => value.toFixed(3)).join(', ')}`,
				);
			}
		}
	} finally {
		for (const n8n of Object.values(instances)) removeN8n(n8n);
		removeTempDir(packs);
		await sim.close();
	}
}

handleInterrupts();
main().catch((error: unknown) =>
	failUnlessInterrupted(error instanceof Error ? (error.stack ?? error.message) : String(error)),
);
