export interface LoggedRequest {
	seq: number;
	method: string;
	/** Which listener received it: the API host, or the other host (signed download URLs). */
	host: 'api' | 'other';
	/** Path without the query string, e.g. `/v1/phota/profiles/ids` (other host: `/files/<name>`). */
	path: string;
	/** Normalised route without the /v1/phota prefix, e.g. `GET /profiles/:id/status`. */
	route: string;
	query: Record<string, string>;
	body: unknown;
	bodyBytes: number;
	/** Whether the X-API-Key was one of the simulator's keys. The key itself is never stored. */
	apiKeyValid: boolean;
	/** Request headers with x-api-key redacted. */
	headers: Record<string, string>;
	status: number;
	startedAt: number;
	endedAt: number;
	fault?: string;
	/** Whether the simulator did the work (created, charged, answered < 400), even if a fault then hid the answer. */
	processed: boolean;
}

export class RequestLog {
	readonly entries: LoggedRequest[] = [];

	/** Called for every finished request (the CLI prints them). */
	onEntry?: (entry: LoggedRequest) => void;

	private inFlight = new Map<string, number>();
	private inFlightTotal = 0;
	private peak = 0;
	private peakByRoute = new Map<string, number>();

	get maxInFlight(): number {
		return this.peak;
	}

	maxInFlightFor(route: string): number {
		return this.peakByRoute.get(route) ?? 0;
	}

	count(route?: string): number {
		return route === undefined ? this.entries.length : this.forRoute(route).length;
	}

	forRoute(route: string): LoggedRequest[] {
		return this.entries.filter((entry) => entry.route === route);
	}

	clear(): void {
		this.entries.length = 0;
		this.peak = this.inFlightTotal;
		this.peakByRoute.clear();
	}

	started(route: string): void {
		this.inFlightTotal += 1;
		const routeCount = (this.inFlight.get(route) ?? 0) + 1;
		this.inFlight.set(route, routeCount);
		this.peak = Math.max(this.peak, this.inFlightTotal);
		this.peakByRoute.set(route, Math.max(this.peakByRoute.get(route) ?? 0, routeCount));
	}

	finished(entry: LoggedRequest): void {
		this.inFlightTotal -= 1;
		this.inFlight.set(entry.route, (this.inFlight.get(entry.route) ?? 1) - 1);
		this.entries.push(entry);
		this.onEntry?.(entry);
	}

	get currentInFlight(): number {
		return this.inFlightTotal;
	}
}

export type FaultKind =
	| 'status'
	| 'delay'
	| 'reset'
	| 'hang'
	| 'redirect'
	| 'cut'
	| 'html'
	| 'trickle'
	| 'stall';

export const FAULT_KINDS: readonly FaultKind[] = [
	'status',
	'delay',
	'reset',
	'hang',
	'redirect',
	'cut',
	'html',
	'trickle',
	'stall',
];

/**
 * One injected fault. Before processing (the default) the request is not run at all; with
 * `afterProcessing: true` it is run (created, charged) first and the fault replaces the real answer.
 *
 * - `status`: answers `status` (default 500) with `body` (default an INJECTED_FAULT error), optional
 *   Retry-After (`retryAfterSeconds`, as an HTTP-date when `retryAfterDate`). `status: 200` with a
 *   custom `body` crafts odd success answers.
 * - `delay`: waits `delayMs`, then goes on normally.
 * - `reset`: destroys the socket without an answer. `hang`: never answers.
 * - `redirect`: answers `status` (default 307) with a Location to the same path and query on the
 *   other host (`redirectTo: 'otherHost'`, default) or on the origin that received it ('sameOrigin').
 * - `cut`: sends status line and headers with the full Content-Length, half the body, then destroys
 *   the socket.
 * - `html`: answers `status` (default 502) with a text/html gateway page of about `bodyBytes`
 *   (default 6000) bytes.
 * - `trickle`: sends the body one byte every `delayMs` (default 500).
 * - `stall`: sends headers (full Content-Length) and the first few body bytes, then nothing more.
 *
 * `cut`, `trickle` and `stall` send the real answer after processing, else `status` (default 200)
 * and `body`.
 */
export interface FaultSpec {
	/** Matches LoggedRequest.route; all API routes (and signed downloads) when omitted. */
	route?: string | RegExp;
	kind: FaultKind;
	status?: number;
	retryAfterSeconds?: number;
	/** `status`: send Retry-After as an HTTP-date (now + retryAfterSeconds) instead of seconds. */
	retryAfterDate?: boolean;
	body?: unknown;
	/** `delay`: how long to wait; `trickle`: the pause between two body bytes. */
	delayMs?: number;
	/** `redirect`: where Location points (default 'otherHost'). */
	redirectTo?: 'otherHost' | 'sameOrigin';
	/** `html`: approximate size of the HTML page. */
	bodyBytes?: number;
	/** How many matching requests it applies to (default 1). */
	times?: number;
	/** Process the request first (create, charge), then fail: "processed but the answer was lost". */
	afterProcessing?: boolean;
}

export class FaultInjector {
	private faults: Array<FaultSpec & { remaining: number }> = [];

	add(spec: FaultSpec): void {
		this.faults.push({ ...spec, remaining: spec.times ?? 1 });
	}

	clear(): void {
		this.faults = [];
	}

	get pending(): number {
		return this.faults.reduce(
			(sum, fault) => sum + (Number.isFinite(fault.remaining) ? fault.remaining : 1),
			0,
		);
	}

	/** Takes the first fault matching `route` and `phase`, counting it down. */
	take(route: string, afterProcessing: boolean): FaultSpec | undefined {
		const fault = this.faults.find(
			(candidate) =>
				candidate.remaining > 0 &&
				Boolean(candidate.afterProcessing) === afterProcessing &&
				(candidate.route === undefined ||
					(typeof candidate.route === 'string'
						? candidate.route === route
						: candidate.route.test(route))),
		);
		if (!fault) return undefined;
		fault.remaining -= 1;
		this.faults = this.faults.filter((candidate) => candidate.remaining > 0);
		return fault;
	}
}
