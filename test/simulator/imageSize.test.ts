import jpeg from 'jpeg-js';
import { fetch } from 'undici';

import type { PhotaSimulator } from '../../simulator';
import { imageDimensions, makeJpeg, makePng, sniffImage, startSimulator } from '../../simulator';

const KEY = 'size-key';
let sim: PhotaSimulator;

beforeAll(async () => {
	sim = await startSimulator({ apiKeys: [KEY] });
});
afterAll(async () => await sim.close());
beforeEach(() => sim.reset());

/** The images one request answers with (bytes mode). */
async function imagesOf(endpoint: string, body: Record<string, unknown>): Promise<Buffer[]> {
	const response = await fetch(`${sim.baseUrl}/${endpoint}`, {
		method: 'POST',
		headers: { 'X-API-Key': KEY, 'content-type': 'application/json' },
		body: JSON.stringify(body),
	});
	const json = (await response.json()) as { images: string[] };
	expect(response.status).toBe(200);
	return json.images.map((image) => Buffer.from(image, 'base64'));
}

const sizeOf = (bytes: Buffer) => imageDimensions(bytes);
const input = (width: number, height: number) =>
	makePng('input', { width, height }).toString('base64');

describe('output images follow aspect_ratio, resolution and output_format', () => {
	test.each([
		['1:1', '1K', 1024, 1024],
		['4:3', '2K', 2048, 1536],
		['3:4', '2K', 1536, 2048],
		['16:9', '1K', 1024, 576],
		['9:16', '4K', 2304, 4096],
		['auto', '4K', 4096, 4096],
	])('generate %s at %s is %i×%i, as PNG and as JPEG', async (ratio, resolution, width, height) => {
		for (const [format, kind] of [
			['png', 'png'],
			['jpg', 'jpeg'],
		]) {
			const [image] = await imagesOf('generate', {
				prompt: 'x',
				aspect_ratio: ratio,
				resolution,
				output_format: format,
			});
			expect(sniffImage(image)).toBe(kind);
			expect(sizeOf(image)).toEqual({ width, height });
		}
	});

	test('edit: auto takes the ratio nearest the first image; a URL input or the setting "square" gives 1:1', async () => {
		const edit = async (images: string[], extra: Record<string, unknown> = {}) =>
			sizeOf((await imagesOf('edit', { prompt: 'x', images, ...extra }))[0]);
		expect(await edit([input(400, 300), input(10, 10)])).toEqual({ width: 1024, height: 768 });
		expect(await edit([input(1080, 1920)], { resolution: '2K' })).toEqual({
			width: 1152,
			height: 2048,
		});
		// A data: URI and a JPEG input are read too.
		const jpegInput = makeJpeg('in', { width: 1600, height: 900 }).toString('base64');
		expect(await edit([`data:image/jpeg;base64,${jpegInput}`])).toEqual({
			width: 1024,
			height: 576,
		});
		expect(await edit(['https://x.org/wide.jpg'])).toEqual({ width: 1024, height: 1024 });
		// An explicit ratio wins over the input's.
		expect(await edit([input(400, 300)], { aspect_ratio: '9:16' })).toEqual({
			width: 576,
			height: 1024,
		});
		sim.settings.autoAspectRatio = 'square';
		expect(await edit([input(400, 300)])).toEqual({ width: 1024, height: 1024 });
	});

	test("enhance and remix: 2K in the input image's aspect; the pixel sizes are a setting", async () => {
		const [enhanced] = await imagesOf('enhance', { image: input(300, 400) });
		expect(sizeOf(enhanced)).toEqual({ width: 1536, height: 2048 });
		const [remixed] = await imagesOf('remix', {
			input_image: input(1600, 900),
			reference_image: input(10, 10),
			num_output_images: 1,
			output_format: 'jpg',
			response_mode: 'bytes',
		});
		expect(sizeOf(remixed)).toEqual({ width: 2048, height: 1152 });
		sim.settings.outputLongEdgePx = { '1K': 1000, '2K': 2000, '4K': 4000 };
		const [small] = await imagesOf('generate', { prompt: 'x', aspect_ratio: '4:3' });
		expect(sizeOf(small)).toEqual({ width: 1000, height: 750 });
	});

	// Their time is measured, not asserted: about 0.5 ms (PNG) and 7 ms (JPEG) each on the 2-core
	// machine once a size was drawn (the first of a size takes 0.2-0.9 s).
	test('a 4K image is small, and each seed has its own colour', () => {
		const size = { width: 4096, height: 2304 };
		const files = Array.from({ length: 3 }, (_, index) => [
			makePng(`p${index}`, size),
			makeJpeg(`j${index}`, size),
		]).flat();
		for (const file of files) expect(file.length).toBeLessThan(100 * 1024);
		// Each seed has its own colour; the JPEG decodes to the asked size.
		expect(files[0].equals(files[2])).toBe(false);
		const decoded = jpeg.decode(files[1]);
		expect([decoded.width, decoded.height]).toEqual([4096, 2304]);
	});
});
