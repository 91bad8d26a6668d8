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
	/** ASSUMPTION (§9.20): a data:image/...;base64, prefix is accepted on image inputs. */
	acceptDataUriPrefix: boolean;
	/** Simulated processing time per route (e.g. { 'POST /edit': 500 }), or one number for all API routes. */
	latencyMs: number | Record<string, number>;
	/** A sync image request whose latency exceeds this gets 504 and a refund (prompt __TIMEOUT__ forces it). */
	syncTimeLimitMs?: number;
	/** Prepaid credit per API key (null = unlimited); 402 when a request costs more than is left. */
	creditBalance: number | null;
	prices: { perImage: number; perProfile: number };
	/** Target size of each output image in bytes (0 = small natural size). Enhance and remix are 2K. */
	outputBytes: { '1K': number; '2K': number; '4K': number };
	downloadUrlTtlMs: number;
	/** ASSUMPTION (§9.18): no rate limit is documented; off unless set. */
	rateLimit?: { maxConcurrent?: number; perSecond?: number; retryAfterSeconds?: number };
	/** ASSUMPTION (§9.9): job lifecycle queued → running → succeeded | failed on this clock. */
	jobPhasesMs: { queued: number; running: number };
	webhookSecret: string;
	callbackRetries: number;
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
		acceptDataUriPrefix: true,
		latencyMs: 0,
		creditBalance: null,
		prices: { perImage: 1, perProfile: 3 },
		outputBytes: { '1K': 0, '2K': 0, '4K': 0 },
		downloadUrlTtlMs: 24 * 60 * 60 * 1000,
		jobPhasesMs: { queued: 200, running: 800 },
		webhookSecret: 'whsec_test_phota_simulator',
		callbackRetries: 2,
		dropCallbacks: false,
	};
}
