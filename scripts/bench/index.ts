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
 *     HTTP Request node against the same limit.
 *  6. Long jobs in real n8n: Generate sync vs Async Job → wait here at 2–6 s latency, and the Phota
 *     Trigger's time from a job's end to its execution's start.
 *  7. Memory of a campaign in real n8n: 10 and 40 Generate items of 4 × 24 MB images, bytes vs URLs;
 *     7b. an Edit of 10 × 20 MB input images.
 *  8. Where n8n's in-memory binary data mode stops coping with a run's images.
 *
 * Each section is a file here (overhead.ts, batch.ts, wait.ts, memory.ts, rateLimit.ts, async.ts,
 * scale.ts for 7 and 7b, inMemory.ts);
 * `--only=<section>[,<section>…]` runs some of them and `--quick` runs fewer rounds.
 */
import { cpus, totalmem } from 'node:os';

import type { N8nInstance } from '../../e2e/n8nCli';
import { removeN8n } from '../../e2e/n8nCli';
import { startSimulator } from '../../simulator';
import { failUnlessInterrupted, handleInterrupts } from '../../processes';
import { measureAsync } from './async';
import { measureBatch } from './batch';
import { measureMemory } from './memory';
import { startBenchN8n } from './n8nWorkflows';
import { measureOverhead } from './overhead';
import { measureRateLimit } from './rateLimit';
import { measureInMemoryMode } from './inMemory';
import { measureEditInputs, measureScale } from './scale';
import type { BenchContext } from './shared';
import { API_KEY } from './shared';
import { megabytes, printTable } from './table';
import { measureWait } from './wait';

const quick = process.argv.includes('--quick');
/** `--only=overhead,memory,batch,wait,ratelimit,async,scale,inputs,inmemory` runs some of the measurements. */
const only = process.argv
	.find((argument) => argument.startsWith('--only='))
	?.slice('--only='.length)
	.split(',');
const wanted = (section: string) => !only || only.includes(section);

/** The sections that run in the bench's real n8n, in order (numbered as in BENCHMARKS.md). */
const REAL_N8N_SECTIONS: Array<{
	key: string;
	label: string;
	measure: (context: BenchContext, n8n: N8nInstance) => Promise<void>;
}> = [
	{ key: 'batch', label: '2. 50 edits in real n8n', measure: measureBatch },
	{ key: 'wait', label: '3. waiting for 10 profiles in real n8n', measure: measureWait },
	{
		key: 'ratelimit',
		label: '5. edits against a rate limit in real n8n (scripts/bench/rateLimit.ts)',
		measure: async ({ sim, quick, rows }, n8n) => {
			rows.push(...(await measureRateLimit(sim, n8n, quick ? 1 : 5)));
		},
	},
	{
		key: 'async',
		label: '6. long jobs in real n8n: sync vs wait here, and the Phota Trigger',
		measure: measureAsync,
	},
	{
		key: 'scale',
		label: '7. memory of a campaign of 4K images in real n8n (10 and 40 items)',
		measure: measureScale,
	},
	{
		key: 'inputs',
		label: '7b. memory of an Edit of 10 × 20 MB input images in real n8n',
		measure: measureEditInputs,
	},
	{
		key: 'inmemory',
		label: '8. where in-memory binary data mode stops coping, in real n8n',
		measure: measureInMemoryMode,
	},
];

async function main() {
	const cpu = cpus();
	console.log(
		`machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${megabytes(totalmem())} RAM, Node ${process.version}, ${process.platform}`,
	);
	const sim = await startSimulator({ apiKeys: [API_KEY] });
	const context: BenchContext = { sim, quick, rows: [] };
	const { rows } = context;
	let n8n: N8nInstance | undefined;
	try {
		if (wanted('overhead')) {
			console.log('1. overhead per request...');
			await measureOverhead(context);
		}
		if (wanted('memory')) {
			console.log('4. peak memory (child processes)...');
			await measureMemory(context);
		}
		const inRealN8n = REAL_N8N_SECTIONS.filter((section) => wanted(section.key));
		if (inRealN8n.length) {
			console.log(
				'starting real n8n (packing the package, installing it into a fresh n8n user folder)...',
			);
			n8n = await startBenchN8n(sim);
			for (const section of inRealN8n) {
				console.log(`${section.label}...`);
				await section.measure(context, n8n);
			}
		}
	} finally {
		printTable(rows);
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
