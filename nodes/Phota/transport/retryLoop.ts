import type { NodeApiError } from 'n8n-workflow';

import type { Answer } from './answer';
import { AttemptDeadline } from './attempt';
import {
	asNodeError,
	networkErrorCode,
	photaHttpError,
	photaNetworkError,
	redirectError,
	unreadableAnswerError,
	withFailure,
} from './errors';
import type { PermitOutcome, RequestLimiter } from './limiter';
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
import { sleepUnlessCancelled } from './sleep';
import type { PhotaContext, PhotaRequest, PhotaResponse, RequestFacts } from './types';

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

/**
 * Sends `attempt` until it succeeds or may not be resent: 429s are waited out within the rate-limit
 * budget, other transient failures are resent up to Max Retries when the request's billing safety
 * allows it. Each attempt holds a permit of the run's request limiter.
 */
export async function withRetries<T>(
	this: PhotaContext,
	request: PhotaRequest,
	safety: ResendSafety,
	bounds: { timeoutMs: number; limiter?: RequestLimiter },
	attempt: (deadline: AttemptDeadline) => Promise<Answer<T>>,
): Promise<PhotaResponse<T>> {
	const policy = request.retryPolicy ?? DEFAULT_RETRY_POLICY;
	const cancelSignal =
		'getExecutionCancelSignal' in this ? this.getExecutionCancelSignal() : undefined;
	const facts = requestFacts(request, safety);
	const node = this.getNode();
	// Phota may bill it; once the run is lost such a request is never sent again (see the limiter).
	const paid = safety !== 'idempotent';
	const runLost = paid ? bounds.limiter?.lostSignal : undefined;

	// Whether an earlier attempt may have reached Phota and run before its answer was lost.
	let earlierAttemptMayHaveRun = false;
	// 429s are resent within a time budget; Max Retries counts the other transient failures.
	let retries = 0;
	let rateLimitedWaitMs = 0;
	let rateLimitedResends = 0;
	for (;;) {
		let failure: FailureFacts;
		let apiError: NodeApiError;
		const permit = await bounds.limiter?.acquire(request.itemIndex, paid);
		let outcome: PermitOutcome = 'other';
		let rateLimitWaitMs: number | undefined;
		try {
			// The bound starts once the request may go out, not while it waits for a permit.
			const deadline = new AttemptDeadline(bounds.timeoutMs, cancelSignal);
			let answer: Answer<T>;
			try {
				answer = await attempt(deadline);
			} finally {
				deadline.end();
			}
			outcome =
				answer.statusCode === 429 ? 'rateLimited' : answer.statusCode < 400 ? 'ok' : 'other';
			if (outcome === 'rateLimited')
				rateLimitWaitMs = parseRetryAfter(answer.headers['retry-after'], Date.now());
			const doneByEarlierAttempt =
				earlierAttemptMayHaveRun &&
				answer.statusCode === 404 &&
				request.notFoundOnResendMeansDone === true;
			if (answer.unreadable !== undefined) {
				if (cancelSignal?.aborted) throw asNodeError(node, answer.unreadable);
				failure = { code: ANSWER_UNREADABLE };
				apiError = unreadableAnswerError(node, answer.statusCode, answer.unreadable, facts);
			} else if (answer.refusedRedirect) {
				failure = { status: answer.statusCode };
				apiError = redirectError(node, answer.statusCode, answer.refusedRedirect, facts);
			} else if (answer.errorBody === undefined || doneByEarlierAttempt) {
				return {
					body: (answer.body ?? {}) as T,
					statusCode: answer.statusCode,
					headers: answer.headers,
				};
			} else {
				failure = { status: answer.statusCode, retryAfterHeader: answer.headers['retry-after'] };
				apiError = photaHttpError(node, answer.statusCode, answer.errorBody, answer.headers, facts);
			}
		} catch (error) {
			if (cancelSignal?.aborted) throw asNodeError(node, error);
			failure = { code: networkErrorCode(error) };
			apiError = photaNetworkError(node, error, failure.code, facts);
		} finally {
			permit?.release(outcome, rateLimitWaitMs);
		}

		earlierAttemptMayHaveRun ||= !certainlyNotProcessed(failure);
		let delay: number | undefined;
		if (failure.status === 429) {
			// Never processed, so free to resend: the only limit is how long the item may wait.
			delay = rateLimitDelayMs(++rateLimitedResends, failure, policy);
			rateLimitedWaitMs += delay;
			if (rateLimitedWaitMs > policy.rateLimitBudgetMs) {
				delay = undefined;
				describeExhaustedBudget(apiError, policy);
			}
		} else if (retries < policy.maxRetries && mayResend(failure, safety)) {
			delay = retryDelayMs(++retries, failure, policy);
		}
		if (delay === undefined) throw withFailure(apiError, failure);
		// Ended early when the run is lost: the next acquire then refuses the resend.
		await sleepUnlessCancelled(delay, cancelSignal, runLost);
	}
}

function describeExhaustedBudget(error: Error, policy: RetryPolicy): void {
	const withDescription = error as Error & { description?: string | null };
	withDescription.description = [
		withDescription.description,
		`Phota kept rate limiting this request for the ${Math.round(policy.rateLimitBudgetMs / 6000) / 10} minutes the node waits (Options → Rate Limit Wait); nothing was charged for it.`,
	]
		.filter(Boolean)
		.join(' ');
}
