/**
 * When a failed Phota request may be sent again, and after how long.
 *
 * Phota bills image requests and profile training. A request is resent only when it certainly was
 * not processed (429, 503 with Retry-After, connection refused), when it is a read, or when it
 * carries an idempotency key (`client_request_id`) that makes a resend return the original job
 * instead of a second one.
 */

export interface RetryPolicy {
	/** Resends after the first attempt. */
	maxRetries: number;
	/** First backoff step in ms; doubles each attempt (with jitter). */
	baseDelayMs: number;
	/** No single backoff is longer than this; a longer Retry-After ends the retries instead. */
	maxDelayMs: number;
	/** How long one attempt may take before it counts as timed out; unset: the transport's default. */
	attemptTimeoutMs?: number;
	/** How long in all a request may wait out 429s (never processed, so resent for free). */
	rateLimitBudgetMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
	maxRetries: 3,
	baseDelayMs: 1_000,
	maxDelayMs: 60_000,
	rateLimitBudgetMs: 10 * 60_000,
};

/** One attempt only: for callers that retry on their own schedule (polls) or not at all (list search). */
export const NO_RETRIES: RetryPolicy = {
	maxRetries: 0,
	baseDelayMs: 0,
	maxDelayMs: 0,
	rateLimitBudgetMs: 0,
};

/** What a request is allowed to risk when it is resent. */
export type ResendSafety =
	/** GET / DELETE: resending cannot create or charge anything. */
	| 'idempotent'
	/** Paid POST with a client_request_id: Phota deduplicates the resend. */
	| 'deduplicated'
	/** Paid POST without protection: resend only if the first attempt certainly did not run. */
	| 'paid';

export interface FailureFacts {
	/** HTTP status, when a response arrived. */
	status?: number;
	/** Node.js / axios error code (ECONNRESET, ECONNREFUSED, ETIMEDOUT, ECONNABORTED...). */
	code?: string;
	retryAfterHeader?: string;
	/**
	 * The error answer is Phota's own: JSON with its `detail` or `code`, not a proxy's or gateway's
	 * page (which may be JSON too, e.g. `{"message": "Endpoint request timed out"}`).
	 */
	photaAnswer?: boolean;
}

/** Phota answered with a success status but the answer could not be read: the request ran. */
export const ANSWER_UNREADABLE = 'ANSWER_UNREADABLE';

const TRANSIENT_STATUSES = new Set([429, 500, 502, 503, 504]);
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);
const TRANSIENT_CODES = new Set([
	'ECONNRESET',
	'ECONNREFUSED',
	'ETIMEDOUT',
	'ECONNABORTED',
	'EPIPE',
	'ENOTFOUND',
	'EAI_AGAIN',
	'UND_ERR_SOCKET',
	'ERR_BAD_RESPONSE',
	ANSWER_UNREADABLE,
]);

export function isTransient(failure: FailureFacts): boolean {
	if (failure.status !== undefined) return TRANSIENT_STATUSES.has(failure.status);
	return failure.code !== undefined && TRANSIENT_CODES.has(failure.code);
}

/**
 * True when the server certainly did not act on the request, so even a paid request may be resent:
 * a 429, a 503 that says when to come back (a gateway's bare 503 can follow a request that reached
 * Phota), or a connection that was never made.
 */
export function certainlyNotProcessed(failure: FailureFacts): boolean {
	if (failure.status === 429) return true;
	if (failure.status === 503) return failure.retryAfterHeader !== undefined;
	if (failure.status !== undefined) return false;
	return failure.code !== undefined && NOT_SENT_CODES.has(failure.code);
}

export function mayResend(failure: FailureFacts, safety: ResendSafety): boolean {
	if (!isTransient(failure)) return false;
	// A sync image request that hit Phota's time limit (504) was refunded but would very likely
	// time out again; the caller is told to use async mode instead of paying the wait twice.
	if (failure.status === 504 && safety !== 'idempotent') return false;
	if (safety === 'paid') return certainlyNotProcessed(failure);
	return true;
}

/**
 * Retry-After as delta-seconds or an HTTP date, in ms; undefined when absent or unreadable.
 * Fractional seconds (not in the RFC, but sent by some gateways) count as seconds, not as a date.
 */
export function parseRetryAfter(header: string | undefined, nowMs: number): number | undefined {
	if (header === undefined || header.trim() === '') return undefined;
	if (/^\s*\d+(?:\.\d+)?\s*$/.test(header)) return Math.round(Number(header) * 1000);
	const date = Date.parse(header);
	if (Number.isNaN(date)) return undefined;
	return Math.max(0, date - nowMs);
}

/**
 * Wait before resend number `attempt` (1-based): the server's Retry-After when it gave one (plus up
 * to a tenth, so parallel items do not resend in lockstep), otherwise exponential backoff with
 * "equal jitter" (half fixed, half random). Undefined when the server asks for a longer wait than
 * the policy allows: resending earlier would only be refused again.
 */
export function retryDelayMs(
	attempt: number,
	failure: FailureFacts,
	policy: RetryPolicy,
	random: () => number = Math.random,
	nowMs: number = Date.now(),
): number | undefined {
	const serverDelay = parseRetryAfter(failure.retryAfterHeader, nowMs);
	if (serverDelay !== undefined) {
		if (serverDelay > policy.maxDelayMs) return undefined;
		return Math.round(Math.min(policy.maxDelayMs, serverDelay * (1 + random() / 10)));
	}
	const ceiling = backoffCeilingMs(attempt, policy.baseDelayMs, policy.maxDelayMs);
	return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Exponential backoff: `baseDelayMs` doubled for each attempt after the first, at most `maxDelayMs`. */
export function backoffCeilingMs(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
	return Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
}

/**
 * Wait before the `resend`-th resend after a 429: the server's Retry-After plus up to a tenth (so
 * parallel items do not come back in lockstep), however long; without one, exponential backoff
 * with equal jitter as for other failures.
 */
export function rateLimitDelayMs(
	resend: number,
	failure: FailureFacts,
	policy: RetryPolicy,
	random: () => number = Math.random,
	nowMs: number = Date.now(),
): number {
	const serverDelay = parseRetryAfter(failure.retryAfterHeader, nowMs);
	const ceiling = backoffCeilingMs(resend, policy.baseDelayMs, policy.maxDelayMs);
	const delay =
		serverDelay !== undefined
			? serverDelay * (1 + random() / 10)
			: ceiling / 2 + (random() * ceiling) / 2;
	// "Retry-After: 0" must not turn into resending as fast as the server answers.
	return Math.round(Math.max(MIN_RATE_LIMIT_DELAY_MS, delay));
}

const MIN_RATE_LIMIT_DELAY_MS = 250;
