/**
 * What the simulator holds between requests. The handler modules (profiles.ts, imageEndpoints.ts,
 * jobs.ts, billing.ts) take it as their first argument; PhotaSimulator (server.ts) owns one.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';

import type { CallbackFaultKind } from './callbackFaults';
import { CallbackFaultQueue } from './callbackFaults';
import { FaultInjector } from './faultInjector';
import { API_PREFIX } from './http';
import { RequestLog } from './log';
import type { SimulatorSettings, TrainingOutcome, TrainingPhasesMs } from './settings';

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
	/** Its queued phase (settings.jobPhasesMs) and running phase (the route's latency, if set). */
	phasesMs: { queued: number; running: number };
	/** When it finished on the simulator's clock (createdAt + both phases); null until then. */
	finishedAt: number | null;
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

/** One POST of a job's callback (sim.callbacks(), GET /__sim/callbacks). The secret is never recorded. */
export interface CallbackRecord {
	jobId: string;
	url: string;
	/** 1 for the first POST of the job's callback, then 2, 3… (retries, repeats); 0 when dropped. */
	attempt: number;
	/** The callback fault it was sent under (or not sent, for `drop`; dropCallbacks counts as one). */
	fault?: CallbackFaultKind;
	/** When it was sent (or dropped), on the simulator's clock. */
	sentAt: number;
	/** The receiver's answer, once it came (any status; only 2xx counts as delivered). */
	answeredStatus?: number;
	/** When the answer came, or the error. */
	answeredAt?: number;
	/** Why no answer came (connection refused, reset…), instead of answeredStatus. */
	error?: string;
	/** The X-Phota-Signature header sent. */
	signature?: string;
}

/** Profiles and jobs are stored without their status: it follows from the clock when asked. */
export type StoredProfile = Omit<SimProfile, 'status'>;
export type StoredJob = Omit<SimJob, 'status'>;

/** A file behind a signed download URL. */
export interface StoredFile {
	bytes: Buffer;
	mime: string;
	expiresAt: number;
	host: 'api' | 'other';
}

export class SimState {
	readonly log = new RequestLog();
	readonly faults = new FaultInjector();
	readonly callbackFaults = new CallbackFaultQueue();
	readonly otherHost = new OtherHost();
	settings: SimulatorSettings;
	/** The API listener's origin, no path (set by PhotaSimulator.listen). */
	origin = '';
	/** Request counter behind the X-Request-Id values; reset() keeps it. */
	seq = 0;
	profileCount = 0;
	readonly profileStore = new Map<string, StoredProfile>();
	readonly jobStore = new Map<string, StoredJob>();
	readonly callbackRecords: CallbackRecord[] = [];
	/** Aborted by reset() and close(): deliveries under way stop and record nothing more. */
	callbackRun = callbackRunController();
	readonly files = new Map<string, StoredFile>();
	/** Signs the download URLs: the CDN's own key, so rotating webhookSecret leaves them valid. */
	readonly fileKey = randomBytes(16).toString('hex');
	/** Credits charged per API key. */
	readonly spent = new Map<string, number>();
	/** Times of the requests of the last second (settings.rateLimit.perSecond). */
	rateWindow: number[] = [];
	clockOffset = 0;
	/** How many latencies each route has drawn with `spread: 'even'`. */
	readonly evenDraws = new Map<string, number>();
	private readonly timers = new Set<NodeJS.Timeout>();

	constructor(private readonly initialSettings: SimulatorSettings) {
		this.settings = { ...initialSettings };
	}

	/** The API's base URL, e.g. http://127.0.0.1:8787/v1/phota. */
	get baseUrl(): string {
		return `${this.origin}${API_PREFIX}`;
	}

	/** The simulated clock: the real one moved on by sim.advanceClock(). */
	now(): number {
		return Date.now() + this.clockOffset;
	}

	/** A timer that clearTimers() (on close) clears. */
	schedule(callback: () => void, ms: number): void {
		const timer = setTimeout(() => {
			this.timers.delete(timer);
			callback();
		}, ms);
		this.timers.add(timer);
	}

	async sleep(ms: number): Promise<void> {
		await new Promise<void>((resolve) => this.schedule(resolve, ms));
	}

	clearTimers(): void {
		for (const timer of this.timers) clearTimeout(timer);
		this.timers.clear();
	}

	stopCallbacks(): void {
		this.callbackRun.abort();
		this.callbackRun = callbackRunController();
	}

	/**
	 * Back to the settings it started with, no profiles, jobs, callbacks under way or recorded, files,
	 * charges, log or faults.
	 */
	reset(): void {
		this.settings = { ...this.initialSettings };
		this.log.clear();
		this.faults.clear();
		this.callbackFaults.clear();
		this.clockOffset = 0;
		this.profileCount = 0;
		this.profileStore.clear();
		this.jobStore.clear();
		this.stopCallbacks();
		this.callbackRecords.length = 0;
		this.files.clear();
		this.spent.clear();
		this.rateWindow = [];
		this.evenDraws.clear();
		this.otherHost.clear();
	}
}

/**
 * The controller every callback delivery of a run listens to: any number of deliveries may be under
 * way at once (one listener each, removed when it ends), so Node's leak warning past 10 is off.
 */
function callbackRunController(): AbortController {
	const controller = new AbortController();
	setMaxListeners(0, controller.signal);
	return controller;
}
