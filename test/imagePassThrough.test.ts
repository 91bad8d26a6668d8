/**
 * Output images pass through: with bytes delivery each image is streamed to n8n's binary store while
 * it is decoded, as Phota's answer arrives, and is never whole in this process. Checked on the
 * heap, not by timing: when each image's store starts and when half of it has been written, after
 * a forced garbage collection, the live buffers of this process hold a small part of one image,
 * not the image and not the answer's four. The simulator runs in its own process so that what it
 * makes and sends is not counted here.
 */
import { Readable } from 'node:stream';
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

test('Generate of 4 × 4K images in bytes delivery: each image is streamed to the store, never whole in memory', async () => {
	const binaryStore = Container.get(BinaryDataService);
	const store = binaryStore.store;
	const storeOriginal = store.bind(binaryStore);
	const liveBytesAdded: Array<{ atStart: number; halfWritten: number }> = [];
	let baseline = 0;
	// Replaced by hand: a jest spy would keep every call's arguments.
	binaryStore.store = async (location, data, binary) => {
		if (Buffer.isBuffer(data)) return await storeOriginal(location, data, binary);
		const measured = { atStart: liveBufferBytes() - baseline, halfWritten: Number.NaN };
		liveBytesAdded.push(measured);
		let bytesPassed = 0;
		async function* measuredHalfway(): AsyncGenerator<Buffer> {
			for await (const piece of data) {
				const bytes = Buffer.from(piece);
				if (bytesPassed < IMAGE_BYTES / 2 && bytesPassed + bytes.length >= IMAGE_BYTES / 2) {
					measured.halfWritten = liveBufferBytes() - baseline;
				}
				bytesPassed += bytes.length;
				yield bytes;
			}
		}
		return await storeOriginal(location, Readable.from(measuredHalfway()), binary);
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
		liveBytesAdded.length = 0;

		const result = await n8n.run(workflow, { credentials });

		expect(result.error).toBeUndefined();
		const outputs = result.output('Phota');
		expect(outputs).toHaveLength(4);
		for (const item of outputs) {
			expect(item.binary?.data.id).toMatch(/^filesystem/);
			expect(item.binary?.data.bytes).toBe(IMAGE_BYTES);
		}
		// Every image went to the store as a stream, and none was ever held whole: measured 0.3–0.4 MB
		// at the start and 1.4–1.8 MB halfway (pieces waiting, the answer's chunks in flight, the
		// file's write buffers), of 6 MB images.
		expect(liveBytesAdded).toHaveLength(4);
		for (const { atStart, halfWritten } of liveBytesAdded) {
			expect(atStart).toBeLessThan(IMAGE_BYTES / 4);
			expect(halfWritten).toBeLessThan(IMAGE_BYTES / 2);
		}
	} finally {
		binaryStore.store = store;
	}
}, 120_000);
