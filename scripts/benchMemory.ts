/**
 * One memory measurement, in its own process so nothing else shares the heap: runs a Generate of
 * four 4K images through the built Phota node (in-process n8n, see test/harness) against a
 * simulator that runs in the parent process, and prints the peak resident memory it added.
 *
 * Usage: ts-node scripts/benchMemory.ts <baseUrl> <apiKey> <delivery> <binaryMode> <profileId>
 */
import { N8nHarness } from '../test/harness/n8n';
import { chain, fixtureNode, photaCredentials, photaNode } from '../test/harness/workflow';

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

async function main() {
	const n8n = await N8nHarness.start({ binaryMode: binaryMode as 'default' | 'filesystem' });
	const credentials = photaCredentials(baseUrl, apiKey);

	// Warm-up on small 1K images: loads and compiles every code path before the baseline.
	const warmUp = await n8n.run(generate('1K'), { credentials });
	if (warmUp.error) throw warmUp.error;
	collectGarbage();
	const baselineRss = process.memoryUsage().rss;
	const peakBefore = process.resourceUsage().maxRSS * 1024;

	const started = Date.now();
	const result = await n8n.run(generate('4K'), { credentials });
	const wallMs = Date.now() - started;
	if (result.error) throw result.error;
	const items = result.output('Phota');
	const imageBytes = items.reduce((sum, item) => sum + Number(item.binary?.data?.bytes ?? 0), 0);

	const peakAfter = process.resourceUsage().maxRSS * 1024;
	await N8nHarness.shutdown();
	process.stdout.write(
		`${JSON.stringify({
			outputs: items.length,
			imageBytes,
			peakAddedBytes: Math.max(0, peakAfter - baselineRss),
			warmUpPeakAboveBaseline: Math.max(0, peakBefore - baselineRss),
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
