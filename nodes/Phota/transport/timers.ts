/**
 * Waiting without setTimeout (which community nodes may not call): sleeps a signal can end, a timer
 * that costs nothing to disarm, and one listener per signal however many wait on it.
 */
import * as n8nWorkflow from 'n8n-workflow';

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
