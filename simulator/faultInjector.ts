/**
 * The faults a test or script asks for (FaultSpec, through sim.faults or POST /__sim/faults) and
 * the queue that hands them to matching requests (FaultInjector). faults.ts applies them.
 */
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
