import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { RunRequests } from '../transport';
import type { RetryPolicy } from '../transport/retryPolicy';
import { DEFAULT_RETRY_POLICY } from '../transport/retryPolicy';
import type { NumberRule } from './parameterValues';
import { readNumber } from './parameterValues';

/** What every operation's run shares, read once from the node's Options (at item 0). */
export interface RunSettings {
	parallelRequests: number;
	/** The Options collection, for an operation's own options. */
	options: IDataObject;
	/** The retry policy, request limiter and lost-run guard every request of the run goes by. */
	requests: RunRequests;
}

export const PARALLEL_REQUESTS: NumberRule = {
	label: 'Parallel Requests',
	min: 1,
	max: 20,
	integer: true,
	fallback: 5,
};
export const MAX_RETRIES: NumberRule = {
	label: 'Max Retries',
	min: 0,
	max: 10,
	integer: true,
	fallback: DEFAULT_RETRY_POLICY.maxRetries,
};
export const REQUEST_TIMEOUT_SECONDS: NumberRule = {
	label: 'Request Timeout (Seconds)',
	min: 0,
	max: 3600,
	fallback: 0,
};

export const RATE_LIMIT_WAIT_MINUTES: NumberRule = {
	label: 'Rate Limit Wait (Minutes)',
	min: 0,
	max: 1440,
	fallback: DEFAULT_RETRY_POLICY.rateLimitBudgetMs / 60_000,
};

export interface RequestSettingsOptions {
	parallelRequests?: unknown;
	maxRetries?: unknown;
	requestTimeoutSeconds?: unknown;
	rateLimitWaitMinutes?: unknown;
}

/**
 * Parallel Requests, Max Retries, Rate Limit Wait and Request Timeout of the node's Options, read at
 * item 0: they govern the whole run.
 */
export function readRequestSettings(
	this: IExecuteFunctions,
	options: RequestSettingsOptions,
	parallelRule: NumberRule = PARALLEL_REQUESTS,
): {
	parallelRequests: number;
	retryPolicy: RetryPolicy;
} {
	const parallelRequests = readNumber.call(this, options.parallelRequests, parallelRule, 0);
	const maxRetries = readNumber.call(this, options.maxRetries, MAX_RETRIES, 0);
	const timeoutSeconds = readNumber.call(
		this,
		options.requestTimeoutSeconds,
		REQUEST_TIMEOUT_SECONDS,
		0,
	);
	const rateLimitWaitMinutes = readNumber.call(
		this,
		options.rateLimitWaitMinutes,
		RATE_LIMIT_WAIT_MINUTES,
		0,
	);
	return {
		parallelRequests,
		retryPolicy: {
			...DEFAULT_RETRY_POLICY,
			maxRetries,
			rateLimitBudgetMs: Math.round(rateLimitWaitMinutes * 60_000),
			...(timeoutSeconds > 0 ? { attemptTimeoutMs: Math.round(timeoutSeconds * 1000) } : {}),
		},
	};
}
