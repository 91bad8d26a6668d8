import type { IExecuteFunctions } from 'n8n-workflow';

import type { ProfileStatus } from '../helpers/interfaces';
import { forEachConcurrently } from '../transport/limiter';
import { getProfileStatus } from '../helpers/profileApi';
import { asNodeError, failureOf } from '../transport';
import type { RunRequests } from '../transport';
import {
	backoffCeilingMs,
	isTransient,
	NO_RETRIES,
	parseRetryAfter,
} from '../transport/retryPolicy';
import { sleepUnlessCancelled } from '../transport/timers';

export const TERMINAL_STATUSES: ProfileStatus[] = ['READY', 'ERROR', 'INACTIVE'];

/** What is known about one profile while waiting; also what its output reports. */
export interface ProfileWatch {
	profileId: string;
	status: ProfileStatus | 'TIMEOUT' | 'NOT_FOUND' | 'UNKNOWN';
	message: string;
	polls: number;
	transientErrors: number;
	/** Every poll's result (a status, or the transient failure that was ridden out), with seconds since waiting started. */
	history: Array<{ status: string; after_seconds: number }>;
	/** A failure that ends the wait for this profile at once (404, 401, 403...). */
	fatalError?: Error;
	done: boolean;
	startedAt: number;
	nextPollAt: number;
	finishedAt?: number;
}

export interface PollSettings {
	intervalMs: number;
	deadline: number;
	/** Status requests in flight at once. */
	parallelRequests: number;
	/** Longest pause after repeated transient failures. */
	maxBackoffMs: number;
	/** Longest one status request may take; unset: 30 s. Never past the deadline. */
	attemptTimeoutMs?: number;
}

const DEFAULT_POLL_TIMEOUT_MS = 30_000;

/** Whether waiting longer cannot change the outcome. */
export function isSettled(status: ProfileWatch['status']): boolean {
	return TERMINAL_STATUSES.some((terminal) => terminal === status) || status === 'NOT_FOUND';
}

/** A fatal failure that is not a 404 (a wrong key, a refused request): the node stops on it. */
export function stoppingError(watch: ProfileWatch): Error | undefined {
	return watch.status === 'NOT_FOUND' ? undefined : watch.fatalError;
}

/** Seconds from `startedAt` until `until`, to a tenth. */
export function secondsSince(startedAt: number, until: number = Date.now()): number {
	return Math.round(Math.max(0, until - startedAt) / 100) / 10;
}

function newWatch(profileId: string, startedAt: number): ProfileWatch {
	return {
		profileId,
		status: 'UNKNOWN',
		message: '',
		polls: 0,
		transientErrors: 0,
		history: [],
		done: false,
		startedAt,
		nextPollAt: startedAt,
	};
}

/** One status request per profile, at most `parallelRequests` at a time, retried per the run's policy. */
export async function checkOnce(
	this: IExecuteFunctions,
	profileIds: string[],
	parallelRequests: number,
	requests: RunRequests,
): Promise<Map<string, ProfileWatch>> {
	const startedAt = Date.now();
	const watches = new Map(profileIds.map((id) => [id, newWatch(id, startedAt)]));
	await forEachConcurrently([...watches.values()], parallelRequests, async (watch) => {
		await pollOnce.call(this, watch, { requests, startedAt });
		watch.done = true;
		watch.finishedAt = startedAt;
	});
	return watches;
}

/**
 * Polls all profiles in one loop until each is READY, ERROR or INACTIVE, or the deadline passes.
 * Sleeps until the next poll is due (never busy-waits) on the execution's cancel signal, so
 * stopping the workflow stops the wait. Transient failures (429, 5xx, dropped connections) only
 * delay the next poll; a 404, 401 or 403 ends that profile's wait at once.
 */
export async function pollUntilSettled(
	this: IExecuteFunctions,
	profileIds: string[],
	settings: PollSettings,
	requests: RunRequests,
	handling: {
		/** Throw a non-transient failure other than 404 (401, 403, 422) at once instead of waiting on. */
		stopOnFatalError: boolean;
		onChange?: (watch: ProfileWatch) => void;
	},
): Promise<Map<string, ProfileWatch>> {
	const { onChange } = handling;
	const startedAt = Date.now();
	const cancelSignal = this.getExecutionCancelSignal();
	const watches = new Map(profileIds.map((id) => [id, newWatch(id, startedAt)]));
	const pending = () => [...watches.values()].filter((watch) => !watch.done);

	while (pending().length > 0) {
		const now = Date.now();
		const due = pending().filter((watch) => watch.nextPollAt <= now);
		await forEachConcurrently(due, settings.parallelRequests, async (watch) => {
			const before = watch.status;
			// Retries are this loop's job: one attempt per poll, then wait for the next one.
			const untilDeadline = Math.max(1_000, settings.deadline - Date.now());
			await pollOnce.call(this, watch, {
				requests: {
					...requests,
					retryPolicy: {
						...NO_RETRIES,
						attemptTimeoutMs: Math.min(
							settings.attemptTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS,
							untilDeadline,
						),
					},
				},
				startedAt,
				schedule: settings,
			});
			if (watch.status !== before) onChange?.(watch);
		});
		const fatal = [...watches.values()].map(stoppingError).find(Boolean);
		if (fatal && handling.stopOnFatalError) throw fatal;

		const waiting = pending();
		if (waiting.length === 0) break;
		if (Date.now() >= settings.deadline) {
			for (const watch of waiting) {
				watch.done = true;
				watch.finishedAt = Date.now();
				watch.message = `Still ${watch.status} when the timeout was reached`;
				watch.status = 'TIMEOUT';
				onChange?.(watch);
			}
			break;
		}
		const nextPoll = Math.min(...waiting.map((watch) => watch.nextPollAt), settings.deadline);
		await sleepUnlessCancelled(Math.max(0, nextPoll - Date.now()), cancelSignal);
	}
	return watches;
}

interface PollOnceSettings {
	requests: RunRequests;
	startedAt: number;
	/** When polling: when to poll next after a status or a transient failure. Unset: a single check. */
	schedule?: Pick<PollSettings, 'intervalMs' | 'maxBackoffMs'>;
}

/** One status request; records the answer, or when to poll again after a transient failure. */
async function pollOnce(this: IExecuteFunctions, watch: ProfileWatch, settings: PollOnceSettings) {
	watch.polls += 1;
	try {
		const result = await getProfileStatus.call(this, watch.profileId, {
			requests: settings.requests,
		});
		watch.transientErrors = 0;
		if (watch.history.at(-1)?.status !== result.status) {
			watch.history.push({
				status: result.status,
				after_seconds: secondsSince(settings.startedAt),
			});
		}
		watch.status = result.status;
		watch.message = result.message ?? '';
		if (TERMINAL_STATUSES.includes(result.status)) {
			watch.done = true;
			watch.finishedAt = Date.now();
		} else if (settings.schedule) {
			watch.nextPollAt = Date.now() + settings.schedule.intervalMs;
		}
	} catch (error) {
		if (this.getExecutionCancelSignal()?.aborted) throw asNodeError(this.getNode(), error);
		const failure = failureOf(error) ?? {};
		const { schedule } = settings;
		if (schedule && isTransient(failure)) {
			watch.transientErrors += 1;
			watch.history.push({
				status: `retrying after ${failure.status ?? failure.code ?? 'error'}`,
				after_seconds: secondsSince(settings.startedAt),
			});
			const backoff = backoffCeilingMs(
				watch.transientErrors,
				schedule.intervalMs,
				schedule.maxBackoffMs,
			);
			const serverDelay = parseRetryAfter(failure.retryAfterHeader, Date.now());
			watch.nextPollAt = Date.now() + Math.max(backoff, serverDelay ?? 0);
			return;
		}
		watch.done = true;
		watch.finishedAt = Date.now();
		const notFound = failure.status === 404;
		watch.status = notFound ? 'NOT_FOUND' : watch.status;
		const nodeError = asNodeError(this.getNode(), error);
		watch.message = nodeError.message;
		watch.fatalError = nodeError;
	}
}
