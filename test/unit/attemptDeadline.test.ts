import { AttemptDeadline, AttemptTimeoutError } from '../../nodes/Phota/transport/attempt';

/** A request that ends `lingerMs` after its signal aborts, as a slow-to-close connection would. */
function requestEndingAfterAbort(
	signal: AbortSignal,
	lingerMs: number,
): {
	work: Promise<string>;
	endedAt: () => number | undefined;
} {
	let ended: number | undefined;
	const work = new Promise<string>((_resolve, reject) => {
		signal.addEventListener('abort', () =>
			setTimeout(() => {
				ended = Date.now();
				reject(new Error('canceled'));
			}, lingerMs),
		);
	});
	return { work, endedAt: () => ended };
}

test('an attempt past its deadline aborts its request and fails only once that request has ended', async () => {
	const deadline = new AttemptDeadline(50);
	const request = requestEndingAfterAbort(deadline.signal, 300);
	const racing = deadline.race(request.work);

	await expect(racing).rejects.toBeInstanceOf(AttemptTimeoutError);
	expect(deadline.signal.aborted).toBe(true);
	// Failing earlier would free the request's slot under Parallel Requests while it is still out.
	expect(request.endedAt()).toBeDefined();
	deadline.end();
});

test('Stop aborts the request through the same signal; a finished attempt leaves the execution signal alone', async () => {
	const execution = new AbortController();
	const deadline = new AttemptDeadline(10_000, execution.signal);
	expect(deadline.signal.aborted).toBe(false);
	execution.abort();
	expect(deadline.signal.aborted).toBe(true);
	deadline.end();

	const { EventEmitter } = await import('node:events');
	const another = new AbortController();
	const finished = new AttemptDeadline(10_000, another.signal);
	await expect(finished.race(Promise.resolve('answer'))).resolves.toBe('answer');
	finished.end();
	expect(EventEmitter.getEventListeners(another.signal, 'abort')).toHaveLength(0);
	expect(finished.signal.aborted).toBe(false);
});

test('a request that does not end when aborted is given up 2 s after its deadline', async () => {
	const deadline = new AttemptDeadline(50);
	const started = Date.now();
	await expect(deadline.race(new Promise<string>(() => {}))).rejects.toBeInstanceOf(
		AttemptTimeoutError,
	);
	expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
	expect(Date.now() - started).toBeLessThan(4_000);
	deadline.end();
});
