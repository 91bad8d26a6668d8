import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';

import { request as undiciRequest } from 'undici';

import { makeJpeg, makePng, sniffImage } from './images';
import type { FaultSpec, LoggedRequest } from './log';
import { FAULT_KINDS, FaultInjector, RequestLog } from './log';
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
const IMAGE_ROUTES = new Set(['POST /edit', 'POST /generate', 'POST /enhance', 'POST /remix']);
/** §3.8 / §10: sent on every answer of the image endpoints (202 and errors included). */
const DEPRECATION_DATE = '2026-05-08';

export interface StartOptions extends Partial<SimulatorSettings> {
	port?: number;
	host?: string;
	/** Port of the other host (signed download URLs); a free one when omitted. */
	otherPort?: number;
}

/** One request received by the other host. The key itself is never stored. */
export interface OtherHostRequest {
	method: string;
	/** Path without the query string. */
	path: string;
	query: Record<string, string>;
	/** Whether an X-API-Key header arrived (a key sent to a CDN host is a leak). */
	apiKeyPresent: boolean;
	/** Whether it was one of the simulator's keys. */
	apiKeyValid: boolean;
	/** Request headers with x-api-key redacted to '[redacted]'. */
	headers: Record<string, string>;
}

/**
 * A second origin (like Phota's CDN): same address, its own port. It serves the signed download
 * URLs (GET /files/<name>, logged in sim.log as `GET /files/:name`, faults apply) and answers any
 * other path with 200 {"ok": true, "host": "other"}. Every request is recorded in `requests`.
 */
export class OtherHost {
	readonly requests: OtherHostRequest[] = [];
	private origin_ = '';

	/** Origin, no path, e.g. http://127.0.0.1:40123. */
	get baseUrl(): string {
		return this.origin_;
	}

	clear(): void {
		this.requests.length = 0;
	}

	/** @internal */
	setOrigin(origin: string): void {
		this.origin_ = origin;
	}
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

interface Encoded {
	status: number;
	headers: Record<string, string>;
	payload: Buffer;
}

/** What applyFault needs to know about the request it answers. */
interface FaultContext {
	req: IncomingMessage;
	res: ServerResponse;
	requestId: string;
	/** Origin of the listener that received the request. */
	origin: string;
	finish: (status: number, fault?: string) => void;
}

class HttpError extends Error {
	constructor(readonly reply: Reply) {
		super(`HTTP ${reply.status}`);
	}
}

export class PhotaSimulator {
	readonly log = new RequestLog();
	readonly faults = new FaultInjector();
	readonly otherHost = new OtherHost();
	settings: SimulatorSettings;

	private server: Server;
	private otherServer: Server;
	private sockets = new Set<Socket>();
	private clockOffset = 0;
	private seq = 0;
	private profileCount = 0;
	private profileStore = new Map<string, Omit<SimProfile, 'status'>>();
	private jobStore = new Map<string, Omit<SimJob, 'status'>>();
	private callbacksSent = new Set<string>();
	private files = new Map<
		string,
		{ bytes: Buffer; mime: string; expiresAt: number; host: 'api' | 'other' }
	>();
	private spent = new Map<string, number>();
	private rateWindow: number[] = [];
	private timers = new Set<NodeJS.Timeout>();
	private origin_ = '';

	constructor(private readonly initialSettings: SimulatorSettings) {
		this.settings = { ...initialSettings };
		this.server = createServer((req, res) => void this.handle(req, res));
		this.otherServer = createServer((req, res) => void this.handleOther(req, res));
		for (const server of [this.server, this.otherServer]) {
			server.on('connection', (socket) => {
				this.sockets.add(socket);
				socket.on('close', () => this.sockets.delete(socket));
			});
		}
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

	async listen(port: number, host: string, otherPort = 0): Promise<void> {
		for (const [server, wanted] of [
			[this.server, port],
			[this.otherServer, otherPort],
		] as const) {
			await new Promise<void>((resolve, reject) => {
				server.once('error', reject);
				server.listen(wanted, host, () => {
					server.off('error', reject);
					resolve();
				});
			});
		}
		this.origin_ = `http://${host}:${this.port}`;
		this.otherHost.setOrigin(`http://${host}:${(this.otherServer.address() as AddressInfo).port}`);
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
		this.otherHost.clear();
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
		this.timers.clear();
		for (const socket of this.sockets) socket.destroy();
		await Promise.all(
			[this.server, this.otherServer].map(
				async (server) => await new Promise<void>((resolve) => server.close(() => resolve())),
			),
		);
	}

	// ---------------------------------------------------------------- request pipeline

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', 'http://simulator');
		const query = Object.fromEntries(url.searchParams.entries());
		const rawBody = await readBody(req);

		if (url.pathname.startsWith('/__sim/')) {
			this.send(res, await this.admin(req.method ?? 'GET', url.pathname, rawBody));
			return;
		}
		if (!url.pathname.startsWith(API_PREFIX)) {
			this.send(res, { status: 404, body: { detail: 'Not Found' } }, req);
			return;
		}

		const { route, params } = normaliseRoute(
			req.method ?? 'GET',
			url.pathname.slice(API_PREFIX.length),
		);
		await this.pipeline(req, res, url, rawBody, 'api', route, (requestId, apiKey) =>
			this.process(req, route, params, query, rawBody, apiKey, requestId),
		);
	}

	/** The other host: signed downloads go through the pipeline, anything else gets a plain 200. */
	private async handleOther(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', 'http://simulator');
		const query = Object.fromEntries(url.searchParams.entries());
		const rawBody = await readBody(req);
		const apiKey = headerValue(req.headers['x-api-key']);
		this.otherHost.requests.push({
			method: req.method ?? 'GET',
			path: url.pathname,
			query,
			apiKeyPresent: apiKey !== undefined,
			apiKeyValid: apiKey !== undefined && this.settings.apiKeys.includes(apiKey),
			headers: redactHeaders(req.headers),
		});
		const file = req.method === 'GET' ? /^\/files\/([^/]+)$/.exec(url.pathname) : null;
		if (file) {
			const name = decodeURIComponent(file[1]);
			await this.pipeline(req, res, url, rawBody, 'other', 'GET /files/:name', async () =>
				this.serveFile(name, query, 'other'),
			);
			return;
		}
		this.send(res, { status: 200, body: { ok: true, host: 'other' } }, req);
	}

	/** Logs the request, applies faults before and after processing, and sends the answer. */
	private async pipeline(
		req: IncomingMessage,
		res: ServerResponse,
		url: URL,
		rawBody: Buffer,
		host: 'api' | 'other',
		route: string,
		run: (requestId: string, apiKey: string | undefined) => Promise<Reply>,
	): Promise<void> {
		const requestId = `req_${(++this.seq).toString().padStart(6, '0')}`;
		const apiKey = headerValue(req.headers['x-api-key']);
		const entry: LoggedRequest = {
			seq: this.seq,
			method: req.method ?? 'GET',
			host,
			path: url.pathname,
			route,
			query: Object.fromEntries(url.searchParams.entries()),
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
		let finished = false;
		const finish = (status: number, fault?: string) => {
			if (finished) return;
			finished = true;
			entry.status = status;
			entry.endedAt = Date.now();
			if (fault) entry.fault = fault;
			this.log.finished(entry);
		};
		const context: FaultContext = {
			req,
			res,
			requestId,
			origin: host === 'api' ? this.origin_ : this.otherHost.baseUrl,
			finish,
		};

		const before = this.faults.take(route, false);
		if (before) {
			const handled = await this.applyFault(before, context);
			if (handled) return;
		}

		let reply: Reply;
		try {
			reply = await run(requestId, apiKey);
		} catch (error) {
			reply =
				error instanceof HttpError
					? error.reply
					: this.error(500, requestId, 'INTERNAL', String(error));
		}

		entry.processed = reply.status < 400;
		reply.headers = { ...reply.headers, 'X-Request-Id': requestId };
		if (IMAGE_ROUTES.has(route)) reply.headers['X-Phota-Deprecation-Date'] = DEPRECATION_DATE;
		if (
			reply.status >= 400 &&
			reply.body &&
			typeof reply.body === 'object' &&
			!Array.isArray(reply.body)
		) {
			(reply.body as Record<string, unknown>).request_id ??= requestId;
		}
		const after = this.faults.take(route, true);
		if (after) {
			const handled = await this.applyFault(after, context, reply);
			if (handled) return;
		}
		this.send(res, reply, req);
		finish(reply.status);
	}

	/**
	 * Answers with `fault` instead of the real answer (true), or lets the request go on (false,
	 * `delay`). `real` is the processed answer for afterProcessing faults.
	 */
	private async applyFault(
		fault: FaultSpec,
		context: FaultContext,
		real?: Reply,
	): Promise<boolean> {
		const { req, res, requestId, finish } = context;
		const injected = (defaultStatus: number, label: string): Reply => {
			const status = fault.status ?? defaultStatus;
			return {
				status,
				headers: { 'X-Request-Id': requestId },
				body: fault.body ?? {
					code: 'INJECTED_FAULT',
					detail: label === 'status' ? `Injected ${status}` : `Injected ${status} (${label})`,
					request_id: requestId,
				},
			};
		};
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
				const reply = injected(500, 'status');
				if (fault.retryAfterSeconds !== undefined)
					(reply.headers as Record<string, string>)['Retry-After'] = retryAfterValue(
						fault.retryAfterSeconds,
						fault.retryAfterDate ? 'date' : 'seconds',
					);
				this.send(res, reply, req);
				finish(reply.status, `status ${reply.status}`);
				return true;
			}
			case 'redirect': {
				const status = fault.status ?? 307;
				const target = fault.redirectTo ?? 'otherHost';
				const origin = target === 'otherHost' ? this.otherHost.baseUrl : context.origin;
				const location = `${origin}${req.url ?? '/'}`;
				this.send(
					res,
					{
						status,
						headers: { 'X-Request-Id': requestId, Location: location },
						body: { detail: `Moved to ${location}`, request_id: requestId },
					},
					req,
				);
				finish(status, `redirect ${status} ${target}`);
				return true;
			}
			case 'html': {
				const status = fault.status ?? 502;
				this.send(
					res,
					{
						status,
						headers: { 'X-Request-Id': requestId },
						raw: gatewayPage(status, fault.bodyBytes ?? 6000),
						contentType: 'text/html',
					},
					req,
				);
				finish(status, `html ${status}`);
				return true;
			}
			case 'cut': {
				const { status, headers, payload } = this.encode(real ?? injected(200, 'cut'));
				res.writeHead(status, headers);
				res.write(payload.subarray(0, Math.floor(payload.length / 2)), () => res.socket?.destroy());
				finish(status, 'cut');
				return true;
			}
			case 'stall': {
				const { status, headers, payload } = this.encode(real ?? injected(200, 'stall'));
				res.writeHead(status, headers);
				res.flushHeaders();
				const prefix = Math.min(8, Math.floor(payload.length / 2));
				if (prefix > 0) res.write(payload.subarray(0, prefix));
				finish(status, 'stall');
				return true;
			}
			case 'trickle': {
				const { status, headers, payload } = this.encode(real ?? injected(200, 'trickle'));
				const delayMs = fault.delayMs ?? 500;
				res.writeHead(status, headers);
				res.flushHeaders();
				let offset = 0;
				const step = () => {
					if (res.destroyed) {
						finish(status, 'trickle (client gone)');
						return;
					}
					if (offset < payload.length) {
						res.write(payload.subarray(offset, offset + 1));
						offset += 1;
					}
					if (offset >= payload.length) {
						res.end();
						finish(status, 'trickle');
						return;
					}
					this.schedule(step, delayMs);
				};
				this.schedule(step, delayMs);
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
		if (route === 'GET /files/:name') return this.serveFile(params[0], query, 'api');

		// §10: authentication comes first, so a bad key is never answered with 429.
		if (apiKey === undefined || apiKey === '') {
			return { status: this.settings.missingKeyStatus, body: { detail: 'Not authenticated' } };
		}
		if (!this.settings.apiKeys.includes(apiKey)) {
			return {
				status: 401,
				body: { detail: 'Missing or invalid API key in the X-API-Key header.' },
			};
		}

		const limited = this.rateLimited(requestId);
		if (limited) return limited;

		let body: Record<string, unknown> = {};
		if (req.method === 'POST') {
			// FastAPI reads a body as JSON only when it says so.
			if (!/^application\/json\b/i.test(headerValue(req.headers['content-type']) ?? '')) {
				return {
					status: 422,
					body: {
						detail: [
							{
								loc: ['body'],
								msg: 'Input should be a valid dictionary or object to extract fields from',
								type: 'model_attributes_type',
							},
						],
					},
				};
			}
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

		const latency = drawLatency(
			typeof this.settings.latencyMs === 'number'
				? this.settings.latencyMs
				: (this.settings.latencyMs[route] ?? 0),
		);
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
		const retryAfter = retryAfterValue(
			limit.retryAfterSeconds ?? 1,
			this.settings.retryAfterFormat,
		);
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
		const body: Record<string, unknown> = { profile_id: profile.id, status };
		if (status === 'ERROR' || status === 'INACTIVE')
			body.message = profile.message || 'Profile is inactive.';
		else if (this.settings.statusMessage === 'text') body.message = '';
		else if (this.settings.statusMessage === 'null') body.message = null;
		return { status: 200, body };
	}

	private profilePicture(call: Call): Reply {
		const profile = this.ownProfile(call);
		// ASSUMPTION (§9.16): settings.pictureBeforeReady.
		if (this.settings.pictureBeforeReady === 'reject404' && this.profileStatus(profile) !== 'READY')
			throw new HttpError(
				this.error(
					404,
					call.requestId,
					'NOT_FOUND',
					`Profile ${profile.id} has no picture before it is READY.`,
				),
			);
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
		const extraFields = isRemix
			? this.settings.remixExtraFields
			: endpoint === 'enhance'
				? this.settings.enhanceExtraFields
				: 'ignore';
		if (extraFields === 'reject400') {
			for (const field of ['base_model', 'aspect_ratio', 'resolution']) {
				if (body[field] !== undefined)
					throw fail('UNSUPPORTED_FIELD', `${endpoint} does not accept ${field}.`);
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

		// ASSUMPTION (§9.26): settings.tokensCountOnEnhanceRemix.
		const tokensCount = modelEndpoint || this.settings.tokensCountOnEnhanceRemix;
		const tokenIds = tokensCount ? [...prompt.matchAll(TOKEN)].map((match) => match[1].trim()) : [];
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
		return { status: 200, body: result };
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

	/** §3.2: a signed URL, valid downloadUrlTtlMs, on the host settings.downloadOrigin names. */
	private storeFile(bytes: Buffer, format: string): string {
		const token = randomBytes(8).toString('hex');
		const expiresAt = this.now() + this.settings.downloadUrlTtlMs;
		const extension = format === 'jpg' ? 'jpg' : 'png';
		const name = `${token}.${extension}`;
		const host = this.settings.downloadOrigin === 'api' ? 'api' : 'other';
		this.files.set(name, {
			bytes,
			mime: format === 'jpg' ? 'image/jpeg' : 'image/png',
			expiresAt,
			host,
		});
		const base = host === 'api' ? this.baseUrl : this.otherHost.baseUrl;
		return `${base}/files/${name}?expires=${expiresAt}&sig=${this.fileSignature(name, expiresAt)}`;
	}

	private fileSignature(name: string, expiresAt: number): string {
		return createHmac('sha256', this.settings.webhookSecret)
			.update(`${name}${expiresAt}`)
			.digest('hex')
			.slice(0, 16);
	}

	private serveFile(name: string, query: Record<string, string>, host: 'api' | 'other'): Reply {
		const file = this.files.get(name);
		if (!file || file.host !== host) return { status: 404, body: { detail: 'Not Found' } };
		if (this.now() > file.expiresAt || Number(query.expires) !== file.expiresAt) {
			return { status: 403, body: { detail: 'Request has expired' } };
		}
		if (query.sig !== this.fileSignature(name, file.expiresAt))
			return { status: 403, body: { detail: 'Signature does not match' } };
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
				if (!FAULT_KINDS.includes(spec.kind))
					return {
						status: 400,
						body: { detail: `kind must be one of ${FAULT_KINDS.join(', ')}` },
					};
				if (spec.redirectTo !== undefined && !['otherHost', 'sameOrigin'].includes(spec.redirectTo))
					return { status: 400, body: { detail: 'redirectTo must be otherHost or sameOrigin' } };
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

	/** The answer as bytes with Content-Type and the full Content-Length (no gzip, no chunking). */
	private encode(reply: Reply): Encoded {
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
		return { status: reply.status, headers, payload };
	}

	/**
	 * Sends a whole answer. With `req` (API and other-host answers, not admin ones) the
	 * transferEncoding and gzip settings apply.
	 */
	private send(res: ServerResponse, reply: Reply, req?: IncomingMessage): void {
		if (res.destroyed) return;
		const { status, headers, payload: plain } = this.encode(reply);
		let payload = plain;
		if (req) {
			const accepts = String(req.headers['accept-encoding'] ?? '');
			if (
				this.settings.gzip &&
				headers['Content-Type'] === 'application/json' &&
				/\bgzip\b/i.test(accepts)
			) {
				payload = gzipSync(plain);
				headers['Content-Encoding'] = 'gzip';
				headers['Vary'] = 'Accept-Encoding';
				headers['Content-Length'] = String(payload.length);
			}
			if (this.settings.transferEncoding === 'chunked') {
				delete headers['Content-Length'];
				res.writeHead(status, headers);
				// A few chunks, so a client that expects the body in one piece is caught out.
				const size = Math.max(1, Math.ceil(payload.length / 3));
				for (let offset = 0; offset < payload.length; offset += size)
					res.write(payload.subarray(offset, offset + size));
				res.end();
				return;
			}
		}
		res.writeHead(status, headers);
		res.end(payload);
	}

	/** A timer that close() clears. */
	private schedule(callback: () => void, ms: number): void {
		const timer = setTimeout(() => {
			this.timers.delete(timer);
			callback();
		}, ms);
		this.timers.add(timer);
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

/** Retry-After as delta-seconds, or as an HTTP-date at least that far ahead. */
/** A route's latency setting as this request's time: a fixed figure, or drawn from `{ min, max }`. */
function drawLatency(latency: number | { min: number; max: number }): number {
	if (typeof latency === 'number') return latency;
	return latency.min + Math.random() * (latency.max - latency.min);
}

function retryAfterValue(seconds: number, format: 'seconds' | 'date'): string {
	if (format === 'seconds') return String(seconds);
	return new Date(Math.ceil((Date.now() + seconds * 1000) / 1000) * 1000).toUTCString();
}

/** A gateway error page like nginx or a CDN sends, padded to about `bytes` bytes. */
function gatewayPage(status: number, bytes: number): Buffer {
	const reason =
		{
			500: 'Internal Server Error',
			502: 'Bad Gateway',
			503: 'Service Unavailable',
			504: 'Gateway Timeout',
		}[status] ?? 'Error';
	const head =
		`<html><head><title>${status} ${reason}</title></head>\n<body>\n` +
		`<center><h1>${status} ${reason}</h1></center>\n<hr><center>nginx</center>\n`;
	const tail = '</body>\n</html>\n';
	const filler = '<!-- a padding to disable MSIE and Chrome friendly error page -->\n';
	let padding = '';
	while (head.length + padding.length + filler.length + tail.length <= bytes) padding += filler;
	return Buffer.from(head + padding + tail);
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
	const { port = 0, host = '127.0.0.1', otherPort = 0, ...overrides } = options;
	const simulator = new PhotaSimulator({ ...defaultSettings(), ...overrides });
	await simulator.listen(port, host, otherPort);
	return simulator;
}
