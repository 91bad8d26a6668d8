/**
 * Section 8 of `npm run bench` (--only=inmemory): where n8n's in-memory binary data mode
 * (`N8N_DEFAULT_BINARY_DATA_MODE=default`) stops coping with a run's images. The same Generate as
 * section 7 (4 × 24 MB images per item, bytes delivery) with 1, 2, 3, 4… items, in the bench's real
 * n8n switched to that mode for these runs, until a run fails. `n8n execute` is run without
 * `--rawOutput` (it cannot print hundreds of MB of base64 before it exits); its exit code and log
 * say whether the execution was saved.
 */
import type { N8nInstance } from '../../e2e/n8nCli';
import { n8nCli } from '../../e2e/n8nCli';
import { importBenchWorkflow, linearWorkflow } from './n8nWorkflows';
import { generateNode, withPeakRss } from './scale';
import type { BenchContext } from './shared';
import { readyProfile } from './shared';
import { megabytes } from './table';

const IMAGE_BYTES = 24 * 1024 * 1024;

export async function measureInMemoryMode(context: BenchContext, n8n: N8nInstance): Promise<void> {
	const { sim, rows } = context;
	sim.reset();
	const profileId = await readyProfile(sim);
	sim.settings.outputBytes = { '1K': 0, '2K': 0, '4K': IMAGE_BYTES };
	const mode = n8n.env.N8N_DEFAULT_BINARY_DATA_MODE;
	n8n.env.N8N_DEFAULT_BINARY_DATA_MODE = 'default';
	try {
		for (const items of [1, 2, 3, 4, 6]) {
			const elements = Array.from({ length: items }, (_, shot) => ({
				shot,
				profile_id: profileId,
			}));
			const id = await importBenchWorkflow(n8n, linearWorkflow(elements, [generateNode('binary')]));
			const { result: failure, peakBytes } = await withPeakRss(
				n8n,
				`inmemory-${items}`,
				async () =>
					// n8nCli throws with the output when n8n exits with an error.
					await n8nCli(n8n, ['execute', `--id=${id}`]).then(
						() => undefined,
						(error: unknown) => (error instanceof Error ? error.message : String(error)),
					),
			);
			const imageBytes = items * 4 * IMAGE_BYTES;
			const reason = failure
				? (/RangeError: [^\n]*/.exec(failure)?.[0] ?? failure.split('\n')[0])
				: '';
			rows.push({
				measure: `8. in-memory binary data: ${items} × Generate of 4 × 24 MB images`,
				phota: failure
					? `FAILED (n8n exited with an error): ${reason.slice(0, 160)}`
					: `saved; peak RSS ${megabytes(peakBytes)}`,
				baseline: `${megabytes(imageBytes)} of images`,
				ratio: failure ? '' : `${(peakBytes / imageBytes).toFixed(2)}× image bytes`,
				target: 'info',
				met: true,
			});
			if (failure) break;
		}
	} finally {
		n8n.env.N8N_DEFAULT_BINARY_DATA_MODE = mode;
	}
}
