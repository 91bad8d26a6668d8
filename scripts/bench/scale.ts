/**
 * Section 7 of `npm run bench` (--only=scale): memory of a campaign in real n8n. A Generate of 4 ×
 * 24 MB images per item, *Parallel Requests* 5, filesystem binary data, run with `n8n execute`; the
 * process's peak resident memory (VmHWM, written at exit by peakRss.js) with the images delivered
 * as bytes, against the same run with URLs only (no image passes through n8n). The difference is
 * what the images cost n8n; it is compared with 5 answers' image bytes (what is in flight at once)
 * and measured at 10 and 40 items to show it does not grow with the batch.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

import type { IRun } from 'n8n-workflow';

import type { N8nInstance } from '../../e2e/n8nCli';
import type { N8nNode } from './n8nWorkflows';
import { linearWorkflow, photaNode, runInN8n } from './n8nWorkflows';
import type { BenchContext } from './shared';
import { readyProfile } from './shared';
import { megabytes } from './table';

const IMAGE_BYTES = 24 * 1024 * 1024;
const IMAGES_PER_ITEM = 4;
const PARALLEL_REQUESTS = 5;

function generateNode(delivery: 'binary' | 'urls'): N8nNode {
	return photaNode({
		resource: 'image',
		operation: 'generate',
		prompt: '=Campaign shot {{ $json.shot }} of [[{{ $json.profile_id }}]]',
		options: {
			numberOfImages: IMAGES_PER_ITEM,
			resolution: '4K',
			delivery,
			parallelRequests: PARALLEL_REQUESTS,
		},
	});
}

interface ScaleRun {
	peakBytes: number;
	/** Output images whose binary is in n8n's store with the full size. */
	imagesStored: number;
	outputs: number;
	/** POST /generate requests the simulator processed (charged), and distinct prompts among them. */
	paid: number;
	paidPrompts: number;
	failed: boolean;
}

async function runOnce(
	context: BenchContext,
	n8n: N8nInstance,
	profileId: string,
	items: number,
	delivery: 'binary' | 'urls',
): Promise<ScaleRun> {
	const { sim } = context;
	sim.log.clear();
	const peakFile = path.join(n8n.userFolder, `peak-rss-${delivery}-${items}.jsonl`);
	rmSync(peakFile, { force: true });
	const nodeOptions = n8n.env.NODE_OPTIONS;
	n8n.env.PHOTA_PEAK_RSS_FILE = peakFile;
	n8n.env.NODE_OPTIONS = `${nodeOptions ?? ''} --require ${path.join(__dirname, 'peakRss.js')}`;
	let run: IRun;
	try {
		const elements = Array.from({ length: items }, (_, shot) => ({ shot, profile_id: profileId }));
		run = await runInN8n(n8n, linearWorkflow(elements, [generateNode(delivery)]));
	} finally {
		n8n.env.NODE_OPTIONS = nodeOptions;
		delete n8n.env.PHOTA_PEAK_RSS_FILE;
	}
	const lines = readFileSync(peakFile, 'utf8').trim().split('\n');
	const execute = lines
		.map((line) => JSON.parse(line) as { argv: string[]; peakBytes: number })
		.find((entry) => entry.argv.includes('execute'));
	if (!execute) throw new Error(`no peak memory of the n8n execute process in ${peakFile}`);
	const output = run.data.resultData.runData.Phota?.[0]?.data?.main?.[0] ?? [];
	const processed = sim.log.forRoute('POST /generate').filter((entry) => entry.processed);
	return {
		peakBytes: execute.peakBytes,
		imagesStored: output.filter(
			(item) => item.binary?.data?.id && Number(item.binary.data.bytes) === IMAGE_BYTES,
		).length,
		outputs: output.length,
		paid: processed.length,
		paidPrompts: new Set(processed.map((entry) => (entry.body as { prompt?: string }).prompt)).size,
		failed: Boolean(run.data.resultData.error),
	};
}

export async function measureScale(context: BenchContext, n8n: N8nInstance): Promise<void> {
	const { sim, quick, rows } = context;
	sim.reset();
	const profileId = await readyProfile(sim);
	sim.settings.outputBytes = { '1K': 0, '2K': 0, '4K': IMAGE_BYTES };
	const inFlightBytes = PARALLEL_REQUESTS * IMAGES_PER_ITEM * IMAGE_BYTES;
	for (const items of quick ? [10] : [10, 40]) {
		const urls = await runOnce(context, n8n, profileId, items, 'urls');
		const bytes = await runOnce(context, n8n, profileId, items, 'binary');
		const added = bytes.peakBytes - urls.peakBytes;
		const allDone =
			!bytes.failed &&
			bytes.imagesStored === items * IMAGES_PER_ITEM &&
			bytes.paid === items &&
			bytes.paidPrompts === items;
		rows.push({
			measure: `7. ${items} × Generate of 4 × 24 MB images, Parallel Requests 5, real n8n, filesystem binary data: peak RSS added by bytes delivery`,
			phota: `+${megabytes(added)} (${megabytes(bytes.peakBytes)} vs ${megabytes(urls.peakBytes)} with URLs only); ${bytes.imagesStored}/${items * IMAGES_PER_ITEM} images stored, ${bytes.paid} paid for ${bytes.paidPrompts} prompts`,
			baseline: `${megabytes(inFlightBytes)}: 5 answers' image bytes`,
			ratio: `${(added / inFlightBytes).toFixed(2)}× of 5 answers`,
			target: '≤ 0.5×, every image stored, each item paid once',
			met: allDone && added / inFlightBytes <= 0.5,
		});
	}
}
