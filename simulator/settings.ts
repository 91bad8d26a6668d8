/**
 * Behaviour of the local Phota simulator. Everything ../shared/PHOTA_API.md marks as ASSUMPTION (an
 * unknown of its §9) is a named setting here, so it can be flipped once the real contract is known.
 */
export type TrainingOutcome = 'READY' | 'ERROR' | 'INACTIVE';

export interface ProfilePlanInput {
	index: number;
	imageUrls: string[];
	tag?: string;
	tier: string;
}

export interface ProfilePlan {
	phasesMs?: Partial<TrainingPhasesMs>;
	outcome?: TrainingOutcome;
	message?: string;
}

export interface TrainingPhasesMs {
	validating: number;
	queuing: number;
	inProgress: number;
}

export interface SimulatorSettings {
	apiKeys: string[];
	/** ASSUMPTION (§9.2): missing X-API-Key is 403 in OpenAPI v0.7.0, 401 in the auth guide. */
	missingKeyStatus: 401 | 403;
	trainingPhasesMs: TrainingPhasesMs;
	/** Per-profile durations and outcomes (tests); URL markers train-error / train-inactive do the same for CLI users. */
	profilePlan?: (input: ProfilePlanInput) => ProfilePlan | undefined;
	/** ASSUMPTION (§9.15): GET /profiles/ids items are bare strings or objects. */
	listFormat: 'strings' | 'objects';
	/** ASSUMPTION (§9.14): unknown or non-READY profile ids in a request: 404, or ignored. */
	unknownProfileIds: 'reject404' | 'ignore';
	/** ASSUMPTION (§9.5): a stray profile_ids / images field on /generate. */
	generateProfileIds: 'reject422' | 'ignore';
	/** ASSUMPTION (§9.3): status of an unknown base_model. */
	unknownBaseModelStatus: 400 | 422;
	/** ASSUMPTION (§9.14): remix with base_model / aspect_ratio / resolution. */
	remixExtraFields: 'reject400' | 'ignore';
	/** ASSUMPTION (§10): remix's num_output_images / output_format / response_mode have no defaults. */
	remixRequiredFieldsHaveDefaults: boolean;
	/** ASSUMPTION (§9.14): async requires response_mode "urls" (400 otherwise). */
	asyncRequiresUrls: boolean;
	/** ASSUMPTION (§9.14): callback_url must be https (400 otherwise). */
	requireHttpsCallback: boolean;
	/**
	 * Not Phota's (§3.4 says HTTPS): with requireHttpsCallback, an http:// callback_url to this machine
	 * (`localhost`, 127.x.x.x, [::1]) is accepted too, so tests and a local n8n can receive callbacks;
	 * any other http:// URL is still 400. CLI: --http-callbacks-on-loopback.
	 */
	httpCallbacksOnLoopback: boolean;
	/** ASSUMPTION (§9.20): a data:image/...;base64, prefix is accepted on image inputs. */
	acceptDataUriPrefix: boolean;
	/**
	 * Simulated processing time per route (e.g. { 'POST /edit': 500 }), or one number for all API
	 * routes. A route's `{ min, max }` draws each request's time uniformly from that range; with
	 * `spread: 'even'` the draws cover the range evenly in a scrambled order (a golden-ratio
	 * sequence per route), so a run of N requests averages the middle of the range within
	 * (max − min) / N, where random draws stray by about (max − min) / (3.5 √N). An async image
	 * request is answered at once and its job runs for the route's drawn latency instead (a route's
	 * entry, or the one number when above 0; jobPhasesMs.running otherwise).
	 */
	latencyMs: number | Record<string, number | LatencyRange>;
	/**
	 * A sync image request whose latency exceeds this gets 504 and a refund (prompt __TIMEOUT__ forces
	 * it). ASSUMPTION (§3.4: async jobs get a longer budget): async jobs have no limit.
	 */
	syncTimeLimitMs?: number;
	/** Prepaid credit per API key (null = unlimited); 402 when a request costs more than is left. */
	creditBalance: number | null;
	prices: { perImage: number; perProfile: number };
	/** Target size of each output image in bytes (0 = small natural size). Enhance and remix are 2K. */
	outputBytes: { '1K': number; '2K': number; '4K': number };
	/**
	 * ASSUMPTION (§3.7 gives no pixel sizes): the long edge of an output image per resolution; the
	 * short edge follows the aspect ratio (4:3 at 2K is 2048×1536, 16:9 at 1K is 1024×576).
	 */
	outputLongEdgePx: { '1K': number; '2K': number; '4K': number };
	/**
	 * ASSUMPTION (§3.7, §5.4): the aspect of an 'auto' (or unsent) aspect_ratio on edit, and of enhance
	 * and remix: 'nearestToInput' = the listed ratio nearest the first input image's (1:1 for URL
	 * inputs and generate, which has none), 'square' = always 1:1.
	 */
	autoAspectRatio: 'nearestToInput' | 'square';
	downloadUrlTtlMs: number;
	/**
	 * ASSUMPTION (§9.18): no rate limit is documented; off unless set. Checked after authentication
	 * (§10 puts auth first), so a wrong or missing key gets 401/403, never 429.
	 */
	rateLimit?: { maxConcurrent?: number; perSecond?: number; retryAfterSeconds?: number };
	/** ASSUMPTION (§9.18): Retry-After of the rate limiter's 429 as delta-seconds or an HTTP-date. */
	retryAfterFormat: 'seconds' | 'date';
	/**
	 * §5.9 / §9.6: profile status `message` when there is nothing to say (not ERROR / INACTIVE):
	 * 'text' = "" (the doc's example), 'null', or 'absent' (field left out). Clients must treat it as
	 * optional and nullable.
	 */
	statusMessage: 'text' | 'null' | 'absent';
	/** ASSUMPTION (§5.3, §9.14): /enhance with base_model / aspect_ratio / resolution; mirrors remixExtraFields. */
	enhanceExtraFields: 'reject400' | 'ignore';
	/** ASSUMPTION (§9.16): profile_picture before the profile is READY: served, or 404. */
	pictureBeforeReady: 'serve' | 'reject404';
	/** ASSUMPTION (§9.26): whether [[id]] tokens in the prompt of /enhance and /remix count as identities. */
	tokensCountOnEnhanceRemix: boolean;
	/**
	 * §3.2 / §5.1: signed download URLs point at a CDN host, not the API. 'otherHost' serves them from
	 * the simulator's second listener (sim.otherHost); 'api' from `${baseUrl}/files/...`.
	 */
	downloadOrigin: 'otherHost' | 'api';
	/** ASSUMPTION (not documented): answers framed by Content-Length, or chunked. */
	transferEncoding: 'content-length' | 'chunked';
	/** ASSUMPTION (not documented): gzip JSON answers when the request sends Accept-Encoding: gzip. */
	gzip: boolean;
	/**
	 * ASSUMPTION (§9.9): job lifecycle queued → running → succeeded | failed on this clock. `running`
	 * applies when settings.latencyMs gives the route no latency. A job keeps the phases it started with.
	 */
	jobPhasesMs: { queued: number; running: number };
	/** GET /webhook-secret and the callbacks' X-Phota-Signature; a change applies at once. */
	webhookSecret: string;
	/** ASSUMPTION (§9.10): retries of a callback answered non-2xx or not answered (connection error). */
	callbackRetries: number;
	/** The pause before each retry. */
	callbackRetryDelayMs: number;
	/** No callback is sent at all (tests that the client falls back to polling). */
	dropCallbacks: boolean;
}

export function defaultSettings(): SimulatorSettings {
	return {
		apiKeys: ['sim-key'],
		missingKeyStatus: 403,
		trainingPhasesMs: { validating: 1000, queuing: 1000, inProgress: 3000 },
		listFormat: 'strings',
		unknownProfileIds: 'reject404',
		generateProfileIds: 'reject422',
		unknownBaseModelStatus: 422,
		remixExtraFields: 'reject400',
		remixRequiredFieldsHaveDefaults: false,
		asyncRequiresUrls: true,
		requireHttpsCallback: true,
		httpCallbacksOnLoopback: false,
		acceptDataUriPrefix: true,
		latencyMs: 0,
		creditBalance: null,
		prices: { perImage: 1, perProfile: 3 },
		outputBytes: { '1K': 0, '2K': 0, '4K': 0 },
		outputLongEdgePx: { '1K': 1024, '2K': 2048, '4K': 4096 },
		autoAspectRatio: 'nearestToInput',
		downloadUrlTtlMs: 24 * 60 * 60 * 1000,
		retryAfterFormat: 'seconds',
		statusMessage: 'null',
		enhanceExtraFields: 'ignore',
		pictureBeforeReady: 'serve',
		tokensCountOnEnhanceRemix: true,
		downloadOrigin: 'otherHost',
		transferEncoding: 'content-length',
		gzip: false,
		jobPhasesMs: { queued: 200, running: 800 },
		webhookSecret: 'whsec_test_phota_simulator',
		callbackRetries: 2,
		callbackRetryDelayMs: 1000,
		dropCallbacks: false,
	};
}

export interface LatencyRange {
	min: number;
	max: number;
	spread?: 'random' | 'even';
}
