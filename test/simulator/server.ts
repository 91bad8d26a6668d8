import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { request as undiciRequest } from 'undici';

import { makeJpeg, makePng, sniffImage } from './images';
import type { FaultSpec, LoggedRequest } from './log';
import { FaultInjector, RequestLog } from './log';
import type { SimulatorSettings, TrainingOutcome, TrainingPhasesMs } from './settings';
import { defaultSettings } from './settings';

export const API_PREFIX = '/v1/phota';
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
const TOKEN = /\[\[([^[\]]+)\]\]/g;

export interface StartOptions extends Partial<SimulatorSettings> {
	port?: number;
	host?: string;
}

export interface SimProfile {
	id: string;
	tag?: string;
	tier: string;
	imageUrls: string[];
	createdAt: number;
	phasesMs: TrainingPhasesMs;
	outcome: TrainingOutcome;
	message: string;
	apiKey: string;
	status: string;
}

export interface SimJob {
	id: string;
	endpoint: string;
	createdAt: number;
	clientRequestId?: string;
	callbackUrl?: string;
	fail: boolean;
	result: {
		known_subjects: { counts: Record<string, number> };
		images: string[];
		download_urls: string[];
	};
	status: string;
	apiKey: string;
	cost: number;
}

interface Reply {
	status: number;
	body?: unknown;
	raw?: Buffer;
	contentType?: string;
	headers?: Record<string, string>;
}

interface Call {
	route: string;
	params: string[];
	query: Record<string, string>;
	body: Record<string, unknown>;
	apiKey: string;
	requestId: string;
}

class HttpError extends Error {
	constructor(readonly reply: Reply) {
		super(`HTTP ${reply.status}`);
	}
}

export class PhotaSimulator {
	readonly log = new RequestLog();
	readonly faults = new FaultInjector();
	settings: SimulatorSettings;

	private server: Server;
	private sockets = new Set<Socket>();
	private clockOffset = 0;
	private seq = 0;
	private profileCount = 0;
	private profileStore = new Map<string, Omit<SimProfile, 'status'>>();
	private jobStore = new Map<string, Omit<SimJob, 'status'>>();
	private callbacksSent = new Set<string>();
	private files = new Map<string, { bytes: Buffer; mime: string; expiresAt: number }>();
	private spent = new Map<string, number>();
	private rateWindow: number[] = [];
	private timers = new Set<NodeJS.Timeout>();
	private origin_ = '';

	constructor(private readonly initialSettings: SimulatorSettings) {
		this.settings = { ...initialSettings };
		this.server = createServer((req, res) => void this.handle(req, res));
		this.server.on('connection', (socket) => {
			this.sockets.add(socket);
			socket.on('close', () => this.sockets.delete(socket));
		});
	}

	get origin(): string {
		return this.origin_;
	}

	get baseUrl(): string {
		return `${this.origin_}${API_PREFIX}`;
	}

	get port(): number {
		return (this.server.address() as AddressInfo).port;
	}

	async listen(port: number, host: string): Promise<void> {
		await new Promise<void>((resolve, reject) => {
			this.server.once('error', reject);
			this.server.listen(port, host, () => resolve());
		});
		this.origin_ = `http://${host}:${this.port}`;
	}

	now(): number {
		return Date.now() + this.clockOffset;
	}

	advanceClock(ms: number): void {
		this.clockOffset += ms;
		this.deliverDueCallbacks();
	}

	reset(): void {
		this.settings = { ...this.initialSettings };
		this.log.clear();
		this.faults.clear();
		this.clockOffset = 0;
		this.profileCount = 0;
		this.profileStore.clear();
		this.jobStore.clear();
		this.callbacksSent.clear();
		this.files.clear();
		this.spent.clear();
		this.rateWindow = [];
	}

	profiles(): SimProfile[] {
		return [...this.profileStore.values()].map((profile) => ({
			...profile,
			status: this.profileStatus(profile),
		}));
	}

	jobs(): SimJob[] {
		return [...this.jobStore.values()].map((job) => ({ ...job, status: this.jobStatus(job) }));
	}

	async close(): Promise<void> {
		for (const timer of this.timers) clearTimeout(timer);
		for (const socket of this.sockets) socket.destroy();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}

	// ---------------------------------------------------------------- request pipeline

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', 'http://simulator');
		const query = Object.fromEntries(url.searchParams.entries());
		const rawBody = await readBody(req);

		if (url.pathname.startsWith('/__sim/')) {
			this.send(res, await this.admin(req.method ?? 'GET', url.pathname, rawBody), 'admin');
			return;
		}
		if (!url.pathname.startsWith(API_PREFIX)) {
			this.send(res, { status: 404, body: { detail: 'Not Found' } }, 'none');
			return;
		}

		const { route, params } = normaliseRoute(
			req.method ?? 'GET',
			url.pathname.slice(API_PREFIX.length),
		);
		const requestId = `req_${(++this.seq).toString().padStart(6, '0')}`;
		const apiKey = headerValue(req.headers['x-api-key']);
		const entry: LoggedRequest = {
			seq: this.seq,
			method: req.method ?? 'GET',
			path: url.pathname,
			route,
			query,
			body: parseJson(rawBody),
			bodyBytes: rawBody.length,
			apiKeyValid: apiKey !== undefined && this.settings.apiKeys.includes(apiKey),
			headers: redactHeaders(req.headers),
			status: 0,
			startedAt: Date.now(),
			endedAt: 0,
			processed: false,
		};
		this.log.started(route);
		const finish = (status: number, fault?: string) => {
			entry.status = status;
			entry.endedAt = Date.now();
			if (fault) entry.fault = fault;
			this.log.finished(entry);
		};

		const before = this.faults.take(route, false);
		if (before) {
			const handled = await this.applyFault(before, res, requestId, finish);
			if (handled) return;
		}

		let reply: Reply;
		try {
			reply = await this.process(req, route, params, query, rawBody, apiKey, requestId);
		} catch (error) {
			reply =
				error instanceof HttpError
					? error.reply
					: this.error(500, requestId, 'INTERNAL', String(error));
		}

		entry.processed = reply.status < 400;
		const after = this.faults.take(route, true);
		if (after) {
			const handled = await this.applyFault(after, res, requestId, finish);
			if (handled) return;
		}
		reply.headers = { ...reply.headers, 'X-Request-Id': requestId };
		if (
			reply.status >= 400 &&
			reply.body &&
			typeof reply.body === 'object' &&
			!Array.isArray(reply.body)
		) {
			(reply.body as Record<string, unknown>).request_id ??= requestId;
		}
		this.send(res, reply, route);
		finish(reply.status);
	}

	private async applyFault(
		fault: FaultSpec,
		res: ServerResponse,
		requestId: string,
		finish: (status: number, fault?: string) => void,
	): Promise<boolean> {
		switch (fault.kind) {
			case 'delay':
				await this.sleep(fault.delayMs ?? 0);
				return false;
			case 'reset':
				res.socket?.destroy();
				finish(0, 'reset');
				return true;
			case 'hang':
				finish(0, 'hang');
				return true;
			case 'status': {
				const status = fault.status ?? 500;
				const headers: Record<string, string> = { 'X-Request-Id': requestId };
				if (fault.retryAfterSeconds !== undefined)
					headers['Retry-After'] = String(fault.retryAfterSeconds);
				this.send(
					res,
					{
						status,
						headers,
						body: fault.body ?? {
							code: 'INJECTED_FAULT',
							detail: `Injected ${status}`,
							request_id: requestId,
						},
					},
					'fault',
				);
				finish(status, `status ${status}`);
				return true;
			}
		}
	}

	private async process(
		req: IncomingMessage,
		route: string,
		params: string[],
		query: Record<string, string>,
		rawBody: Buffer,
		apiKey: string | undefined,
		requestId: string,
	): Promise<Reply> {
		if (route === 'GET /files/:name') return this.serveFile(params[0], query);

		const limited = this.rateLimited(requestId);
		if (limited) return limited;

		if (apiKey === undefined || apiKey === '') {
			return { status: this.settings.missingKeyStatus, body: { detail: 'Not authenticated' } };
		}
		if (!this.settings.apiKeys.includes(apiKey)) {
			return {
				status: 401,
				body: { detail: 'Missing or invalid API key in the X-API-Key header.' },
			};
		}

		let body: Record<string, unknown> = {};
		if (req.method === 'POST') {
			const parsed = parseJson(rawBody);
			if (
				parsed === undefined ||
				typeof parsed !== 'object' ||
				Array.isArray(parsed) ||
				parsed === null
			) {
				return {
					status: 422,
					body: {
						detail: [
							{
								loc: ['body'],
								msg: 'Input should be a valid JSON object',
								type: 'model_attributes_type',
							},
						],
					},
				};
			}
			body = parsed as Record<string, unknown>;
		}

		const latency =
			typeof this.settings.latencyMs === 'number'
				? this.settings.latencyMs
				: (this.settings.latencyMs[route] ?? 0);
		if (latency > 0) await this.sleep(latency);

		const call: Call = { route, params, query, body, apiKey, requestId };
		switch (route) {
			case 'GET /profiles/ids':
				return this.listProfiles(call);
			case 'POST /profiles/add':
				return this.addProfile(call);
			case 'GET /profiles/:id/status':
				return this.profileStatusReply(call);
			case 'GET /profiles/:id/profile_picture':
				return this.profilePicture(call);
			case 'DELETE /profiles/:id':
				return this.deleteProfile(call);
			case 'POST /edit':
			case 'POST /generate':
			case 'POST /enhance':
			case 'POST /remix':
				return this.imageRequest(call, route.slice(6), latency);
			case 'GET /jobs/:id':
				return this.getJob(call);
			case 'GET /webhook-secret':
				return { status: 200, body: { secret: this.settings.webhookSecret } };
			default:
				return { status: 404, body: { detail: 'Not Found' } };
		}
	}

	private rateLimited(requestId: string): Reply | undefined {
		const limit = this.settings.rateLimit;
		if (!limit) return undefined;
		const retryAfter = String(limit.retryAfterSeconds ?? 1);
		const reply = {
			status: 429,
			headers: { 'Retry-After': retryAfter },
			body: { detail: 'Rate limit exceeded', request_id: requestId },
		};
		if (limit.maxConcurrent !== undefined && this.log.currentInFlight > limit.maxConcurrent)
			return reply;
		if (limit.perSecond !== undefined) {
			const now = Date.now();
			this.rateWindow = this.rateWindow.filter((at) => now - at < 1000);
			if (this.rateWindow.length >= limit.perSecond) return reply;
			this.rateWindow.push(now);
		}
		return undefined;
	}

	// ---------------------------------------------------------------- profiles

	private listProfiles(call: Call): Reply {
		const tag = call.query.tag;
		const profiles = this.profiles().filter(
			(profile) => profile.apiKey === call.apiKey && (tag === undefined || profile.tag === tag),
		);
		return {
			status: 200,
			body: {
				profiles: profiles.map((profile) =>
					this.settings.listFormat === 'objects'
						? { profile_id: profile.id, status: profile.status, tag: profile.tag ?? null }
						: profile.id,
				),
			},
		};
	}

	private addProfile(call: Call): Reply {
		const { body } = call;
		const issues = new Issues();
		const urls = body.image_urls;
		if (urls === undefined) issues.add(['image_urls'], 'Field required', 'missing');
		else if (!Array.isArray(urls) || urls.some((url) => typeof url !== 'string'))
			issues.add(['image_urls'], 'Input should be a valid list of strings', 'list_type');
		else {
			if (urls.length < 5)
				issues.add(
					['image_urls'],
					'List should have at least 5 items after validation',
					'too_short',
				);
			if (urls.length > 50)
				issues.add(
					['image_urls'],
					'List should have at most 50 items after validation',
					'too_long',
				);
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
			throw new HttpError(
				this.error(
					400,
					call.requestId,
					'TRAINING_IMAGE_COUNT',
					`The ${tier as string} tier needs ${min}-${max} images, got ${imageUrls.length}.`,
				),
			);
		}
		if (imageUrls.some((url) => url.includes('no-subject'))) {
			throw new HttpError(
				this.error(
					400,
					call.requestId,
					'NO_SUBJECT_DETECTED',
					'No subject was detected in the training images.',
				),
			);
		}
		this.charge(call, this.settings.prices.perProfile);

		const index = this.profileCount++;
		const plan =
			this.settings.profilePlan?.({
				index,
				imageUrls,
				tag: body.tag as string | undefined,
				tier: tier as string,
			}) ?? {};
		const markerOutcome: TrainingOutcome | undefined = imageUrls.some((url) =>
			url.includes('train-error'),
		)
			? 'ERROR'
			: imageUrls.some((url) => url.includes('train-inactive'))
				? 'INACTIVE'
				: undefined;
		const outcome = plan.outcome ?? markerOutcome ?? 'READY';
		const id = `prof_${randomBytes(6).toString('hex')}`;
		this.profileStore.set(id, {
			id,
			tag: (body.tag as string | undefined) ?? undefined,
			tier: tier as string,
			imageUrls,
			createdAt: this.now(),
			phasesMs: { ...this.settings.trainingPhasesMs, ...plan.phasesMs },
			outcome,
			message:
				plan.message ??
				(outcome === 'ERROR'
					? 'Training failed: the faces in the photos did not match one person.'
					: ''),
			apiKey: call.apiKey,
		});
		return { status: 200, body: { profile_id: id } };
	}

	private profileStatus(profile: Omit<SimProfile, 'status'>): string {
		const elapsed = this.now() - profile.createdAt;
		const { validating, queuing, inProgress } = profile.phasesMs;
		if (elapsed < validating) return 'VALIDATING';
		if (elapsed < validating + queuing) return 'QUEUING';
		if (elapsed < validating + queuing + inProgress) return 'IN_PROGRESS';
		return profile.outcome;
	}

	private ownProfile(call: Call): Omit<SimProfile, 'status'> {
		const profile = this.profileStore.get(call.params[0]);
		if (!profile || profile.apiKey !== call.apiKey) {
			throw new HttpError(
				this.error(404, call.requestId, 'NOT_FOUND', `Profile ${call.params[0]} not found.`),
			);
		}
		return profile;
	}

	private profileStatusReply(call: Call): Reply {
		const profile = this.ownProfile(call);
		const status = this.profileStatus(profile);
		return {
			status: 200,
			body: {
				profile_id: profile.id,
				status,
				message:
					status === 'ERROR' || status === 'INACTIVE'
						? profile.message || 'Profile is inactive.'
						: '',
			},
		};
	}

	private profilePicture(call: Call): Reply {
		const profile = this.ownProfile(call);
		return { status: 200, raw: makeJpeg(profile.id), contentType: 'image/jpeg' };
	}

	private deleteProfile(call: Call): Reply {
		const profile = this.ownProfile(call);
		this.profileStore.delete(profile.id);
		return { status: 200, body: { profile_id: profile.id, status: 'ok' } };
	}

	// ---------------------------------------------------------------- images

	private imageRequest(call: Call, endpoint: string, latency: number): Reply {
		const { body, requestId } = call;
		const issues = new Issues();
		const isRemix = endpoint === 'remix';
		const modelEndpoint = endpoint === 'edit' || endpoint === 'generate';

		const defaults =
			isRemix && !this.settings.remixRequiredFieldsHaveDefaults
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
		const format = (body.output_format ?? 'png') as string;
		if (!['png', 'jpg'].includes(format))
			issues.add(['output_format'], "Input should be 'png' or 'jpg'", 'enum');
		const mode = (body.response_mode ?? 'bytes') as string;
		if (!['bytes', 'urls'].includes(mode))
			issues.add(['response_mode'], "Input should be 'bytes' or 'urls'", 'enum');
		if (body.prompt !== undefined && typeof body.prompt !== 'string')
			issues.add(['prompt'], 'Input should be a valid string', 'string_type');
		if (
			body.profile_ids !== undefined &&
			(!Array.isArray(body.profile_ids) || body.profile_ids.some((id) => typeof id !== 'string'))
		) {
			issues.add(['profile_ids'], 'Input should be a valid list of strings', 'list_type');
		}
		if (modelEndpoint) {
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
				this.settings.unknownBaseModelStatus === 422
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
		if (endpoint === 'generate' && this.settings.generateProfileIds === 'reject422') {
			for (const field of ['profile_ids', 'images']) {
				if (body[field] !== undefined)
					issues.add([field], 'Extra inputs are not permitted', 'extra_forbidden');
			}
		}
		issues.throwIfAny();

		const fail = (code: string, detail: string) =>
			new HttpError(this.error(400, requestId, code, detail));
		if (modelEndpoint) {
			const model = (body.base_model ?? 'nb2') as string;
			if (!MODEL_RESOLUTIONS[model])
				throw fail('INVALID_BASE_MODEL', `Unknown base_model ${model}.`);
			const resolution = (body.resolution ?? '1K') as string;
			if (!MODEL_RESOLUTIONS[model].includes(resolution))
				throw fail('UNSUPPORTED_RESOLUTION', `${model} does not support resolution ${resolution}.`);
			if (body.quality !== undefined && body.quality !== null && model !== 'gpt-image-2')
				throw fail('INVALID_QUALITY', 'quality is only supported with base_model gpt-image-2.');
		}
		if (isRemix && this.settings.remixExtraFields === 'reject400') {
			for (const field of ['base_model', 'aspect_ratio', 'resolution']) {
				if (body[field] !== undefined)
					throw fail('UNSUPPORTED_FIELD', `remix does not accept ${field}.`);
			}
		}
		if (body.async === true && this.settings.asyncRequiresUrls && mode !== 'urls')
			throw fail('ASYNC_REQUIRES_URLS', 'async requires response_mode "urls".');
		if (body.callback_url !== undefined && body.async !== true)
			throw fail('CALLBACK_REQUIRES_ASYNC', 'callback_url is only allowed with async: true.');
		if (
			typeof body.callback_url === 'string' &&
			this.settings.requireHttpsCallback &&
			!body.callback_url.startsWith('https://')
		) {
			throw fail('INVALID_CALLBACK_URL', 'callback_url must use https.');
		}
		for (const [field, value] of imageInputs(body)) {
			if (!this.isImageInput(value))
				throw fail(
					'INVALID_IMAGE',
					`${field} is neither an image URL nor base64 of a JPEG, PNG, WebP or HEIC image.`,
				);
		}
		const prompt = (body.prompt ?? '') as string;
		if (prompt.includes('__MODERATE__'))
			throw fail('CONTENT_MODERATION', 'The request was blocked by content moderation.');

		const tokenIds = [...prompt.matchAll(TOKEN)].map((match) => match[1].trim());
		const candidateIds = [
			...new Set([
				...(endpoint === 'generate' ? [] : ((body.profile_ids as string[] | undefined) ?? [])),
				...tokenIds,
			]),
		];
		const readyIds: string[] = [];
		for (const id of candidateIds) {
			const profile = this.profileStore.get(id);
			const ready =
				profile !== undefined &&
				profile.apiKey === call.apiKey &&
				this.profileStatus(profile) === 'READY';
			if (ready) readyIds.push(id);
			else if (this.settings.unknownProfileIds === 'reject404') {
				throw new HttpError(
					this.error(
						404,
						requestId,
						'PROFILE_NOT_FOUND',
						`Profile ${id} does not exist or is not READY.`,
					),
				);
			}
		}

		const cost = num * this.settings.prices.perImage;
		const resolution = modelEndpoint ? ((body.resolution ?? '1K') as '1K' | '2K' | '4K') : '2K';
		const result = this.renderImages(
			requestId,
			num,
			format,
			mode === 'urls' || body.async === true ? 'urls' : 'bytes',
			resolution,
			readyIds,
		);

		if (body.async === true) return this.submitJob(call, endpoint, result, cost);

		const timedOut =
			prompt.includes('__TIMEOUT__') ||
			(this.settings.syncTimeLimitMs !== undefined && latency > this.settings.syncTimeLimitMs);
		if (timedOut) {
			return {
				status: 504,
				body: {
					detail:
						'The request exceeded the synchronous time limit; the reserved cost was refunded.',
				},
			};
		}
		this.charge(call, cost);
		return { status: 200, body: result, headers: { 'X-Phota-Deprecation-Date': '2026-05-08' } };
	}

	private renderImages(
		seed: string,
		count: number,
		format: string,
		mode: 'bytes' | 'urls',
		resolution: '1K' | '2K' | '4K',
		readyIds: string[],
	): SimJob['result'] {
		const targetBytes = this.settings.outputBytes[resolution] ?? 0;
		// Real images, drawn small (128/192/256 px for 1K/2K/4K) so tests stay fast.
		const pixels = { '1K': 128, '2K': 192, '4K': 256 }[resolution];
		const files = Array.from({ length: count }, (_, index) =>
			format === 'jpg'
				? makeJpeg(`${seed}-${index}`, pixels, targetBytes)
				: makePng(`${seed}-${index}`, pixels, targetBytes),
		);
		const counts = Object.fromEntries(readyIds.map((id) => [id, count]));
		if (mode === 'bytes')
			return {
				known_subjects: { counts },
				images: files.map((file) => file.toString('base64')),
				download_urls: [],
			};
		return {
			known_subjects: { counts },
			images: [],
			download_urls: files.map((file) => this.storeFile(file, format)),
		};
	}

	private storeFile(bytes: Buffer, format: string): string {
		const token = randomBytes(8).toString('hex');
		const expiresAt = this.now() + this.settings.downloadUrlTtlMs;
		const extension = format === 'jpg' ? 'jpg' : 'png';
		this.files.set(`${token}.${extension}`, {
			bytes,
			mime: format === 'jpg' ? 'image/jpeg' : 'image/png',
			expiresAt,
		});
		const sig = createHmac('sha256', this.settings.webhookSecret)
			.update(`${token}${expiresAt}`)
			.digest('hex')
			.slice(0, 16);
		return `${this.baseUrl}/files/${token}.${extension}?expires=${expiresAt}&sig=${sig}`;
	}

	private serveFile(name: string, query: Record<string, string>): Reply {
		const file = this.files.get(name);
		if (!file) return { status: 404, body: { detail: 'Not Found' } };
		if (this.now() > file.expiresAt || Number(query.expires) !== file.expiresAt) {
			return { status: 403, body: { detail: 'Request has expired' } };
		}
		return { status: 200, raw: file.bytes, contentType: file.mime };
	}

	private isImageInput(value: unknown): boolean {
		if (typeof value !== 'string') return false;
		if (/^https?:\/\/\S+$/.test(value)) return true;
		let base64 = value;
		const dataUri = /^data:image\/[a-z+]+;base64,/i.exec(value);
		if (dataUri) {
			if (!this.settings.acceptDataUriPrefix) return false;
			base64 = value.slice(dataUri[0].length);
		}
		return sniffImage(Buffer.from(base64, 'base64')) !== undefined;
	}

	// ---------------------------------------------------------------- jobs

	private submitJob(call: Call, endpoint: string, result: SimJob['result'], cost: number): Reply {
		const clientRequestId = call.body.client_request_id as string | undefined;
		if (clientRequestId) {
			const existing = [...this.jobStore.values()].find(
				(job) => job.apiKey === call.apiKey && job.clientRequestId === clientRequestId,
			);
			if (existing)
				return {
					status: 202,
					body: { job_id: existing.id, poll_url: `${API_PREFIX}/jobs/${existing.id}` },
				};
		}
		this.charge(call, cost);
		const id = `job_${randomBytes(6).toString('hex')}`;
		const job = {
			id,
			endpoint,
			createdAt: this.now(),
			clientRequestId,
			callbackUrl: call.body.callback_url as string | undefined,
			fail: ((call.body.prompt ?? '') as string).includes('__JOB_FAIL__'),
			result,
			apiKey: call.apiKey,
			cost,
		};
		this.jobStore.set(id, job);
		if (job.fail) this.refund(call.apiKey, cost);
		if (job.callbackUrl) {
			const { queued, running } = this.settings.jobPhasesMs;
			const timer = setTimeout(
				() => {
					this.timers.delete(timer);
					this.deliverDueCallbacks();
				},
				queued + running + 5,
			);
			this.timers.add(timer);
		}
		return { status: 202, body: { job_id: id, poll_url: `${API_PREFIX}/jobs/${id}` } };
	}

	private jobStatus(job: Omit<SimJob, 'status'>): string {
		const elapsed = this.now() - job.createdAt;
		if (elapsed < this.settings.jobPhasesMs.queued) return 'queued';
		if (elapsed < this.settings.jobPhasesMs.queued + this.settings.jobPhasesMs.running)
			return 'running';
		return job.fail ? 'failed' : 'succeeded';
	}

	private jobDocument(job: Omit<SimJob, 'status'>) {
		const status = this.jobStatus(job);
		return {
			job_id: job.id,
			status,
			result: status === 'succeeded' ? job.result : null,
			error:
				status === 'failed'
					? { code: 'GENERATION_FAILED', detail: 'The image could not be generated.' }
					: null,
		};
	}

	private getJob(call: Call): Reply {
		const job = this.jobStore.get(call.params[0]);
		if (!job || job.apiKey !== call.apiKey)
			throw new HttpError(
				this.error(404, call.requestId, 'NOT_FOUND', `Job ${call.params[0]} not found.`),
			);
		return { status: 200, body: this.jobDocument(job) };
	}

	/** Sends the callback of every finished job that has one and was not called back yet. */
	private deliverDueCallbacks(): void {
		if (this.settings.dropCallbacks) return;
		for (const job of this.jobStore.values()) {
			if (!job.callbackUrl || this.callbacksSent.has(job.id)) continue;
			if (!['succeeded', 'failed'].includes(this.jobStatus(job))) continue;
			this.callbacksSent.add(job.id);
			void this.deliverCallback(job, this.settings.callbackRetries);
		}
	}

	private async deliverCallback(job: Omit<SimJob, 'status'>, retriesLeft: number): Promise<void> {
		const payload = JSON.stringify(this.jobDocument(job));
		const signature = createHmac('sha256', this.settings.webhookSecret)
			.update(payload)
			.digest('hex');
		try {
			const response = await undiciRequest(job.callbackUrl as string, {
				method: 'POST',
				headers: { 'content-type': 'application/json', 'x-phota-signature': signature },
				body: payload,
			});
			await response.body.dump();
			if (response.statusCode >= 300 && retriesLeft > 0)
				await this.deliverCallback(job, retriesLeft - 1);
		} catch {
			if (retriesLeft > 0) await this.deliverCallback(job, retriesLeft - 1);
		}
	}

	// ---------------------------------------------------------------- credits, errors, admin, plumbing

	private charge(call: Call, cost: number): void {
		const balance = this.settings.creditBalance;
		const spent = this.spent.get(call.apiKey) ?? 0;
		if (balance !== null && spent + cost > balance) {
			throw new HttpError(
				this.error(
					402,
					call.requestId,
					'INSUFFICIENT_CREDIT',
					'Insufficient prepaid credit balance.',
				),
			);
		}
		this.spent.set(call.apiKey, spent + cost);
	}

	private refund(apiKey: string, cost: number): void {
		this.spent.set(apiKey, (this.spent.get(apiKey) ?? 0) - cost);
	}

	/** Credits charged to `apiKey` so far. */
	spentBy(apiKey: string): number {
		return this.spent.get(apiKey) ?? 0;
	}

	private error(status: number, requestId: string, code: string, detail: string): Reply {
		// ASSUMPTION (§9.13): error bodies are {code, detail, request_id}.
		return { status, body: { code, detail, request_id: requestId } };
	}

	private async admin(method: string, path: string, rawBody: Buffer): Promise<Reply> {
		const body = (parseJson(rawBody) ?? {}) as Record<string, unknown>;
		const key = `${method} ${path}`;
		switch (key) {
			case 'GET /__sim/log':
				return {
					status: 200,
					body: { entries: this.log.entries, maxInFlight: this.log.maxInFlight },
				};
			case 'POST /__sim/reset':
				this.reset();
				return { status: 200, body: { ok: true } };
			case 'POST /__sim/faults': {
				const { routeRegex, ...spec } = body as unknown as FaultSpec & { routeRegex?: string };
				this.faults.add({
					...spec,
					...(routeRegex ? { route: new RegExp(routeRegex) } : {}),
					times: spec.times ?? 1,
				} as FaultSpec);
				return { status: 200, body: { pending: this.faults.pending } };
			}
			case 'PATCH /__sim/settings':
				Object.assign(this.settings, body);
				return { status: 200, body: { ok: true } };
			case 'POST /__sim/clock':
				this.advanceClock(Number(body.advanceMs ?? 0));
				return { status: 200, body: { now: this.now() } };
			case 'GET /__sim/profiles':
				return {
					status: 200,
					body: { profiles: this.profiles().map(({ apiKey: _apiKey, ...rest }) => rest) },
				};
			case 'GET /__sim/jobs':
				return {
					status: 200,
					body: { jobs: this.jobs().map(({ apiKey: _apiKey, ...rest }) => rest) },
				};
			default:
				return { status: 404, body: { detail: `Unknown admin endpoint ${key}` } };
		}
	}

	private send(res: ServerResponse, reply: Reply, _route: string): void {
		if (res.destroyed) return;
		const headers: Record<string, string> = { ...reply.headers };
		let payload: Buffer;
		if (reply.raw) {
			payload = reply.raw;
			headers['Content-Type'] = reply.contentType ?? 'application/octet-stream';
		} else {
			payload = Buffer.from(reply.body === undefined ? '' : JSON.stringify(reply.body));
			headers['Content-Type'] = 'application/json';
		}
		headers['Content-Length'] = String(payload.length);
		res.writeHead(reply.status, headers);
		res.end(payload);
	}

	private async sleep(ms: number): Promise<void> {
		await new Promise<void>((resolve) => {
			const timer = setTimeout(() => {
				this.timers.delete(timer);
				resolve();
			}, ms);
			this.timers.add(timer);
		});
	}
}

class Issues {
	private list: Array<{ loc: Array<string | number>; msg: string; type: string }> = [];

	add(path: Array<string | number>, msg: string, type: string): void {
		this.list.push({ loc: ['body', ...path], msg, type });
	}

	throwIfAny(): void {
		if (this.list.length) throw new HttpError({ status: 422, body: { detail: this.list } });
	}
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

function normaliseRoute(method: string, path: string): { route: string; params: string[] } {
	const patterns: Array<[RegExp, string]> = [
		[/^\/profiles\/ids\/?$/, '/profiles/ids'],
		[/^\/profiles\/add\/?$/, '/profiles/add'],
		[/^\/profiles\/([^/]+)\/status\/?$/, '/profiles/:id/status'],
		[/^\/profiles\/([^/]+)\/profile_picture\/?$/, '/profiles/:id/profile_picture'],
		[/^\/profiles\/([^/]+)\/?$/, '/profiles/:id'],
		[/^\/jobs\/([^/]+)\/?$/, '/jobs/:id'],
		[/^\/files\/([^/]+)$/, '/files/:name'],
	];
	for (const [pattern, name] of patterns) {
		const match = pattern.exec(path);
		if (match)
			return { route: `${method} ${name}`, params: match.slice(1).map(decodeURIComponent) };
	}
	return { route: `${method} ${path.replace(/\/+$/, '') || '/'}`, params: [] };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

function parseJson(raw: Buffer): unknown {
	if (raw.length === 0) return undefined;
	try {
		return JSON.parse(raw.toString('utf8')) as unknown;
	} catch {
		return undefined;
	}
}

function headerValue(value: string | string[] | undefined): string | undefined {
	return Array.isArray(value) ? value[0] : value;
}

function redactHeaders(headers: IncomingMessage['headers']): Record<string, string> {
	const redacted: Record<string, string> = {};
	for (const [name, value] of Object.entries(headers)) {
		if (value === undefined) continue;
		redacted[name] =
			name.toLowerCase() === 'x-api-key'
				? '[redacted]'
				: Array.isArray(value)
					? value.join(', ')
					: value;
	}
	return redacted;
}

export async function startSimulator(options: StartOptions = {}): Promise<PhotaSimulator> {
	const { port = 0, host = '127.0.0.1', ...overrides } = options;
	const simulator = new PhotaSimulator({ ...defaultSettings(), ...overrides });
	await simulator.listen(port, host);
	return simulator;
}
