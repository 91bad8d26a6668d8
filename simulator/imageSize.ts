/**
 * The pixel size of an image request's outputs. PHOTA_API.md §3.7 names the aspect ratios and the
 * resolutions (1K/2K/4K) but no pixel sizes; the sizes here are ASSUMPTIONs set in settings.ts.
 */
import type { Dimensions } from './images';
import { imageDimensions, inlineImageBytes } from './images';
import type { SimulatorSettings } from './settings';

export type Resolution = '1K' | '2K' | '4K';

export interface OutputSize extends Dimensions {
	resolution: Resolution;
}

const RATIOS: Record<string, [number, number]> = {
	'1:1': [1, 1],
	'3:4': [3, 4],
	'4:3': [4, 3],
	'9:16': [9, 16],
	'16:9': [16, 9],
};

/**
 * Edit and generate: `resolution` (default 1K) and `aspect_ratio` (default auto). Enhance and remix
 * take neither: 2K (§3.6, §5.4) in the aspect of their input (remix: input_image, §5.4; enhance:
 * image, the same ASSUMPTION). 'auto': see settings.autoAspectRatio.
 */
export function outputSize(
	settings: SimulatorSettings,
	endpoint: string,
	body: Record<string, unknown>,
): OutputSize {
	const modelEndpoint = endpoint === 'edit' || endpoint === 'generate';
	const resolution = modelEndpoint ? ((body.resolution ?? '1K') as Resolution) : '2K';
	const asked = modelEndpoint ? body.aspect_ratio : undefined;
	const ratio =
		typeof asked === 'string' && RATIOS[asked]
			? RATIOS[asked]
			: autoRatio(settings, firstInput(endpoint, body));
	const longEdge = settings.outputLongEdgePx[resolution];
	const [across, down] = ratio;
	return across >= down
		? { resolution, width: longEdge, height: Math.round((longEdge * down) / across) }
		: { resolution, width: Math.round((longEdge * across) / down), height: longEdge };
}

function firstInput(endpoint: string, body: Record<string, unknown>): unknown {
	if (endpoint === 'edit') return Array.isArray(body.images) ? body.images[0] : undefined;
	if (endpoint === 'enhance') return body.image;
	if (endpoint === 'remix') return body.input_image;
	return undefined;
}

/** The listed ratio nearest the input image's (1:1 when there is none, or it is a URL or unreadable). */
function autoRatio(settings: SimulatorSettings, input: unknown): [number, number] {
	// A PNG's size is in its first 24 bytes; a JPEG's after its APP segments (64 KB each at most).
	const bytes = inlineImageBytes(input, 256 * 1024)?.bytes;
	const size = bytes && imageDimensions(bytes);
	if (settings.autoAspectRatio === 'square' || !size || !size.width || !size.height)
		return RATIOS['1:1'];
	const distance = ([across, down]: [number, number]) =>
		Math.abs(Math.log(size.width / size.height) - Math.log(across / down));
	return Object.values(RATIOS).reduce((best, ratio) =>
		distance(ratio) < distance(best) ? ratio : best,
	);
}
