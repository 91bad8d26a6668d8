/**
 * n8n's in-memory binary data mode keeps every file in the execution as base64; past a few hundred
 * MB n8n cannot save the execution (BENCHMARKS.md, section 8). The node warns once in the output
 * pane when a run's files held that way pass 100 MB, and says nothing below it or when n8n stores
 * files elsewhere.
 */
import { usePhotaEnvironment } from './harness/environment';
import type { RunResult } from './harness/n8n';
import { NO_PROFILES } from './harness/workflow';

const env = usePhotaEnvironment({ binaryMode: 'default' });

const generate = {
	resource: 'image',
	operation: 'generate',
	profiles: NO_PROFILES,
	prompt: 'A studio portrait',
	options: { numberOfImages: 4, resolution: '4K', delivery: 'binary' },
};

function memoryWarnings(result: RunResult): string[] {
	return (result.run.data.resultData.runData.Phota[0].hints ?? [])
		.map((hint) => hint.message)
		.filter((message) => message.includes("kept in n8n's memory"));
}

test('4 × 52 MB images in memory: one warning naming the size and both fixes', async () => {
	env.sim.settings.outputBytes = { '1K': 0, '2K': 0, '4K': 52 * 1024 * 1024 };
	const result = await env.runPhota([{ json: {} }], generate);

	expect(result.output('Phota')).toHaveLength(4);
	expect(memoryWarnings(result)).toEqual([
		expect.stringMatching(
			/^This run's 208 MB of images are kept in n8n's memory .*N8N_DEFAULT_BINARY_DATA_MODE=filesystem.*Download URLs Only\.$/,
		),
	]);
}, 60_000);

test('4 × 8 MB images in memory: no warning', async () => {
	env.sim.settings.outputBytes = { '1K': 0, '2K': 0, '4K': 8 * 1024 * 1024 };
	const result = await env.runPhota([{ json: {} }], generate);

	expect(result.output('Phota')).toHaveLength(4);
	expect(memoryWarnings(result)).toEqual([]);
});
