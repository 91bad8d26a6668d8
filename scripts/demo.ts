/**
 * npm run demo: the flagship workflow (reference photos → profile → wait → campaign images) in a
 * real n8n, against the local Phota simulator, or against the real API when PHOTA_API_KEY is set.
 * Writes the generated images to demo-output/ and prints what happened.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { INodeExecutionData, IRun } from 'n8n-workflow';

import { ROOT, executeWorkflow, importWorkflow, removeN8n } from '../e2e/n8nCli';
import { ensureInstalled } from '../prerequisites';
import { failUnlessInterrupted, handleInterrupts } from '../processes';
import { DEMO_TEMP_PREFIX, removeCrashedDemoFolders } from './demoFolders';
import { createN8nWithPackage, importPhotaCredential } from './packedN8n';
import type { PhotaSimulator } from '../simulator';
import { startSimulator } from '../simulator';

// PHOTA_DEMO_OUTPUT: where the images go (the offline end-to-end test keeps the user's demo-output/).
const OUTPUT_DIR = path.resolve(process.env.PHOTA_DEMO_OUTPUT ?? path.join(ROOT, 'demo-output'));
const SIMULATED_TRAINING_SECONDS = 20;

function step(message: string) {
	console.log(`\n▶ ${message}`);
}

function outputOf(run: IRun, nodeName: string, outputIndex = 0): INodeExecutionData[] {
	return run.data.resultData.runData[nodeName]?.[0]?.data?.main?.[outputIndex] ?? [];
}

async function main() {
	const realApiKey = process.env.PHOTA_API_KEY;
	const photoUrls = process.env.PHOTA_PHOTO_URLS?.split(',')
		.map((url) => url.trim())
		.filter(Boolean);
	if (realApiKey && !photoUrls?.length) {
		throw new Error(
			'With PHOTA_API_KEY set, also set PHOTA_PHOTO_URLS to 10–50 comma-separated public URLs of photos of one person.',
		);
	}

	const crashed = removeCrashedDemoFolders();
	if (crashed.length)
		console.log(
			`Removed ${crashed.length} folder${crashed.length === 1 ? '' : 's'} left by a demo that did not finish (its n8n data)`,
		);

	step('Preparing n8n 2.8.4 (installed once into e2e/, a few minutes the first time)');
	await ensureInstalled();

	step('Building and packing n8n-nodes-phota, installing it into a fresh n8n user folder');
	// Its own folder prefix (see demoFolders.ts) and, as every n8n here, an encryption key made for this run.
	const n8n = await createN8nWithPackage({ tempPrefix: DEMO_TEMP_PREFIX });

	let sim: PhotaSimulator | undefined;
	let baseUrl = process.env.PHOTA_BASE_URL ?? 'https://api.photalabs.com/v1/phota';
	let apiKey = realApiKey ?? 'demo-key';
	if (!realApiKey) {
		const trainingMs = SIMULATED_TRAINING_SECONDS * 1000;
		sim = await startSimulator({
			apiKeys: [apiKey],
			trainingPhasesMs: {
				validating: trainingMs * 0.15,
				queuing: trainingMs * 0.15,
				inProgress: trainingMs * 0.7,
			},
		});
		baseUrl = sim.baseUrl;
		apiKey = 'demo-key';
		step(
			`Local Phota simulator on ${baseUrl} (profiles train in ${SIMULATED_TRAINING_SECONDS} s; set PHOTA_API_KEY to use the real API)`,
		);
	} else {
		step(`Using the real Phota API at ${baseUrl}`);
	}

	try {
		await importPhotaCredential(n8n, {
			id: 'phota-credential',
			name: 'Phota account',
			apiKey,
			baseUrl,
		});
		const workflow = JSON.parse(
			readFileSync(path.join(ROOT, 'examples', 'profile-to-campaign-images.json'), 'utf8'),
		);
		for (const node of workflow.nodes) {
			if (node.name === 'Create Profile' && photoUrls) node.parameters.imageUrls = photoUrls;
			// The example polls every 5 s, for the simulator; a real training takes about 20 minutes.
			if (node.name === 'Wait for Profile Ready')
				node.parameters.pollIntervalSeconds = sim ? 2 : 15;
		}
		await importWorkflow(n8n, { ...workflow, id: 'demo' });

		step(
			'Running the workflow in n8n: Create Profile → Wait for Profile Ready → Generate Campaign Images',
		);
		const started = Date.now();
		const report = (last = false) => {
			const seconds = Math.round((Date.now() - started) / 1000);
			const profile = sim?.profiles()[0];
			const detail = profile ? `profile ${profile.id}: ${profile.status}` : 'running';
			console.log(`  … ${seconds}s ${detail}${last ? ' (workflow finished)' : ''}`);
		};
		const progress = setInterval(report, 3000);
		let run: IRun;
		try {
			run = await executeWorkflow(n8n, 'demo');
		} finally {
			clearInterval(progress);
		}
		// A last line as the workflow ends, so it agrees with the summary below (the previous one
		// may be up to 3 s old: a profile still IN_PROGRESS that the summary shows READY).
		report(true);

		if (run.data.resultData.error) {
			throw new Error(`The workflow failed: ${run.data.resultData.error.message}`);
		}
		const created = outputOf(run, 'Create Profile')[0]?.json;
		const waited = outputOf(run, 'Wait for Profile Ready')[0]?.json;
		const failed = outputOf(run, 'Wait for Profile Ready', 1)[0]?.json;
		const images = outputOf(run, 'Generate Campaign Images');

		rmSync(OUTPUT_DIR, { recursive: true, force: true });
		mkdirSync(OUTPUT_DIR, { recursive: true });
		const written = images.map((image) => {
			const binary = image.binary!.data;
			const file = path.join(OUTPUT_DIR, binary.fileName ?? `image-${image.json.image_number}.jpg`);
			writeFileSync(file, Buffer.from(binary.data, 'base64'));
			return { file, bytes: Buffer.from(binary.data, 'base64').length };
		});

		step('Summary');
		console.log(`  Profile:        ${created?.profile_id}`);
		const profileReport = (
			(waited ?? failed)?.profiles as
				| Array<{ status_history: Array<{ status: string; after_seconds: number }> }>
				| undefined
		)?.[0];
		const timeline: string[] = [];
		for (const entry of profileReport?.status_history ?? []) {
			if (timeline.at(-1)?.startsWith(entry.status)) continue;
			timeline.push(`${entry.status} (${entry.after_seconds}s)`);
		}
		console.log(`  Status:         ${timeline.join(' → ') || String((waited ?? failed)?.status)}`);
		if (failed) console.log(`  Training failed: ${failed.message}`);
		console.log(
			`  Images written: ${written.length} in ${path.relative(process.cwd(), OUTPUT_DIR) || OUTPUT_DIR}/`,
		);
		for (const { file, bytes } of written)
			console.log(`    ${path.basename(file)}  ${bytes} bytes`);
		console.log(
			`  Workflow ran:   ${Math.round((Date.now() - started) / 1000)} s (n8n's start and the import not counted)`,
		);
		if (sim)
			console.log(
				"  The images are the simulator's placeholders (a gradient with a disc): set PHOTA_API_KEY for real ones.",
			);
		if (!written.length) process.exitCode = 1;
	} finally {
		await sim?.close();
		removeN8n(n8n);
	}
}

handleInterrupts();
main().catch((error: unknown) =>
	failUnlessInterrupted(`\n✖ ${error instanceof Error ? error.message : String(error)}`),
);
