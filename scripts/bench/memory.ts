/**
 * Section 4 of `npm run bench` (--only=memory): peak memory of a Generate of four 4K images, bytes
 * against URL delivery, relative to the image bytes. Each case runs in a child process of its own
 * (memoryChild.ts) against the simulator in this one.
 */
import path from 'node:path';

import type { PhotaSimulator } from '../../simulator';
import { run } from '../../processes';
import type { BenchContext } from './shared';
import { API_KEY, readyProfile } from './shared';
import { megabytes } from './table';

const ROOT = path.resolve(__dirname, '..', '..');

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
			path.join(__dirname, 'memoryChild.ts'),
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

export async function measureMemory({ sim, quick, rows }: BenchContext): Promise<void> {
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
			// Issue 26's target is for 4K images at their largest (24 MB); smaller ones are for reading.
			const bytesTarget =
				testCase.delivery === 'binary' &&
				testCase.binaryMode === 'filesystem' &&
				megabytesPerImage >= 24;
			// When V8 collects the answer's network chunks moves a peak by several MB from run to run:
			// issue 26's target case runs five times, the downloads (whose growth is checked) three.
			const repeats = bytesTarget ? 5 : testCase.delivery === 'urlsThenBinary' ? 3 : 1;
			const runs = quick ? 1 : repeats;
			const measured: Array<{ peakAddedBytes: number; outputs: number }> = [];
			for (let run = 0; run < runs; run++) {
				const { delivery, binaryMode } = testCase;
				measured.push(await measureMemoryOnce(sim, profileId, delivery, binaryMode));
			}
			const peaksOfRuns = measured.map((one) => one.peakAddedBytes).sort((a, b) => a - b);
			const peak = peaksOfRuns[Math.floor(runs / 2)];
			peaks.set(testCase.label, [...(peaks.get(testCase.label) ?? []), peak]);
			const ratio = peak / imageBytes;
			const outputs = measured.map((one) => one.outputs).join(', ');
			const spread =
				runs > 1
					? `, median of ${runs} runs (${peaksOfRuns.map((bytes) => (bytes / imageBytes).toFixed(2)).join(', ')})`
					: '';
			rows.push({
				measure: `4. peak memory, 4 × ${megabytesPerImage} MB 4K images: ${testCase.label}`,
				phota: `+${megabytes(peak)} RSS (${outputs} outputs)`,
				baseline: `${megabytes(imageBytes)} image bytes`,
				ratio: `${ratio.toFixed(2)}× image bytes${spread}`,
				target: bytesTarget ? '≤ 0.6× (issue 26)' : 'info',
				met: bytesTarget ? ratio <= 0.6 : true,
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
