/**
 * Output images pass through: with bytes delivery each image goes to n8n's binary store as soon as
 * it is decoded, while the rest of Phota's answer is still arriving, and nothing keeps its bytes
 * afterwards. Checked on the heap, not by timing: at every store, after a forced garbage
 * collection, every image stored before is gone and the live buffers of this process hold about
 * one image, not the answer's four. The simulator runs in its own process so that what it makes
 * and sends is not counted here.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { Container } from '@n8n/di';
import { BinaryDataService } from 'n8n-core';

import { N8nHarness } from './harness/n8n';
import type { SimulatorProcess } from './harness/simulatorProcess';
import { startSimulatorProcess } from './harness/simulatorProcess';
import { NO_PROFILES, chain, fixtureNode, photaCredentials, photaNode } from './harness/workflow';

setFlagsFromString('--expose_gc');
const collectGarbage = runInNewContext('gc') as () => void;

const API_KEY = 'pass-through-key-4e1b';
const IMAGE_BYTES = 6 * 1024 * 1024;

let sim: SimulatorProcess;
let n8n: N8nHarness;

beforeAll(async () => {
	sim = await startSimulatorProcess('--api-key', API_KEY, '--output-bytes-4k', String(IMAGE_BYTES));
	n8n = await N8nHarness.start({ binaryMode: 'filesystem' });
}, 60_000);

afterAll(async () => {
	sim?.stop();
	await N8nHarness.shutdown();
});

function liveBufferBytes(): number {
	collectGarbage();
	collectGarbage();
	return process.memoryUsage().arrayBuffers;
}

test('Generate of 4 × 4K images in bytes delivery: each image is stored as it is decoded and let go', async () => {
	const binaryStore = Container.get(BinaryDataService);
	const store = binaryStore.store;
	const storeOriginal = store.bind(binaryStore);
	const storedImages: Array<WeakRef<Buffer>> = [];
	const atEachStore: Array<{ earlierStillHeld: number; liveBytesAdded: number }> = [];
	let baseline = 0;
	// Replaced by hand: a jest spy would keep every call's arguments, the images among them.
	binaryStore.store = async (location, data, binary) => {
		if (Buffer.isBuffer(data) && data.length >= IMAGE_BYTES) {
			// Collect first: deref() keeps what it finds alive until this job ends. An image decoded into
			// a block sized from the answer's length leaves the block's end unwritten: address space
			// counted in arrayBuffers, never in the process's memory, so not counted here.
			const unwritten = data.buffer.byteLength - data.byteLength;
			const liveBytesAdded = liveBufferBytes() - baseline - unwritten;
			const earlierStillHeld = storedImages.filter((image) => image.deref() !== undefined).length;
			atEachStore.push({ earlierStillHeld, liveBytesAdded });
			storedImages.push(new WeakRef(data));
		}
		return await storeOriginal(location, data, binary);
	};
	try {
		const workflow = chain(
			fixtureNode([{ json: {} }]),
			photaNode({
				resource: 'image',
				operation: 'generate',
				profiles: NO_PROFILES,
				prompt: 'A studio portrait on a grey background',
				options: { numberOfImages: 4, resolution: '4K', delivery: 'binary' },
			}),
		);
		const credentials = photaCredentials(sim.baseUrl, API_KEY);
		// A first run, so that what n8n and the node load once is not counted.
		await n8n.run(workflow, { credentials });
		baseline = liveBufferBytes();
		atEachStore.length = 0;
		storedImages.length = 0;

		const result = await n8n.run(workflow, { credentials });

		expect(result.error).toBeUndefined();
		const outputs = result.output('Phota');
		expect(outputs).toHaveLength(4);
		for (const item of outputs) {
			expect(item.binary?.data.id).toMatch(/^filesystem/);
			expect(item.binary?.data.bytes).toBe(IMAGE_BYTES);
		}
		expect(atEachStore).toHaveLength(4);
		for (const { earlierStillHeld, liveBytesAdded } of atEachStore) {
			expect(earlierStillHeld).toBe(0);
			// The image being stored (and the answer's chunks in flight), never two images' worth.
			expect(liveBytesAdded).toBeLessThan(2 * IMAGE_BYTES);
		}
		collectGarbage();
		expect(storedImages.filter((image) => image.deref() !== undefined)).toHaveLength(0);
	} finally {
		binaryStore.store = store;
	}
}, 120_000);
