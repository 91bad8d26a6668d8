/**
 * When a failed request is resent and after how long, straight from the source with the random
 * source and the clock injected. The workflow tests (test/faults.test.ts, test/hardening.test.ts)
 * see only which requests were resent; the waits themselves are checked here.
 */
import type {
	FailureFacts,
	ResendSafety,
	RetryPolicy,
} from '../../nodes/Phota/transport/retryPolicy';
import {
	ANSWER_UNREADABLE,
	backoffCeilingMs,
	certainlyNotProcessed,
	isTransient,
	mayResend,
	NO_RETRIES,
	parseRetryAfter,
	rateLimitDelayMs,
	retryDelayMs,
} from '../../nodes/Phota/transport/retryPolicy';

const POLICY: RetryPolicy = {
	maxRetries: 3,
	baseDelayMs: 1_000,
	maxDelayMs: 60_000,
	rateLimitBudgetMs: 600_000,
};
/** The random source at both ends of its range (Math.random never returns 1; the bound is reached). */
const LOWEST = () => 0;
const HIGHEST = () => 1;
const NOW = Date.parse('2026-10-21T07:28:00Z');
const SERVER_ERROR: FailureFacts = { status: 500 };

describe('parseRetryAfter', () => {
	test.each([
		['120', 120_000],
		[' 7 ', 7_000],
		['0', 0],
		// Fractional seconds are seconds, not a date (Date.parse('1.5') is a day in 2001).
		['1.5', 1_500],
		['Wed, 21 Oct 2026 07:28:07 GMT', 7_000],
		// A date already past means "now", never a negative wait.
		['Wed, 21 Oct 2026 07:27:00 GMT', 0],
	])('%j is %d ms', (header, expected) => {
		expect(parseRetryAfter(header, NOW)).toBe(expected);
	});

	test.each([[undefined], [''], ['   '], ['soon']])('%j is no Retry-After', (header) => {
		expect(parseRetryAfter(header, NOW)).toBeUndefined();
	});
});

describe('backoffCeilingMs', () => {
	test('doubles from the base with each attempt, up to the maximum', () => {
		expect(
			[1, 2, 3, 4, 6, 7, 20].map((attempt) => backoffCeilingMs(attempt, 1_000, 60_000)),
		).toEqual([1_000, 2_000, 4_000, 8_000, 32_000, 60_000, 60_000]);
	});
});

describe('retryDelayMs', () => {
	test('without Retry-After: equal jitter, half the ceiling fixed and half random', () => {
		for (const [attempt, ceiling] of [
			[1, 1_000],
			[3, 4_000],
			[10, 60_000],
		]) {
			expect(retryDelayMs(attempt, SERVER_ERROR, POLICY, LOWEST, NOW)).toBe(ceiling / 2);
			expect(retryDelayMs(attempt, SERVER_ERROR, POLICY, () => 0.5, NOW)).toBe(ceiling * 0.75);
			expect(retryDelayMs(attempt, SERVER_ERROR, POLICY, HIGHEST, NOW)).toBe(ceiling);
		}
	});

	test('an unreadable Retry-After falls back to the backoff', () => {
		const failure = { status: 503, retryAfterHeader: 'later' };
		expect(retryDelayMs(2, failure, POLICY, LOWEST, NOW)).toBe(1_000);
	});

	test("with Retry-After in seconds: the server's wait plus up to a tenth, whatever the attempt", () => {
		const failure = { status: 503, retryAfterHeader: '5' };
		expect(retryDelayMs(1, failure, POLICY, LOWEST, NOW)).toBe(5_000);
		expect(retryDelayMs(3, failure, POLICY, LOWEST, NOW)).toBe(5_000);
		expect(retryDelayMs(1, failure, POLICY, HIGHEST, NOW)).toBe(5_500);
	});

	test('with Retry-After as an HTTP date: the time until then, measured from the injected now', () => {
		const failure = { status: 503, retryAfterHeader: 'Wed, 21 Oct 2026 07:28:30 GMT' };
		expect(retryDelayMs(1, failure, POLICY, LOWEST, NOW)).toBe(30_000);
		expect(retryDelayMs(1, failure, POLICY, LOWEST, NOW + 20_000)).toBe(10_000);
	});

	test('a Retry-After longer than maxDelayMs ends the retries; the jitter never exceeds the maximum', () => {
		expect(retryDelayMs(1, { status: 503, retryAfterHeader: '61' }, POLICY, LOWEST, NOW)).toBe(
			undefined,
		);
		expect(retryDelayMs(1, { status: 503, retryAfterHeader: '60' }, POLICY, HIGHEST, NOW)).toBe(
			60_000,
		);
		expect(retryDelayMs(1, { status: 503, retryAfterHeader: '58' }, POLICY, HIGHEST, NOW)).toBe(
			60_000,
		);
	});

	test('NO_RETRIES: one attempt, and no Retry-After fits into it', () => {
		expect(NO_RETRIES).toEqual({
			maxRetries: 0,
			baseDelayMs: 0,
			maxDelayMs: 0,
			rateLimitBudgetMs: 0,
		});
		expect(retryDelayMs(1, { status: 429, retryAfterHeader: '1' }, NO_RETRIES, LOWEST, NOW)).toBe(
			undefined,
		);
	});
});

describe('rateLimitDelayMs', () => {
	test("Retry-After plus up to a tenth, however long (a 429's wait is not capped by maxDelayMs)", () => {
		expect(rateLimitDelayMs(1, { status: 429, retryAfterHeader: '2' }, POLICY, HIGHEST, NOW)).toBe(
			2_200,
		);
		expect(
			rateLimitDelayMs(1, { status: 429, retryAfterHeader: '3600' }, POLICY, LOWEST, NOW),
		).toBe(3_600_000);
		const date = { status: 429, retryAfterHeader: 'Wed, 21 Oct 2026 07:29:00 GMT' };
		expect(rateLimitDelayMs(1, date, POLICY, LOWEST, NOW)).toBe(60_000);
	});

	test('without Retry-After: the same equal-jitter backoff as other failures', () => {
		expect(rateLimitDelayMs(1, { status: 429 }, POLICY, LOWEST, NOW)).toBe(500);
		expect(rateLimitDelayMs(3, { status: 429 }, POLICY, HIGHEST, NOW)).toBe(4_000);
		expect(rateLimitDelayMs(20, { status: 429 }, POLICY, HIGHEST, NOW)).toBe(60_000);
	});

	test('never less than 250 ms, so "Retry-After: 0" does not resend as fast as the server answers', () => {
		expect(rateLimitDelayMs(1, { status: 429, retryAfterHeader: '0' }, POLICY, HIGHEST, NOW)).toBe(
			250,
		);
		const past = { status: 429, retryAfterHeader: 'Wed, 21 Oct 2026 07:00:00 GMT' };
		expect(rateLimitDelayMs(1, past, POLICY, HIGHEST, NOW)).toBe(250);
		const smallBase = { ...POLICY, baseDelayMs: 100 };
		expect(rateLimitDelayMs(1, { status: 429 }, smallBase, HIGHEST, NOW)).toBe(250);
		expect(rateLimitDelayMs(4, { status: 429 }, smallBase, LOWEST, NOW)).toBe(400);
	});
});

describe('which failures may be resent, by what the request risks', () => {
	type Row = [
		name: string,
		failure: FailureFacts,
		transient: boolean,
		notProcessed: boolean,
		resend: Record<ResendSafety, boolean>,
	];
	const always = { idempotent: true, deduplicated: true, paid: true };
	const unlessPaid = { idempotent: true, deduplicated: true, paid: false };
	const never = { idempotent: false, deduplicated: false, paid: false };
	const rows: Row[] = [
		['429', { status: 429 }, true, true, always],
		['503 with Retry-After', { status: 503, retryAfterHeader: '1' }, true, true, always],
		[
			'bare 503 (a gateway may answer it after Phota ran)',
			{ status: 503 },
			true,
			false,
			unlessPaid,
		],
		['500', { status: 500 }, true, false, unlessPaid],
		['502', { status: 502 }, true, false, unlessPaid],
		// Phota's time limit: refunded, but it would likely time out again; only reads are resent.
		['504', { status: 504 }, true, false, { ...never, idempotent: true }],
		['400', { status: 400 }, false, false, never],
		['401', { status: 401 }, false, false, never],
		['404', { status: 404 }, false, false, never],
		['422', { status: 422 }, false, false, never],
		['connection refused', { code: 'ECONNREFUSED' }, true, true, always],
		['host not found', { code: 'ENOTFOUND' }, true, true, always],
		['DNS lookup failed for now', { code: 'EAI_AGAIN' }, true, true, always],
		['connection reset', { code: 'ECONNRESET' }, true, false, unlessPaid],
		['timed out', { code: 'ETIMEDOUT' }, true, false, unlessPaid],
		['aborted', { code: 'ECONNABORTED' }, true, false, unlessPaid],
		['socket closed', { code: 'UND_ERR_SOCKET' }, true, false, unlessPaid],
		['success that could not be read', { code: ANSWER_UNREADABLE }, true, false, unlessPaid],
		['unknown code', { code: 'EWHATEVER' }, false, false, never],
		['nothing known', {}, false, false, never],
		// A status, when there is one, decides; the code is not looked at.
		['400 with ECONNREFUSED', { status: 400, code: 'ECONNREFUSED' }, false, false, never],
		['500 with ECONNREFUSED', { status: 500, code: 'ECONNREFUSED' }, true, false, unlessPaid],
	];

	test.each(rows)('%s', (_name, failure, transient, notProcessed, resend) => {
		expect(isTransient(failure)).toBe(transient);
		expect(certainlyNotProcessed(failure)).toBe(notProcessed);
		expect({
			idempotent: mayResend(failure, 'idempotent'),
			deduplicated: mayResend(failure, 'deduplicated'),
			paid: mayResend(failure, 'paid'),
		}).toEqual(resend);
	});
});
