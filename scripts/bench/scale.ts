/**
 * Section 7 of `npm run bench` (--only=scale): memory of a campaign in real n8n. A Generate of 4 ×
 * 24 MB images per item, *Parallel Requests* 5, filesystem binary data, run with `n8n execute`; the
 * process's peak resident memory (VmHWM, written at exit by peakRss.js) with the images delivered
 * as bytes, against the same run with URLs only (no image passes through n8n). The difference is
 * what the images cost n8n; it is compared with 5 answers' image bytes (what is in flight at once)
 * and measured at 10 and 40 items to show it does not grow with the batch. Then the inputs: an
 * Edit of 10 PNG files of 20 MB each, read from disk into n8n's binary store, against the same
 * workflow without the Phota node.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { IRun } from 'n8n-workflow';

import type { N8nInstance } from '../../e2e/n8nCli';
import { makePng } from '../../simulator';
import type { N8nNode } from './n8nWorkflows';
import type { BenchWorkflow } from './n8nWorkflows';
import { doneNode, linearWorkflow, photaNode, runInN8n } from './n8nWorkflows';
import type { BenchContext } from './shared';
import { readyProfile } from './shared';
import { megabytes } from './table';

const IMAGE_BYTES = 24 * 1024 * 1024;
const IMAGES_PER_ITEM = 4;
const PARALLEL_REQUESTS = 5;

export function generateNode(delivery: 'binary' | 'urls'): N8nNode {
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

/**
 * Runs `run` (an `n8n execute` of this n8n) with peakRss.js preloaded, and reads the peak resident
 * memory of the n8n execute process.
 */
export async function withPeakRss<R>(
	n8n: N8nInstance,
	label: string,
	run: () => Promise<R>,
): Promise<{ result: R; peakBytes: number }> {
	const peakFile = path.join(n8n.userFolder, `peak-rss-${label}.jsonl`);
	rmSync(peakFile, { force: true });
	const nodeOptions = n8n.env.NODE_OPTIONS;
	n8n.env.PHOTA_PEAK_RSS_FILE = peakFile;
	n8n.env.NODE_OPTIONS = `${nodeOptions ?? ''} --require ${path.join(__dirname, 'peakRss.js')}`;
	try {
		const result = await run();
		const execute = readFileSync(peakFile, 'utf8')
			.trim()
			.split('\n')
			.map((line) => JSON.parse(line) as { argv: string[]; peakBytes: number })
			.find((entry) => entry.argv.includes('execute'));
		if (!execute) throw new Error(`no peak memory of the n8n execute process in ${peakFile}`);
		return { result, peakBytes: execute.peakBytes };
	} finally {
		n8n.env.NODE_OPTIONS = nodeOptions;
		delete n8n.env.PHOTA_PEAK_RSS_FILE;
	}
}

/** Runs the workflow with `n8n execute` and reads that process's peak resident memory. */
async function runWithPeak(
	n8n: N8nInstance,
	workflow: BenchWorkflow,
	label: string,
): Promise<{ run: IRun; peakBytes: number }> {
	const { result: run, peakBytes } = await withPeakRss(
		n8n,
		label,
		async () => await runInN8n(n8n, workflow),
	);
	return { run, peakBytes };
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
	const elements = Array.from({ length: items }, (_, shot) => ({ shot, profile_id: profileId }));
	const { run, peakBytes } = await runWithPeak(
		n8n,
		linearWorkflow(elements, [generateNode(delivery)]),
		`${delivery}-${items}`,
	);
	const output = run.data.resultData.runData.Phota?.[0]?.data?.main?.[0] ?? [];
	const processed = sim.log.forRoute('POST /generate').filter((entry) => entry.processed);
	return {
		peakBytes,
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

const INPUT_IMAGES = 10;
const INPUT_BYTES = 20 * 1024 * 1024;

/** Read Files (10 PNGs) → a Code node putting them on one item as photo0…photo9 → `last`. */
function editInputsWorkflow(folder: string, last: N8nNode): BenchWorkflow {
	const nodes: N8nNode[] = [
		{ name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, parameters: {} },
		{
			name: 'Read Files',
			type: 'n8n-nodes-base.readWriteFile',
			typeVersion: 1,
			parameters: { fileSelector: `${folder}/*.png`, options: {} },
		},
		{
			name: 'One Item',
			type: 'n8n-nodes-base.code',
			typeVersion: 2,
			parameters: {
				jsCode:
					'return [{ json: {}, binary: Object.fromEntries($input.all().map((item, index) => ["photo" + index, item.binary.data])) }];',
			},
		},
		last,
	];
	const connections: Record<string, unknown> = {};
	for (let index = 0; index + 1 < nodes.length; index++) {
		connections[nodes[index].name] = {
			main: [[{ node: nodes[index + 1].name, type: 'main', index: 0 }]],
		};
	}
	return { nodes, connections };
}

/** Peak memory an Edit of 10 × 20 MB binary inputs adds to n8n (the request body it sends). */
export async function measureEditInputs(context: BenchContext, n8n: N8nInstance): Promise<void> {
	const { sim, rows } = context;
	sim.reset();
	// n8n reads files only below its own files folder (N8N_RESTRICT_FILE_ACCESS_TO's default).
	const folder = path.join(n8n.userFolder, '.n8n-files', 'edit-inputs');
	mkdirSync(folder, { recursive: true });
	for (let index = 0; index < INPUT_IMAGES; index++) {
		writeFileSync(
			path.join(folder, `photo-${index}.png`),
			makePng(`input-${index}`, 64, INPUT_BYTES),
		);
	}
	const edit = photaNode({
		resource: 'image',
		operation: 'edit',
		binaryProperties: Array.from({ length: INPUT_IMAGES }, (_, index) => `photo${index}`).join(','),
		profiles: { __rl: true, mode: 'id', value: '' },
		prompt: 'Warmer light',
		options: { delivery: 'urls' },
	});
	const without = await runWithPeak(n8n, editInputsWorkflow(folder, doneNode), 'inputs-without');
	const withEdit = await runWithPeak(n8n, editInputsWorkflow(folder, edit), 'inputs-edit');
	const sent = sim.log.forRoute('POST /edit');
	const inputBytes = INPUT_IMAGES * INPUT_BYTES;
	const added = withEdit.peakBytes - without.peakBytes;
	const done = !withEdit.run.data.resultData.error && sent.length === 1 && sent[0].processed;
	sim.log.clear();
	rows.push({
		measure: `7b. Edit of ${INPUT_IMAGES} input images of 20 MB (binary, filesystem mode), real n8n: peak RSS added by the request`,
		phota: `+${megabytes(added)} (${megabytes(withEdit.peakBytes)} vs ${megabytes(without.peakBytes)} without the Phota node); ${done ? 'sent once, processed' : `FAILED: ${withEdit.run.data.resultData.error?.message ?? `${sent.length} sent`}`}`,
		baseline: `${megabytes(inputBytes)} input bytes`,
		ratio: `${(added / inputBytes).toFixed(2)}× input bytes`,
		target: '≤ 0.5× (issue 26)',
		met: done && added / inputBytes <= 0.5,
	});
}
