import * as n8nWorkflow from 'n8n-workflow';

import type { BodyStream } from './answer';
import { discardBody, isBodyStream } from './answer';

type AbortableSleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * n8n-workflow's timer that a signal can cut short (community nodes may not call setTimeout).
 * Older n8n-workflow has `sleepWithAbort`; from 2.34 it is gone and `sleep` takes the signal.
 */
const mayExport: { sleepWithAbort?: AbortableSleep } = n8nWorkflow;
const abortableSleep: AbortableSleep = mayExport.sleepWithAbort ?? raceSleepWithSignal;

/** `sleep`: in the n8n-workflow the package is built against it takes no signal, from 2.34 it does. */
const sleepMaybeTakingSignal: AbortableSleep = n8nWorkflow.sleep;

/** `sleep` (which newer n8n-workflow versions let a signal end) raced with the signal itself. */
async function raceSleepWithSignal(ms: number, signal?: AbortSignal): Promise<void> {
	if (signal?.aborted) throw new n8nWorkflow.ManualExecutionCancelledError('');
	let onAbort = () => {};
	const aborted = new Promise<never>((_resolve, reject) => {
		onAbort = () => reject(new n8nWorkflow.ManualExecutionCancelledError(''));
		signal?.addEventListener('abort', onAbort, { once: true });
	});
	try {
		await Promise.race([sleepMaybeTakingSignal(ms, signal), aborted]);
	} finally {
		signal?.removeEventListener('abort', onAbort);
	}
}

/**
 * Waits `ms`, ending early (with n8n's cancellation error) when the execution is cancelled, and
 * without an error when `wake` is aborted (the caller then sees why on its own).
 * The timer runs on a signal of its own, linked to the execution's for this wait only: n8n-workflow's
 * helpers leave their listener on the signal after a normal wake-up, and a long wait sleeps
 * hundreds of times on the same execution signal.
 */
export async function sleepUnlessCancelled(
	ms: number,
	signal?: AbortSignal,
	wake?: AbortSignal,
): Promise<void> {
	const timer = new AbortController();
	const unlinkCancel = linkAbort(signal, timer);
	let onWake = () => {};
	const woken = new Promise<void>((resolve) => (onWake = resolve));
	// A cancelled execution is never "woken": the cancellation error wins.
	let stopWaitingForWake = () => {};
	if (wake?.aborted && !signal?.aborted) onWake();
	else if (wake) stopWaitingForWake = onAbort(wake, onWake);
	const sleeping = abortableSleep(Math.max(0, ms), timer.signal);
	// After a wake-up the timer is cleared, and the sleep's own cancellation error is nobody's.
	sleeping.catch(() => {});
	try {
		await Promise.race([sleeping, woken]);
	} finally {
		timer.abort();
		unlinkCancel();
		stopWaitingForWake();
	}
}

/** Aborts `target` when `source` aborts, until the returned function unlinks them. */
export function linkAbort(source: AbortSignal | undefined, target: AbortController): () => void {
	if (!source) return () => {};
	if (source.aborted) {
		target.abort(source.reason);
		return () => {};
	}
	return onAbort(source, () => target.abort(source.reason));
}

/**
 * What waits on one signal, behind one listener, removed with the last waiter. A run waits on the
 * execution's cancel signal (and on its LostRun's) in many places at once, one per request in
 * flight or resend waiting, and Node warns of a leak once an AbortSignal has more than 10 listeners.
 */
class AbortWaiters {
	private readonly waiters = new Set<() => void>();
	private readonly callAll = () => {
		waitersBySignal.delete(this.signal);
		for (const waiter of [...this.waiters]) waiter();
	};

	constructor(private readonly signal: AbortSignal) {
		signal.addEventListener('abort', this.callAll, { once: true });
	}

	add(callback: () => void): () => void {
		const waiter = () => callback();
		this.waiters.add(waiter);
		return () => {
			if (!this.waiters.delete(waiter) || this.waiters.size > 0) return;
			this.signal.removeEventListener('abort', this.callAll);
			waitersBySignal.delete(this.signal);
		};
	}
}

const waitersBySignal = new WeakMap<AbortSignal, AbortWaiters>();

/** Calls `callback` once `signal` aborts, until the returned function stops it. */
function onAbort(signal: AbortSignal, callback: () => void): () => void {
	let waiters = waitersBySignal.get(signal);
	if (!waiters) {
		waiters = new AbortWaiters(signal);
		waitersBySignal.set(signal, waiters);
	}
	return waiters.add(callback);
}

/** A deadline armed with armTimer: when it passes, and what it calls then. */
interface ArmedTimer {
	at: number;
	onFire: () => void;
}

/**
 * Every armed deadline of this process, checked by one timer set for the earliest of them. Every
 * request arms one (its attempt's deadline) and nearly every one disarms it well before. A timer
 * per request (n8n's sleep ended early, then a timeout signal) cost 12–80 µs of the ~0.1 ms a
 * request takes over a bare authenticated request (profiled, BENCHMARKS.md section 1); arming
 * here is a Set insertion, and a run's attempts, all with the same bound, share one timer.
 */
const armedTimers = new Set<ArmedTimer>();
/** When the check timer will next run (undefined when none is set). */
let nextCheckAt: number | undefined;

/** Calls `onFire` after `ms` unless the returned function (disarm) is called first. */
export function armTimer(ms: number, onFire: () => void): () => void {
	const timer = { at: Date.now() + Math.max(0, ms), onFire };
	armedTimers.add(timer);
	if (nextCheckAt === undefined || timer.at < nextCheckAt) scheduleCheck(timer.at);
	return () => armedTimers.delete(timer);
}

/**
 * Sets the check timer for `at`. A timeout signal: unreferenced, it does not keep n8n's process
 * alive, and community nodes may not call setTimeout. A timer set for later stays set, and finds
 * nothing to do or reschedules when it runs.
 */
function scheduleCheck(at: number): void {
	nextCheckAt = at;
	const timeout = AbortSignal.timeout(Math.max(0, at - Date.now()));
	timeout.addEventListener('abort', () => checkTimers(at), { once: true });
}

function checkTimers(scheduledFor: number): void {
	// A check timer superseded by an earlier one does nothing.
	if (nextCheckAt !== scheduledFor) return;
	nextCheckAt = undefined;
	const now = Date.now();
	let earliest: number | undefined;
	for (const timer of [...armedTimers]) {
		if (timer.at <= now) {
			armedTimers.delete(timer);
			timer.onFire();
		} else if (earliest === undefined || timer.at < earliest) {
			earliest = timer.at;
		}
	}
	if (earliest !== undefined && (nextCheckAt === undefined || earliest < nextCheckAt)) {
		scheduleCheck(earliest);
	}
}

/** Raised when one attempt took longer than its bound; the code makes it a timeout for the retry policy. */
export class AttemptTimeoutError extends Error {
	readonly code = 'ETIMEDOUT';

	constructor(timeoutMs: number) {
		super(`no complete answer within ${Math.round(timeoutMs / 100) / 10} s`);
	}
}

/** How a raced request ended: answered in time, or failed (answering after the bound is failing). */
type Raced<T> = { kind: 'value'; value: T } | { kind: 'error'; error: unknown };

/** How long a timed-out attempt's request may take to end after it was aborted. */
const ABORT_GRACE_MS = 2_000;

/**
 * A wall-clock bound on one attempt, headers and body together. n8n's `timeout` only ends an idle
 * socket, and without redirects followed not even a stalled body; so when the bound passes, the
 * request is aborted through {@link signal} (which also follows the execution's Stop) and any body
 * stream still open is destroyed. The attempt fails only once its request has ended, so a timed-out
 * request never stays out while its slot under Parallel Requests goes to another.
 */
export class AttemptDeadline {
	private fired = false;
	private readonly streams = new Set<BodyStream>();
	private readonly abort = new AbortController();
	private readonly unlinkCancel: () => void;
	private readonly disarm: () => void;
	/** The request being raced: its answer, if one comes after the bound passed, is discarded. */
	private work: Promise<unknown> | undefined;
	/** Rejected ABORT_GRACE_MS after the bound passed, should an aborted request not end. */
	private readonly givenUp: Promise<never>;
	private giveUp: (error: Error) => void = () => {};

	constructor(
		private readonly timeoutMs: number,
		cancelSignal?: AbortSignal,
	) {
		this.givenUp = new Promise<never>((_resolve, reject) => (this.giveUp = reject));
		this.givenUp.catch(() => {});
		this.unlinkCancel = linkAbort(cancelSignal, this.abort);
		this.disarm = armTimer(timeoutMs, () => this.fire());
	}

	/** Aborted when the bound passes or the execution is stopped: the attempt's HTTP request takes it. */
	get signal(): AbortSignal {
		return this.abort.signal;
	}

	/**
	 * Settles with `work`, or, once the bound passed and `work` (its request aborted) has ended, fails
	 * with the deadline's error (not the abort's); an answer that comes after that is discarded.
	 */
	async race<T>(work: Promise<T>): Promise<T> {
		this.work = work;
		// An answer after the bound passed is discarded by fire(), which holds `work` for that.
		const outcome = await Promise.race([work, this.givenUp]).then(
			(value): Raced<T> =>
				this.fired
					? { kind: 'error', error: new AttemptTimeoutError(this.timeoutMs) }
					: { kind: 'value', value },
			(error: unknown): Raced<T> => ({
				kind: 'error',
				error: this.fired ? new AttemptTimeoutError(this.timeoutMs) : error,
			}),
		);
		this.work = undefined;
		if (outcome.kind === 'value') return outcome.value;
		throw outcome.error;
	}

	/** Destroys `stream` if it is still being read when the deadline passes. */
	watch(stream: unknown): void {
		if (!isBodyStream(stream)) return;
		if (this.fired) stream.destroy(new AttemptTimeoutError(this.timeoutMs));
		else this.streams.add(stream);
	}

	end(): void {
		this.disarm();
		this.unlinkCancel();
		this.streams.clear();
	}

	private fire(): void {
		this.fired = true;
		const error = new AttemptTimeoutError(this.timeoutMs);
		// The streams first: a body already being read then fails with this error, not the abort's.
		for (const stream of this.streams) stream.destroy(error);
		this.abort.abort(error);
		this.work?.then(discardBody, () => {});
		armTimer(ABORT_GRACE_MS, () => this.giveUp(error));
	}
}
