import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { readRequestSettings } from '../helpers/settings';
import type { NumberRule } from '../helpers/settings';
import { readNumber } from '../helpers/settings';
import type { RetryPolicy } from '../transport/retryPolicy';
import type { PollSettings } from './profilePoller';

export const POLL_INTERVAL_SECONDS: NumberRule = {
	label: 'Poll Interval (Seconds)',
	min: 0.05,
	max: 3600,
	fallback: 15,
};
export const TIMEOUT_MINUTES: NumberRule = {
	label: 'Timeout (Minutes)',
	min: 0.001,
	max: 1440,
	fallback: 45,
};
export const PARALLEL_STATUS_REQUESTS: NumberRule = {
	label: 'Parallel Status Requests',
	min: 1,
	max: 50,
	integer: true,
	fallback: 10,
};
const MAX_BACKOFF_MS = 60_000;

export interface WaitSettings {
	poll: Omit<PollSettings, 'deadline'>;
	timeoutMs: number;
	retryPolicy: RetryPolicy;
}

/** The node's settings, read (and checked) before the first request. */
export function readWaitSettings(
	this: IExecuteFunctions,
	mode: 'wait' | 'checkOnce',
): WaitSettings {
	const options = this.getNodeParameter('options', 0, {}) as IDataObject;
	const { parallelRequests, retryPolicy } = readRequestSettings.call(
		this,
		options,
		PARALLEL_STATUS_REQUESTS,
	);
	if (mode === 'checkOnce') {
		return {
			poll: { intervalMs: 0, parallelRequests, maxBackoffMs: 0 },
			timeoutMs: 0,
			retryPolicy,
		};
	}
	const intervalMs =
		readNumber.call(
			this,
			this.getNodeParameter('pollIntervalSeconds', 0, POLL_INTERVAL_SECONDS.fallback),
			POLL_INTERVAL_SECONDS,
			0,
		) * 1000;
	const timeoutMs =
		readNumber.call(
			this,
			this.getNodeParameter('timeoutMinutes', 0, TIMEOUT_MINUTES.fallback),
			TIMEOUT_MINUTES,
			0,
		) * 60_000;
	return {
		poll: {
			intervalMs,
			parallelRequests,
			maxBackoffMs: Math.max(intervalMs, MAX_BACKOFF_MS),
			attemptTimeoutMs: retryPolicy.attemptTimeoutMs,
		},
		timeoutMs,
		retryPolicy,
	};
}
