/**
 * The newest n8n 2.x ships an n8n-workflow without `sleepWithAbort`. The helper must then still
 * wait, and still stop when the execution is cancelled.
 */
type SleepModule = typeof import('../../nodes/Phota/transport/timers');

const SLEEP_MODULE = '../../nodes/Phota/transport/timers';

function loadWithSleepWithAbort(): SleepModule {
	// The n8n-workflow installed here has it, so this case really takes that path.
	expect(jest.requireActual<Record<string, unknown>>('n8n-workflow').sleepWithAbort).toEqual(
		expect.any(Function),
	);
	return jest.requireActual<SleepModule>(SLEEP_MODULE);
}

function loadWithoutSleepWithAbort(): SleepModule {
	let loaded: SleepModule | undefined;
	jest.isolateModules(() => {
		// As in n8n-workflow from 2.34: no sleepWithAbort, and `sleep` takes the signal (the installed
		// `sleep` ignores it and would leave its timer running after the test).
		jest.doMock('n8n-workflow', () => {
			const actual = jest.requireActual<Record<string, unknown>>('n8n-workflow');
			const { sleepWithAbort, ...rest } = actual;
			return { ...rest, sleep: sleepWithAbort };
		});
		loaded = jest.requireActual<SleepModule>(SLEEP_MODULE);
	});
	jest.dontMock('n8n-workflow');
	return loaded!;
}

const VARIANTS: Array<[string, () => SleepModule]> = [
	['with n8n-workflow sleepWithAbort', loadWithSleepWithAbort],
	['without it (newest n8n 2.x)', loadWithoutSleepWithAbort],
];

test.each(VARIANTS)(
	'sleepUnlessCancelled %s waits, and stops at once on cancel',
	async (_label, load) => {
		const { sleepUnlessCancelled } = load();

		const started = Date.now();
		await sleepUnlessCancelled(60);
		expect(Date.now() - started).toBeGreaterThanOrEqual(50);

		const controller = new AbortController();
		const cancelledAt = Date.now();
		const sleeping = sleepUnlessCancelled(10_000, controller.signal);
		controller.abort();
		await expect(sleeping).rejects.toThrow();
		expect(Date.now() - cancelledAt).toBeLessThan(5_000);
	},
);

test.each(VARIANTS)(
	'sleeps %s leave no abort listener behind on the execution signal (a long wait sleeps hundreds of times)',
	async (_label, load) => {
		const { EventEmitter } = await import('node:events');
		const { sleepUnlessCancelled, armTimer } = load();
		const execution = new AbortController();
		for (let sleep = 0; sleep < 50; sleep++) await sleepUnlessCancelled(1, execution.signal);
		expect(EventEmitter.getEventListeners(execution.signal, 'abort')).toHaveLength(0);

		let fired = false;
		const disarm = armTimer(20, () => (fired = true));
		disarm();
		await sleepUnlessCancelled(60);
		expect(fired).toBe(false);
	},
);

test.each(VARIANTS)(
	'sleepUnlessCancelled %s ends early without an error when woken, and still throws when cancelled',
	async (_label, load) => {
		const { EventEmitter } = await import('node:events');
		const { sleepUnlessCancelled } = load();
		const execution = new AbortController();
		const wake = new AbortController();
		const wokenAt = Date.now();
		const sleeping = sleepUnlessCancelled(10_000, execution.signal, wake.signal);
		wake.abort();
		await expect(sleeping).resolves.toBeUndefined();
		expect(Date.now() - wokenAt).toBeLessThan(5_000);
		expect(EventEmitter.getEventListeners(execution.signal, 'abort')).toHaveLength(0);
		// Already woken: returns at once. Cancelled as well: the cancellation wins.
		await expect(
			sleepUnlessCancelled(10_000, execution.signal, wake.signal),
		).resolves.toBeUndefined();
		execution.abort();
		await expect(sleepUnlessCancelled(10_000, execution.signal, wake.signal)).rejects.toThrow();
	},
);

test.each(VARIANTS)(
	'many sleeps at once on one execution signal %s hold one abort listener between them, and all end on Stop',
	async (_name, load) => {
		const { sleepUnlessCancelled } = load();
		const { EventEmitter } = await import('node:events');
		const execution = new AbortController();
		const lostRun = new AbortController();
		const sleeps = Array.from({ length: 25 }, async () => {
			await sleepUnlessCancelled(60_000, execution.signal, lostRun.signal);
		});
		await Promise.resolve();
		// Node warns of a leak past 10 listeners on one signal; 25 requests in flight must not get there.
		expect(EventEmitter.getEventListeners(execution.signal, 'abort')).toHaveLength(1);
		expect(EventEmitter.getEventListeners(lostRun.signal, 'abort')).toHaveLength(1);
		execution.abort();
		const outcomes = await Promise.allSettled(sleeps);
		expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
		expect(EventEmitter.getEventListeners(lostRun.signal, 'abort')).toHaveLength(0);
	},
);
