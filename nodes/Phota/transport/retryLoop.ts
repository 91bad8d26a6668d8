import type { INode, NodeApiError } from 'n8n-workflow';

import type { Answer, PhotaResponse } from './types';
import { AttemptDeadline } from './attempt';
import {
	appendDescription,
	asNodeError,
	networkErrorCode,
	photaHttpError,
	photaNetworkError,
	redirectError,
	unreadableAnswerError,
	withFailure,
} from './errors';
import type { BillOutcome } from './bill';
import type { Permit, PermitOutcome, RequestLimiter } from './limiter';
import type { LostRun } from './limiter';
import { ItemNotSentError } from './limiter';
import type { FailureFacts, ResendSafety, RetryPolicy } from './retryPolicy';
import {
	ANSWER_UNREADABLE,
	DEFAULT_RETRY_POLICY,
	certainlyNotProcessed,
	mayResend,
	parseRetryAfter,
	rateLimitDelayMs,
	retryDelayMs,
} from './retryPolicy';
import { sleepUnlessCancelled } from './timers';
import type { RequestFacts } from './errorWording';
import { NETWORK_FAILURES, decodeBody, isObject } from './errorWording';
import type { PhotaContext, PhotaRequest } from './types';

/** What one attempt came to: the response to return, or a failure that may be sent again. */
type AttemptResult<T> =
	| { response: PhotaResponse<T> }
	| { failure: FailureFacts; error: NodeApiError };

/** The run's bounds an attempt is sent under; a signed-URL download has neither limiter nor lostRun. */
export interface AttemptBounds {
	timeoutMs: number;
	limiter?: RequestLimiter;
	lostRun?: LostRun;
}

/**
 * Sends `attempt` until it succeeds or may not be resent: 429s are waited out within the rate-limit
 * budget, other transient failures are resent up to Max Retries when the request's billing safety
 * allows it. Each attempt holds a permit of the run's request limiter.
 */
export async function withRetries<T>(
	this: PhotaContext,
	request: PhotaRequest,
	safety: ResendSafety,
	bounds: AttemptBounds,
	attempt: (deadline: AttemptDeadline) => Promise<Answer<T>>,
): Promise<PhotaResponse<T>> {
	const cancelSignal =
		'getExecutionCancelSignal' in this ? this.getExecutionCancelSignal() : undefined;
	const schedule = new ResendSchedule(
		request.requests?.retryPolicy ?? DEFAULT_RETRY_POLICY,
		safety,
	);
	// Phota may bill it; once the run is lost such a request is never sent again (see LostRun).
	const paid = safety !== 'idempotent';
	const classifying: Classifying = {
		// n8n's getNode() copies the node: only an error needs it.
		node: () => this.getNode(),
		facts: requestFacts(request, safety),
		cancelSignal,
		// Whether an earlier attempt may have reached Phota and run before its answer was lost.
		notFoundMeansDone: false,
	};
	// What Phota may bill for this request so far, and whether an earlier attempt may have run.
	let billed: BillOutcome = { kind: 'notBilled', why: NOT_SENT };
	let earlierMayHaveRun = false;
	try {
		for (;;) {
			const permit = await takePermit(bounds, request.itemIndex, paid);
			billed = { kind: 'unknown', why: 'stopped while it was out' };
			const result = await attemptOnce(bounds.timeoutMs, attempt, permit, classifying);
			if ('response' in result) {
				billed = { kind: safety === 'deduplicated' ? 'queued' : 'billed' };
				return result.response;
			}
			billed = billOutcomeOf(result.failure, earlierMayHaveRun, safety);
			earlierMayHaveRun ||= billed.kind !== 'notBilled';
			classifying.notFoundMeansDone ||=
				request.notFoundOnResendMeansDone === true && !certainlyNotProcessed(result.failure);
			const delay = schedule.delayAfter(result.failure, result.error);
			if (delay === undefined) throw withFailure(result.error, result.failure);
			// Ended early when the run is lost: the next permit is then refused.
			await sleepUnlessCancelled(delay, cancelSignal, paid ? bounds.lostRun?.signal : undefined);
		}
	} finally {
		if (paid) request.requests?.bill.record(request.endpoint, request.itemIndex, billed);
	}
}

const NOT_SENT = 'not sent, the run had stopped';

/**
 * What a failed attempt means for the bill: Phota bills neither an error answer (4xx) nor a sync
 * request past its time limit (its own 504, JSON, is refunded; a proxy's 504 page says nothing of
 * what Phota did, and an async submit may have been queued); a 2xx whose body could not be read was
 * processed; anything else (5xx, a lost connection, a timeout) may have been, and so may any request
 * an earlier attempt of which may have run.
 */
function billOutcomeOf(
	failure: FailureFacts,
	earlierMayHaveRun: boolean,
	safety: ResendSafety,
): BillOutcome {
	const { status, code } = failure;
	if (code === ANSWER_UNREADABLE) return { kind: safety === 'deduplicated' ? 'queued' : 'billed' };
	const why =
		status !== undefined ? `${status} answer` : (NETWORK_FAILURES[code ?? ''] ?? 'no answer');
	if (earlierMayHaveRun) return { kind: 'unknown', why };
	if (status === 504 && failure.photaAnswer && safety === 'paid') {
		return { kind: 'notBilled', why: 'refunded (504, past the sync time limit)' };
	}
	if (status === 504) return { kind: 'unknown', why };
	if ((status !== undefined && status < 500) || certainlyNotProcessed(failure)) {
		return { kind: 'notBilled', why };
	}
	return { kind: 'unknown', why };
}

/** A permit of the run's limiter, once the request may still go out (see LostRun). */
async function takePermit(
	bounds: AttemptBounds,
	itemIndex: number | undefined,
	paid: boolean,
): Promise<Permit | undefined> {
	const permit = await bounds.limiter?.acquire();
	const afterFailedRequest = bounds.limiter?.lastRequestFailed ?? false;
	if (!bounds.lostRun || (await bounds.lostRun.allows(itemIndex, paid, afterFailedRequest))) {
		return permit;
	}
	permit?.release('notSent');
	throw new ItemNotSentError();
}

/** What classifying an answer needs to know beyond the answer itself. */
interface Classifying {
	node: () => INode;
	facts: RequestFacts;
	cancelSignal?: AbortSignal;
	/** A 404 now means an earlier attempt did the work (a DELETE whose answer was lost). */
	notFoundMeansDone: boolean;
}

/** One attempt within its deadline, under `permit`, which it releases with what happened. */
async function attemptOnce<T>(
	timeoutMs: number,
	attempt: (deadline: AttemptDeadline) => Promise<Answer<T>>,
	permit: Permit | undefined,
	classifying: Classifying,
): Promise<AttemptResult<T>> {
	let outcome: PermitOutcome = 'other';
	let rateLimitWaitMs: number | undefined;
	try {
		// The bound starts once the request may go out, not while it waits for a permit.
		const deadline = new AttemptDeadline(timeoutMs, classifying.cancelSignal);
		let answer: Answer<T>;
		try {
			answer = await attempt(deadline);
		} finally {
			deadline.end();
		}
		outcome = answer.statusCode === 429 ? 'rateLimited' : answer.statusCode < 400 ? 'ok' : 'other';
		if (outcome === 'rateLimited')
			rateLimitWaitMs = parseRetryAfter(answer.headers['retry-after'], Date.now());
		return classifyAnswer(answer, classifying);
	} catch (error) {
		const node = classifying.node();
		if (classifying.cancelSignal?.aborted) throw asNodeError(node, error);
		const failure = { code: networkErrorCode(error) };
		return { failure, error: photaNetworkError(node, error, failure.code, classifying.facts) };
	} finally {
		permit?.release(outcome, rateLimitWaitMs);
	}
}

/** Classifies an answer: the response to return, or the failure it is. */
function classifyAnswer<T>(answer: Answer<T>, classifying: Classifying): AttemptResult<T> {
	const { statusCode: status, headers } = answer;
	if (answer.kind === 'response') {
		return { response: { body: answer.body, statusCode: status, headers } };
	}
	const { facts } = classifying;
	const node = classifying.node();
	switch (answer.kind) {
		case 'unreadable':
			if (classifying.cancelSignal?.aborted) throw asNodeError(node, answer.reason);
			return {
				failure: { code: ANSWER_UNREADABLE },
				error: unreadableAnswerError(node, status, answer.reason, facts),
			};
		case 'refusedRedirect':
			return { failure: { status }, error: redirectError(node, status, answer, facts) };
		case 'errorStatus':
			if (status === 404 && classifying.notFoundMeansDone) {
				// Phota's answer to the attempt that did the work was lost: an empty body stands for it.
				return { response: { body: {} as T, statusCode: status, headers } };
			}
			return {
				failure: {
					status,
					retryAfterHeader: headers['retry-after'],
					photaAnswer: isPhotaErrorBody(decodeBody(answer.errorBody)),
				},
				error: photaHttpError(node, status, answer, facts),
			};
	}
}

/** Phota's error answers carry `detail` (its words) or `code`; a gateway's JSON has neither. */
function isPhotaErrorBody(body: unknown): boolean {
	return isObject(body) && ('detail' in body || 'code' in body);
}

/**
 * When a failed attempt is sent again: a 429 (never processed, so free to resend) within the time
 * Rate Limit Wait allows, another transient failure up to Max Retries when the billing safety of
 * the request allows it.
 */
class ResendSchedule {
	private retries = 0;
	private rateLimitedResends = 0;
	private rateLimitedWaitMs = 0;

	constructor(
		private readonly policy: RetryPolicy,
		private readonly safety: ResendSafety,
	) {}

	/** The wait before the next attempt, or undefined when `failure` is final. */
	delayAfter(failure: FailureFacts, error: Error): number | undefined {
		if (failure.status === 429) {
			const delay = rateLimitDelayMs(++this.rateLimitedResends, failure, this.policy);
			this.rateLimitedWaitMs += delay;
			if (this.rateLimitedWaitMs <= this.policy.rateLimitBudgetMs) return delay;
			appendDescription(
				error,
				`Phota kept rate limiting this request for the ${Math.round(this.policy.rateLimitBudgetMs / 6000) / 10} minutes the node waits (Options → Rate Limit Wait); nothing was charged for it.`,
			);
			return undefined;
		}
		if (this.retries < this.policy.maxRetries && mayResend(failure, this.safety)) {
			return retryDelayMs(++this.retries, failure, this.policy);
		}
		return undefined;
	}
}

function requestFacts(request: PhotaRequest, safety: ResendSafety): RequestFacts {
	return {
		method: request.method,
		endpoint: request.endpoint,
		body: request.body,
		deduplicated: safety === 'deduplicated',
		itemIndex: request.itemIndex,
		notFoundHint: request.notFoundHint,
	};
}
