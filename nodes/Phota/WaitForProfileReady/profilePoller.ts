import type { IExecuteFunctions } from 'n8n-workflow';

import type { ProfileStatus } from '../helpers/interfaces';
import { forEachConcurrently } from '../helpers/itemRunner';
import { sleepUnlessCancelled } from '../helpers/sleep';
import { getProfileStatus } from '../helpers/profileApi';
import { asNodeError, failureOf } from '../transport';
import { isTransient, parseRetryAfter } from '../transport/retryPolicy';

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
	handling: {
		/** Throw a non-transient failure other than 404 (401, 403, 422) at once instead of waiting on. */
		stopOnFatalError: boolean;
		onChange?: (watch: ProfileWatch) => void;
	},
): Promise<Map<string, ProfileWatch>> {
	const { onChange } = handling;
	const startedAt = Date.now();
	const cancelSignal = this.getExecutionCancelSignal();
	const watches = new Map<string, ProfileWatch>(
		profileIds.map((profileId) => [
			profileId,
			{
				profileId,
				status: 'UNKNOWN',
				message: '',
				polls: 0,
				transientErrors: 0,
				history: [],
				done: false,
				startedAt,
				nextPollAt: startedAt,
			},
		]),
	);
	const pending = () => [...watches.values()].filter((watch) => !watch.done);

	while (pending().length > 0) {
		const now = Date.now();
		const due = pending().filter((watch) => watch.nextPollAt <= now);
		await forEachConcurrently(due, settings.parallelRequests, async (watch) => {
			const before = watch.status;
			await pollOnce.call(this, watch, settings, startedAt);
			if (watch.status !== before) onChange?.(watch);
		});
		const fatal = [...watches.values()].find(
			(watch) => watch.fatalError && watch.status !== 'NOT_FOUND',
		);
		if (fatal?.fatalError && handling.stopOnFatalError) throw fatal.fatalError;

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

async function pollOnce(
	this: IExecuteFunctions,
	watch: ProfileWatch,
	settings: PollSettings,
	startedAt: number,
) {
	watch.polls += 1;
	try {
		// Retries are this loop's job: one attempt per poll, then wait for the next one.
		const untilDeadline = Math.max(1_000, settings.deadline - Date.now());
		const result = await getProfileStatus.call(this, watch.profileId, {
			retryPolicy: {
				maxRetries: 0,
				rateLimitBudgetMs: 0,
				baseDelayMs: 0,
				maxDelayMs: 0,
				attemptTimeoutMs: Math.min(
					settings.attemptTimeoutMs ?? DEFAULT_POLL_TIMEOUT_MS,
					untilDeadline,
				),
			},
		});
		watch.transientErrors = 0;
		if (watch.history.at(-1)?.status !== result.status) {
			watch.history.push({
				status: result.status,
				after_seconds: Math.round((Date.now() - startedAt) / 100) / 10,
			});
		}
		watch.status = result.status;
		watch.message = result.message ?? '';
		if (TERMINAL_STATUSES.includes(result.status)) {
			watch.done = true;
			watch.finishedAt = Date.now();
		} else {
			watch.nextPollAt = Date.now() + settings.intervalMs;
		}
	} catch (error) {
		if (this.getExecutionCancelSignal()?.aborted) throw asNodeError(this.getNode(), error);
		const failure = failureOf(error) ?? {};
		if (isTransient(failure)) {
			watch.transientErrors += 1;
			watch.history.push({
				status: `retrying after ${failure.status ?? failure.code ?? 'error'}`,
				after_seconds: secondsSince(startedAt),
			});
			const backoff = Math.min(
				settings.maxBackoffMs,
				settings.intervalMs * 2 ** (watch.transientErrors - 1),
			);
			const serverDelay = parseRetryAfter(failure.retryAfterHeader, Date.now());
			watch.nextPollAt = Date.now() + Math.max(backoff, serverDelay ?? 0);
			return;
		}
		watch.done = true;
		watch.finishedAt = Date.now();
		watch.status = failure.status === 404 ? 'NOT_FOUND' : watch.status;
		watch.message = (error as Error).message;
		watch.fatalError = error as Error;
	}
}

function secondsSince(startedAt: number): number {
	return Math.round((Date.now() - startedAt) / 100) / 10;
}
