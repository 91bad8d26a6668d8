/** The request limiter's adaptive limit, straight from the source (no n8n needed). */
import { RequestLimiter } from '../../nodes/Phota/transport/limiter';
import { LostRun } from '../../nodes/Phota/transport/limiter';

async function holdPermits(limiter: RequestLimiter, count: number) {
	return await Promise.all(Array.from({ length: count }, async () => await limiter.acquire()));
}

/** `sent` requests at once against an account that allows `allowed`: the rest get 429. */
async function burst(limiter: RequestLimiter, sent: number, allowed: number, waitMs = 1000) {
	const permits = await holdPermits(limiter, sent);
	for (const permit of permits.slice(allowed)) permit.release('rateLimited', waitMs);
	for (const permit of permits.slice(0, allowed)) permit.release('ok');
}

/** One round of `size` requests at once, all successful. */
async function round(limiter: RequestLimiter, size: number) {
	for (const permit of await holdPermits(limiter, size)) permit.release('ok');
}

test('a burst against a concurrent limit lands on it at once: each 429 is one request too many', async () => {
	// 20 sent against an account limit of 3: 17 are refused. (Halving once per burst left 10.)
	const limiter = new RequestLimiter(20);
	await burst(limiter, 20, 3);
	expect(limiter.currentLimit).toBe(3);
});

test('successes raise the limit one step per full round, only while the limit is fully used', async () => {
	const limiter = new RequestLimiter(8);
	await burst(limiter, 8, 4);
	expect(limiter.currentLimit).toBe(4);

	// One request at a time never tests a limit of 4: it does not grow.
	for (let success = 0; success < 20; success++) (await limiter.acquire()).release('ok');
	expect(limiter.currentLimit).toBe(4);

	// Four at a time: one round, one step.
	await round(limiter, 4);
	expect(limiter.currentLimit).toBe(5);
});

test('a step up that draws a 429 waits twice as many rounds next time', async () => {
	const limiter = new RequestLimiter(8);
	await burst(limiter, 8, 2);
	expect(limiter.currentLimit).toBe(2);
	await round(limiter, 2);
	expect(limiter.currentLimit).toBe(3);
	// The step up to 3 fails: back to 2, and the next step up takes two rounds.
	const probe = await holdPermits(limiter, 3);
	probe[2].release('rateLimited', 1000);
	probe[0].release('ok');
	probe[1].release('ok');
	expect(limiter.currentLimit).toBe(2);
	await round(limiter, 2);
	expect(limiter.currentLimit).toBe(2);
	await round(limiter, 2);
	expect(limiter.currentLimit).toBe(3);
});

test('no step up near the end of a batch, where a 429 would make the whole batch wait Retry-After', async () => {
	let itemsLeft = 100;
	const limiter = new RequestLimiter(8);
	limiter.setBacklog(() => itemsLeft);
	await burst(limiter, 8, 2, 60_000);
	expect(limiter.currentLimit).toBe(2);
	// Requests take ~0 ms here, so 100 items are far less work than two 60 s waits.
	for (let rounds = 0; rounds < 5; rounds++) await round(limiter, 2);
	expect(limiter.currentLimit).toBe(2);
	// With work enough left, the usual steps.
	itemsLeft = Number.POSITIVE_INFINITY;
	await round(limiter, 2);
	expect(limiter.currentLimit).toBe(3);
});

test('never more permits out than the limit, never below one, never above the ceiling', async () => {
	const limiter = new RequestLimiter(2);
	const held = await holdPermits(limiter, 2);
	let third = false;
	const waiting = limiter.acquire().then((permit) => {
		third = true;
		return permit;
	});
	await Promise.resolve();
	expect(third).toBe(false);
	held[0].release('rateLimited');
	held[1].release('rateLimited');
	expect(limiter.currentLimit).toBe(1);
	(await waiting).release('rateLimited');
	expect(limiter.currentLimit).toBe(1);
	for (let success = 0; success < 10; success++) (await limiter.acquire()).release('ok');
	expect(limiter.currentLimit).toBe(2);
});

test('once the run is lost, nothing paid is sent: no first send, no resend; free requests of sent items go on', async () => {
	const lostRun = new LostRun();
	// Item 0 sent a request (answered 429), item 1 a read.
	expect(await lostRun.allows(0, true, false)).toBe(true);
	expect(await lostRun.allows(1, false, true)).toBe(true);

	lostRun.markLost();
	expect(lostRun.signal.aborted).toBe(true);
	// Item 0's resend would be paid, so it is refused.
	expect(await lostRun.allows(0, true, true)).toBe(false);
	// Item 0's free requests (a read, a download of a paid image) still go on.
	expect(await lostRun.allows(0, false, false)).toBe(true);
	// An item that sent nothing is refused, even a read.
	expect(await lostRun.allows(2, false, false)).toBe(false);
	// Free requests that belong to no item are never refused; paid ones are.
	expect(await lostRun.allows(undefined, false, false)).toBe(true);
	expect(await lostRun.allows(undefined, true, false)).toBe(false);
});

test('a refused request gives its permit back at once, counting for nothing', async () => {
	const limiter = new RequestLimiter(1);
	const held = await limiter.acquire();
	const waiting = limiter.acquire();
	held.release('notSent');
	(await waiting).release('ok');
	expect(limiter.currentLimit).toBe(1);
	expect(limiter.lastRequestFailed).toBe(false);
});

test('the decision after a failed request waits for that failure to reach the item runner', async () => {
	const lostRun = new LostRun();
	expect(await lostRun.allows(0, true, false)).toBe(true);
	// The failure arrives a few promise steps after the permit was released.
	void Promise.resolve()
		.then(() => undefined)
		.then(() => lostRun.markLost());
	expect(await lostRun.allows(1, true, true)).toBe(false);
});
