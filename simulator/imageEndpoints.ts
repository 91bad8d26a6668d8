/**
 * POST /edit, /generate, /enhance and /remix: real PNG/JPEG files as base64 or signed download URLs
 * (served by serveFile), synchronously or as an async job.
 */
import { createHmac, randomBytes } from 'node:crypto';

import { charge } from './billing';
import type { Call, Reply } from './http';
import { httpError } from './http';
import type { Dimensions } from './images';
import { makeJpeg, makePng } from './images';
import type { OutputSize } from './imageSize';
import { outputSize } from './imageSize';
import { submitJob } from './jobs';
import { profileStatus } from './profiles';
import type { SimJob, SimState } from './state';
import { validateImageRequest } from './validation';

const TOKEN = /\[\[([^[\]]+)\]\]/g;

/** The images of an image request's answer, and what they were drawn for. */
export interface DrawnImages {
	shape: string;
	files: Buffer[];
}

/**
 * Draws the images a valid image request will answer with (pure: nothing is stored or charged),
 * so that they can be drawn while the request's latency runs; undefined for an invalid request.
 */
export function drawImagesAhead(
	state: SimState,
	call: Pick<Call, 'body' | 'requestId'>,
	endpoint: string,
): DrawnImages | undefined {
	try {
		const { num, format } = validateImageRequest(
			state.settings,
			endpoint,
			call.body,
			call.requestId,
		);
		const size = outputSize(state.settings, endpoint, call.body);
		return drawImages(imageShape(state, call.requestId, num, format, size));
	} catch {
		return undefined;
	}
}

interface ImageShape {
	key: string;
	seed: string;
	count: number;
	format: string;
	size: Dimensions;
	targetBytes: number;
}

function imageShape(
	state: SimState,
	seed: string,
	count: number,
	format: string,
	{ resolution, width, height }: OutputSize,
): ImageShape {
	const targetBytes = state.settings.outputBytes[resolution] ?? 0;
	// Real images of the asked size; cheap to make (images.ts encodes the pixels once per size).
	const key = `${seed} ${count} ${format} ${width}x${height} ${targetBytes}`;
	return { key, seed, count, format, size: { width, height }, targetBytes };
}

function drawImages(shape: ImageShape): DrawnImages {
	const { seed, count, format, size, targetBytes } = shape;
	return {
		shape: shape.key,
		files: Array.from({ length: count }, (_, index) =>
			format === 'jpg'
				? makeJpeg(`${seed}-${index}`, size, targetBytes)
				: makePng(`${seed}-${index}`, size, targetBytes),
		),
	};
}

/**
 * `endpoint`: edit, generate, enhance or remix; `latency`: the time settings.latencyMs gave this
 * request (undefined when none), an async job's running time; `drawnAhead`: its images if they were
 * drawn during that time (see drawImagesAhead).
 */
export function imageRequest(
	state: SimState,
	call: Call,
	endpoint: string,
	latency: number | undefined,
	drawnAhead?: DrawnImages,
): Reply {
	const { body, requestId } = call;
	const { num, format, mode, prompt, modelEndpoint } = validateImageRequest(
		state.settings,
		endpoint,
		body,
		requestId,
	);

	// ASSUMPTION (§9.26): settings.tokensCountOnEnhanceRemix.
	const tokensCount = modelEndpoint || state.settings.tokensCountOnEnhanceRemix;
	const tokenIds = tokensCount ? [...prompt.matchAll(TOKEN)].map((match) => match[1].trim()) : [];
	const candidateIds = [
		...new Set([
			...(endpoint === 'generate' ? [] : ((body.profile_ids as string[] | undefined) ?? [])),
			...tokenIds,
		]),
	];
	const readyIds: string[] = [];
	for (const id of candidateIds) {
		const profile = state.profileStore.get(id);
		const ready =
			profile !== undefined &&
			profile.apiKey === call.apiKey &&
			profileStatus(state, profile) === 'READY';
		if (ready) readyIds.push(id);
		else if (state.settings.unknownProfileIds === 'reject404') {
			throw httpError(
				404,
				requestId,
				'PROFILE_NOT_FOUND',
				`Profile ${id} does not exist or is not READY.`,
			);
		}
	}

	const cost = num * state.settings.prices.perImage;
	const shape = imageShape(
		state,
		requestId,
		num,
		format,
		outputSize(state.settings, endpoint, body),
	);
	const result = answerImages(
		state,
		drawnAhead?.shape === shape.key ? drawnAhead.files : drawImages(shape).files,
		format,
		mode === 'urls' || body.async === true ? 'urls' : 'bytes',
		readyIds,
	);

	// ASSUMPTION (§3.4: async jobs get a longer runtime budget): no time limit on async jobs.
	if (body.async === true)
		return submitJob(
			state,
			call,
			endpoint,
			result,
			cost,
			latency ?? state.settings.jobPhasesMs.running,
		);

	const timedOut =
		prompt.includes('__TIMEOUT__') ||
		(state.settings.syncTimeLimitMs !== undefined &&
			latency !== undefined &&
			latency > state.settings.syncTimeLimitMs);
	if (timedOut) {
		return {
			status: 504,
			body: {
				detail: 'The request exceeded the synchronous time limit; the reserved cost was refunded.',
			},
		};
	}
	charge(state, call, cost);
	return { status: 200, body: result };
}

function answerImages(
	state: SimState,
	files: Buffer[],
	format: string,
	mode: 'bytes' | 'urls',
	readyIds: string[],
): SimJob['result'] {
	const counts = Object.fromEntries(readyIds.map((id) => [id, files.length]));
	if (mode === 'bytes')
		return {
			known_subjects: { counts },
			images: files.map((file) => file.toString('base64')),
			download_urls: [],
		};
	return {
		known_subjects: { counts },
		images: [],
		download_urls: files.map((file) => storeFile(state, file, format)),
	};
}

/** §3.2: a signed URL, valid downloadUrlTtlMs, on the host settings.downloadOrigin names. */
function storeFile(state: SimState, bytes: Buffer, format: string): string {
	const token = randomBytes(8).toString('hex');
	const expiresAt = state.now() + state.settings.downloadUrlTtlMs;
	const extension = format === 'jpg' ? 'jpg' : 'png';
	const name = `${token}.${extension}`;
	const host = state.settings.downloadOrigin === 'api' ? 'api' : 'other';
	state.files.set(name, {
		bytes,
		mime: format === 'jpg' ? 'image/jpeg' : 'image/png',
		expiresAt,
		host,
	});
	const base = host === 'api' ? state.baseUrl : state.otherHost.baseUrl;
	return `${base}/files/${name}?expires=${expiresAt}&sig=${fileSignature(state, name, expiresAt)}`;
}

function fileSignature(state: SimState, name: string, expiresAt: number): string {
	return createHmac('sha256', state.fileKey)
		.update(`${name}${expiresAt}`)
		.digest('hex')
		.slice(0, 16);
}

/** GET /files/:name on the host that stored it: 404 elsewhere, 403 once expired or mis-signed. */
export function serveFile(
	state: SimState,
	name: string,
	query: Record<string, string>,
	host: 'api' | 'other',
): Reply {
	const file = state.files.get(name);
	if (!file || file.host !== host) return { status: 404, body: { detail: 'Not Found' } };
	if (state.now() > file.expiresAt || Number(query.expires) !== file.expiresAt) {
		return { status: 403, body: { detail: 'Request has expired' } };
	}
	if (query.sig !== fileSignature(state, name, file.expiresAt))
		return { status: 403, body: { detail: 'Signature does not match' } };
	return { status: 200, raw: file.bytes, contentType: file.mime };
}
