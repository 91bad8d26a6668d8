import * as n8nWorkflow from 'n8n-workflow';

import type { BodyStream } from './bodyStreams';
import { discardBody, isBodyStream } from './bodyStreams';

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

/**
 * Calls `onFire` after `ms` unless disarmed first. Every request arms one (its deadline) and nearly
 * every one disarms it. Ending n8n's sleep early costs an abort error and n8n's cancellation
 * error, each capturing a stack: 0.08 ms per request, the largest part of the node's overhead
 * over a bare authenticated request (profiled, BENCHMARKS.md section 1). A timeout signal costs
 * nothing to disarm (the listener is removed) and, unreferenced, does not keep n8n's process alive.
 */
export function armTimer(ms: number, onFire: () => void): () => void {
	const timeout = AbortSignal.timeout(Math.max(0, ms));
	timeout.addEventListener('abort', onFire, { once: true });
	return () => timeout.removeEventListener('abort', onFire);
}

/** Raised when one attempt took longer than its bound; the code makes it a timeout for the retry policy. */
export class AttemptTimeoutError extends Error {
	readonly code = 'ETIMEDOUT';

	constructor(timeoutMs: number) {
		super(`no complete answer within ${Math.round(timeoutMs / 100) / 10} s`);
	}
}

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
	private rejectRace: (error: Error) => void = () => {};
	private readonly passed: Promise<never>;
	private readonly disarm: () => void;
	private readonly abort = new AbortController();
	private readonly unlinkCancel: () => void;

	constructor(
		private readonly timeoutMs: number,
		cancelSignal?: AbortSignal,
	) {
		this.passed = new Promise<never>((_resolve, reject) => {
			this.rejectRace = reject;
		});
		this.passed.catch(() => {});
		this.unlinkCancel = linkAbort(cancelSignal, this.abort);
		this.disarm = armTimer(timeoutMs, () => this.fire());
	}

	/** Aborted when the bound passes or the execution is stopped: the attempt's HTTP request takes it. */
	get signal(): AbortSignal {
		return this.abort.signal;
	}

	/**
	 * Settles with `work`, or fails once the deadline passes and `work` (its request aborted) has
	 * ended; a late answer's body is discarded.
	 */
	async race<T>(work: Promise<T>): Promise<T> {
		const ended = work.then(
			(late) => {
				if (this.fired) discardBody(late);
			},
			() => {},
		);
		const passedAndEnded = new Promise<never>((_resolve, reject) => {
			this.passed.catch(
				(error: unknown) => void settledWithin(ended, ABORT_GRACE_MS).then(() => reject(error)),
			);
		});
		// Aborted by the deadline, the request fails with the abort's error: the deadline's is the one told.
		const answered = work.then(
			(value) => value,
			async (error: unknown) => await (this.fired ? passedAndEnded : Promise.reject(error)),
		);
		return await Promise.race([answered, passedAndEnded]);
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
		this.rejectRace(error);
	}
}

/** Waits for `work` to settle, at most `ms`. */
async function settledWithin(work: Promise<void>, ms: number): Promise<void> {
	const timer = new AbortController();
	await Promise.race([work, sleepUnlessCancelled(ms, timer.signal).catch(() => {})]);
	timer.abort();
}
