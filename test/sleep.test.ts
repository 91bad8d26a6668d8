/**
 * The newest n8n 2.x ships an n8n-workflow without `sleepWithAbort`. The built helper must then
 * still wait, and still stop when the execution is cancelled.
 */
type SleepModule = typeof import('../dist/nodes/Phota/transport/sleep');

function loadWithoutSleepWithAbort(): SleepModule {
	let loaded: SleepModule | undefined;
	jest.isolateModules(() => {
		jest.doMock('n8n-workflow', () => {
			const actual = jest.requireActual<Record<string, unknown>>('n8n-workflow');
			const { sleepWithAbort: _removed, ...rest } = actual;
			return rest;
		});
		loaded = jest.requireActual<SleepModule>('../dist/nodes/Phota/transport/sleep');
	});
	jest.dontMock('n8n-workflow');
	return loaded!;
}

test.each([
	[
		'with n8n-workflow sleepWithAbort',
		() => jest.requireActual<SleepModule>('../dist/nodes/Phota/transport/sleep'),
	],
	['without it (newest n8n 2.x)', loadWithoutSleepWithAbort],
])('sleepUnlessCancelled %s waits, and stops at once on cancel', async (_label, load) => {
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
});

test('sleeps leave no abort listener behind on the execution signal (a long wait sleeps hundreds of times)', async () => {
	const { EventEmitter } = await import('node:events');
	const { sleepUnlessCancelled, armTimer } = jest.requireActual<SleepModule>(
		'../dist/nodes/Phota/transport/sleep',
	);
	const execution = new AbortController();
	for (let sleep = 0; sleep < 50; sleep++) await sleepUnlessCancelled(1, execution.signal);
	expect(EventEmitter.getEventListeners(execution.signal, 'abort')).toHaveLength(0);

	let fired = false;
	const disarm = armTimer(20, () => (fired = true));
	disarm();
	await sleepUnlessCancelled(60);
	expect(fired).toBe(false);
});
