/**
 * One memory measurement, in its own process so nothing else shares the heap: runs a Generate of
 * four 4K images through the built Phota node (in-process n8n, see test/harness) against a
 * simulator that runs in the parent process, and prints the peak resident memory it added.
 *
 * Usage: ts-node scripts/bench/memoryChild.ts <baseUrl> <apiKey> <delivery> <binaryMode> <profileId>
 */
import { readFileSync, writeFileSync } from 'node:fs';

import { N8nHarness } from '../../test/harness/n8n';
import { chain, fixtureNode, photaCredentials, photaNode } from '../../test/harness/workflow';

const [baseUrl, apiKey, delivery, binaryMode, profileId] = process.argv.slice(2);

function generate(resolution: string) {
	return chain(
		fixtureNode([{ json: { profile_ids: [profileId] } }]),
		photaNode({
			resource: 'image',
			operation: 'generate',
			prompt: 'Portrait of [[profile]]',
			options: { numberOfImages: 4, resolution, delivery },
		}),
	);
}

function collectGarbage() {
	const gc = (globalThis as { gc?: () => void }).gc;
	if (!gc) throw new Error('run with node --expose-gc');
	gc();
	gc();
}

/**
 * Starts measuring peak resident memory from now: Linux resets the process's high-water mark
 * (VmHWM) when "5" is written to /proc/self/clear_refs. Returns the resident memory at the start.
 */
function startPeakWindow(): number {
	writeFileSync('/proc/self/clear_refs', '5');
	return procStatusBytes('VmRSS');
}

function peakSinceWindowStart(): number {
	return procStatusBytes('VmHWM');
}

function procStatusBytes(field: 'VmRSS' | 'VmHWM'): number {
	const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
		readFileSync('/proc/self/status', 'utf8'),
	);
	if (!match)
		throw new Error(`/proc/self/status has no ${field} (the memory benchmark needs Linux)`);
	return Number(match[1]) * 1024;
}

async function main() {
	const n8n = await N8nHarness.start({ binaryMode: binaryMode as 'default' | 'filesystem' });
	const credentials = photaCredentials(baseUrl, apiKey);

	// Warm-up on small 1K images: loads and compiles every code path before the baseline.
	const warmUp = await n8n.run(generate('1K'), { credentials });
	if (warmUp.error) throw warmUp.error;
	collectGarbage();
	const baselineRss = startPeakWindow();

	const started = Date.now();
	const result = await n8n.run(generate('4K'), { credentials });
	const wallMs = Date.now() - started;
	if (result.error) throw result.error;
	const items = result.output('Phota');
	const imageBytes = items.reduce((sum, item) => sum + Number(item.binary?.data?.bytes ?? 0), 0);
	const peakRss = peakSinceWindowStart();

	await N8nHarness.shutdown();
	process.stdout.write(
		`${JSON.stringify({
			outputs: items.length,
			imageBytes,
			peakAddedBytes: Math.max(0, peakRss - baselineRss),
			wallMs,
		})}\n`,
	);
}

main().then(
	() => process.exit(0),
	(error: unknown) => {
		console.error(error);
		process.exit(1);
	},
);
