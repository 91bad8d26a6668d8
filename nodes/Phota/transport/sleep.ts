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
	if (wake?.aborted && !signal?.aborted) onWake();
	else wake?.addEventListener('abort', onWake, { once: true });
	const sleeping = abortableSleep(Math.max(0, ms), timer.signal);
	// After a wake-up the timer is cleared, and the sleep's own cancellation error is nobody's.
	sleeping.catch(() => {});
	try {
		await Promise.race([sleeping, woken]);
	} finally {
		timer.abort();
		unlinkCancel();
		wake?.removeEventListener('abort', onWake);
	}
}

/** Aborts `target` when `source` aborts, until the returned function unlinks them. */
export function linkAbort(source: AbortSignal | undefined, target: AbortController): () => void {
	if (!source) return () => {};
	if (source.aborted) {
		target.abort(source.reason);
		return () => {};
	}
	const onAbort = () => target.abort(source.reason);
	source.addEventListener('abort', onAbort, { once: true });
	return () => source.removeEventListener('abort', onAbort);
}

/**
 * Calls `onFire` after `ms` unless disarmed first; disarming clears the timer at once, so a
 * finished request leaves no pending timer behind.
 */
export function armTimer(ms: number, onFire: () => void): () => void {
	const timer = new AbortController();
	abortableSleep(Math.max(0, ms), timer.signal).then(
		() => {
			if (!timer.signal.aborted) onFire();
		},
		() => {},
	);
	return () => timer.abort();
}
