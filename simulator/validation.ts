/**
 * Request validation as Phota's FastAPI does it: 422 with pydantic-style `detail` lists for the shape
 * of a body, 400 with a code for what the shape allows but the API refuses. Nothing here changes state.
 */
import type { IncomingMessage } from 'node:http';

import { callbackUrlAllowed } from './callbackUrl';
import { inlineImageBytes, sniffImage } from './images';
import { HttpError, headerValue, httpError, parseJson } from './http';
import type { SimulatorSettings } from './settings';

const ASPECT_RATIOS = ['auto', '1:1', '3:4', '4:3', '9:16', '16:9'];
const RESOLUTIONS = ['1K', '2K', '4K'];
const MODEL_RESOLUTIONS: Record<string, string[]> = {
	nb2: ['1K', '2K', '4K'],
	'gpt-image-2': ['1K', '2K', '4K'],
	'qwen-image-2': ['1K', '2K'],
	'flux-2': ['1K', '2K'],
	reve: ['1K'],
};
const TIERS: Record<string, [number, number]> = { standard: [10, 50], fast: [5, 10] };

class Issues {
	private list: Array<{ loc: Array<string | number>; msg: string; type: string }> = [];

	add(path: Array<string | number>, msg: string, type: string): void {
		this.list.push({ loc: ['body', ...path], msg, type });
	}

	throwIfAny(): void {
		if (this.list.length) throw new HttpError({ status: 422, body: { detail: this.list } });
	}
}

/** A POST body as a JSON object; 422 unless it says it is JSON (FastAPI's rule) and is an object. */
export function readJsonObject(req: IncomingMessage, rawBody: Buffer): Record<string, unknown> {
	const invalid = (msg: string) =>
		new HttpError({
			status: 422,
			body: { detail: [{ loc: ['body'], msg, type: 'model_attributes_type' }] },
		});
	if (!/^application\/json\b/i.test(headerValue(req.headers['content-type']) ?? '')) {
		throw invalid('Input should be a valid dictionary or object to extract fields from');
	}
	const parsed = parseJson(rawBody);
	if (
		parsed === undefined ||
		typeof parsed !== 'object' ||
		Array.isArray(parsed) ||
		parsed === null
	) {
		throw invalid('Input should be a valid JSON object');
	}
	return parsed as Record<string, unknown>;
}

/** POST /profiles/add: the photo URLs and tier, or the 422 / 400 Phota answers. */
export function validateNewProfile(
	body: Record<string, unknown>,
	requestId: string,
): { imageUrls: string[]; tier: string } {
	const issues = new Issues();
	const urls = body.image_urls;
	if (urls === undefined) issues.add(['image_urls'], 'Field required', 'missing');
	else if (!Array.isArray(urls) || urls.some((url) => typeof url !== 'string'))
		issues.add(['image_urls'], 'Input should be a valid list of strings', 'list_type');
	else {
		if (urls.length < 5)
			issues.add(['image_urls'], 'List should have at least 5 items after validation', 'too_short');
		if (urls.length > 50)
			issues.add(['image_urls'], 'List should have at most 50 items after validation', 'too_long');
		urls.forEach((url, index) => {
			if (!/^https?:\/\//.test(url as string))
				issues.add(['image_urls', index], 'Input should be a valid URL', 'url_parsing');
		});
	}
	const tier = body.training_tier ?? 'standard';
	if (typeof tier !== 'string' || !TIERS[tier])
		issues.add(['training_tier'], "Input should be 'standard' or 'fast'", 'enum');
	if (
		body.tag !== undefined &&
		body.tag !== null &&
		(typeof body.tag !== 'string' || body.tag.length < 1 || body.tag.length > 128)
	) {
		issues.add(['tag'], 'String should have 1 to 128 characters', 'string_length');
	}
	issues.throwIfAny();

	const imageUrls = urls as string[];
	const [min, max] = TIERS[tier as string];
	if (imageUrls.length < min || imageUrls.length > max) {
		// ASSUMPTION (§9.14): tier/count mismatch is a 400 with this code.
		throw httpError(
			400,
			requestId,
			'TRAINING_IMAGE_COUNT',
			`The ${tier as string} tier needs ${min}-${max} images, got ${imageUrls.length}.`,
		);
	}
	if (imageUrls.some((url) => url.includes('no-subject'))) {
		throw httpError(
			400,
			requestId,
			'NO_SUBJECT_DETECTED',
			'No subject was detected in the training images.',
		);
	}
	return { imageUrls, tier: tier as string };
}

export interface ImageRequest {
	num: number;
	format: string;
	mode: string;
	prompt: string;
	/** Edit and generate: the endpoints with base_model, aspect_ratio, resolution and quality. */
	modelEndpoint: boolean;
}

/** An image endpoint's body (`endpoint`: edit, generate, enhance, remix), or the 422 / 400 answer. */
export function validateImageRequest(
	settings: SimulatorSettings,
	endpoint: string,
	body: Record<string, unknown>,
	requestId: string,
): ImageRequest {
	imageFieldIssues(settings, endpoint, body).throwIfAny();
	refuseImageRequest(settings, endpoint, body, requestId);
	return {
		num: (body.num_output_images ?? 1) as number,
		format: (body.output_format ?? 'png') as string,
		mode: (body.response_mode ?? 'bytes') as string,
		prompt: (body.prompt ?? '') as string,
		modelEndpoint: endpoint === 'edit' || endpoint === 'generate',
	};
}

/** The 422 part: fields missing or of the wrong type or value. */
function imageFieldIssues(
	settings: SimulatorSettings,
	endpoint: string,
	body: Record<string, unknown>,
): Issues {
	const issues = new Issues();
	const isRemix = endpoint === 'remix';
	const defaults =
		isRemix && !settings.remixRequiredFieldsHaveDefaults
			? undefined
			: { num: 1, format: 'png', mode: 'bytes' };
	for (const [field, fallback] of [
		['num_output_images', defaults?.num],
		['output_format', defaults?.format],
		['response_mode', defaults?.mode],
	] as const) {
		if (body[field] === undefined && fallback === undefined)
			issues.add([field], 'Field required', 'missing');
	}
	const num = (body.num_output_images ?? 1) as number;
	if (body.num_output_images !== undefined && (!Number.isInteger(num) || num < 1 || num > 4)) {
		issues.add(['num_output_images'], 'Input should be between 1 and 4', 'less_than_equal');
	}
	if (!['png', 'jpg'].includes((body.output_format ?? 'png') as string))
		issues.add(['output_format'], "Input should be 'png' or 'jpg'", 'enum');
	if (!['bytes', 'urls'].includes((body.response_mode ?? 'bytes') as string))
		issues.add(['response_mode'], "Input should be 'bytes' or 'urls'", 'enum');
	if (body.prompt !== undefined && typeof body.prompt !== 'string')
		issues.add(['prompt'], 'Input should be a valid string', 'string_type');
	if (
		body.profile_ids !== undefined &&
		(!Array.isArray(body.profile_ids) || body.profile_ids.some((id) => typeof id !== 'string'))
	) {
		issues.add(['profile_ids'], 'Input should be a valid list of strings', 'list_type');
	}
	if (endpoint === 'edit' || endpoint === 'generate') {
		if (body.aspect_ratio !== undefined && !ASPECT_RATIOS.includes(body.aspect_ratio as string))
			issues.add(['aspect_ratio'], `Input should be ${ASPECT_RATIOS.join(', ')}`, 'enum');
		if (body.resolution !== undefined && !RESOLUTIONS.includes(body.resolution as string))
			issues.add(['resolution'], "Input should be '1K', '2K' or '4K'", 'enum');
		if (
			body.quality !== undefined &&
			body.quality !== null &&
			!['auto', 'low', 'medium', 'high'].includes(body.quality as string)
		) {
			issues.add(['quality'], "Input should be 'auto', 'low', 'medium' or 'high'", 'enum');
		}
		if (
			body.base_model !== undefined &&
			!MODEL_RESOLUTIONS[body.base_model as string] &&
			settings.unknownBaseModelStatus === 422
		) {
			issues.add(
				['base_model'],
				`Input should be ${Object.keys(MODEL_RESOLUTIONS).join(', ')}`,
				'enum',
			);
		}
	}
	if (endpoint === 'edit') {
		if (!Array.isArray(body.images) || body.images.length === 0)
			issues.add(['images'], 'At least one image is required', 'too_short');
		else if (body.images.length > 10)
			issues.add(['images'], 'List should have at most 10 items after validation', 'too_long');
	}
	if (endpoint === 'enhance' && typeof body.image !== 'string')
		issues.add(['image'], 'Field required', 'missing');
	if (isRemix) {
		if (typeof body.input_image !== 'string')
			issues.add(['input_image'], 'Field required', 'missing');
		if (typeof body.reference_image !== 'string')
			issues.add(['reference_image'], 'Field required', 'missing');
	}
	if (endpoint === 'generate' && settings.generateProfileIds === 'reject422') {
		for (const field of ['profile_ids', 'images']) {
			if (body[field] !== undefined)
				issues.add([field], 'Extra inputs are not permitted', 'extra_forbidden');
		}
	}
	return issues;
}

/** The 400 part: well-formed, but refused (model limits, async rules, bad images, moderation). */
function refuseImageRequest(
	settings: SimulatorSettings,
	endpoint: string,
	body: Record<string, unknown>,
	requestId: string,
): void {
	const fail = (code: string, detail: string) => httpError(400, requestId, code, detail);
	if (endpoint === 'edit' || endpoint === 'generate') {
		const model = (body.base_model ?? 'nb2') as string;
		if (!MODEL_RESOLUTIONS[model]) throw fail('INVALID_BASE_MODEL', `Unknown base_model ${model}.`);
		const resolution = (body.resolution ?? '1K') as string;
		if (!MODEL_RESOLUTIONS[model].includes(resolution))
			throw fail('UNSUPPORTED_RESOLUTION', `${model} does not support resolution ${resolution}.`);
		if (body.quality !== undefined && body.quality !== null && model !== 'gpt-image-2')
			throw fail('INVALID_QUALITY', 'quality is only supported with base_model gpt-image-2.');
	}
	const extraFields =
		endpoint === 'remix'
			? settings.remixExtraFields
			: endpoint === 'enhance'
				? settings.enhanceExtraFields
				: 'ignore';
	if (extraFields === 'reject400') {
		for (const field of ['base_model', 'aspect_ratio', 'resolution']) {
			if (body[field] !== undefined)
				throw fail('UNSUPPORTED_FIELD', `${endpoint} does not accept ${field}.`);
		}
	}
	const mode = (body.response_mode ?? 'bytes') as string;
	if (body.async === true && settings.asyncRequiresUrls && mode !== 'urls')
		throw fail('ASYNC_REQUIRES_URLS', 'async requires response_mode "urls".');
	if (body.callback_url !== undefined && body.async !== true)
		throw fail('CALLBACK_REQUIRES_ASYNC', 'callback_url is only allowed with async: true.');
	if (typeof body.callback_url === 'string' && !callbackUrlAllowed(settings, body.callback_url))
		throw fail('INVALID_CALLBACK_URL', 'callback_url must use https.');
	for (const [field, value] of imageInputs(body)) {
		if (!isImageInput(settings, value))
			throw fail(
				'INVALID_IMAGE',
				`${field} is neither an image URL nor base64 of a JPEG, PNG, WebP or HEIC image.`,
			);
	}
	if (((body.prompt ?? '') as string).includes('__MODERATE__'))
		throw fail('CONTENT_MODERATION', 'The request was blocked by content moderation.');
}

function imageInputs(body: Record<string, unknown>): Array<[string, unknown]> {
	const inputs: Array<[string, unknown]> = [];
	if (Array.isArray(body.images))
		body.images.forEach((image, index) => inputs.push([`images[${index}]`, image]));
	for (const field of ['image', 'input_image', 'reference_image']) {
		if (body[field] !== undefined) inputs.push([field, body[field]]);
	}
	return inputs;
}

function isImageInput(settings: SimulatorSettings, value: unknown): boolean {
	if (typeof value === 'string' && /^https?:\/\/\S+$/.test(value)) return true;
	const inline = inlineImageBytes(value);
	if (!inline || (inline.dataUri && !settings.acceptDataUriPrefix)) return false;
	return sniffImage(inline.bytes) !== undefined;
}
