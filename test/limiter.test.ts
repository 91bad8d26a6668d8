/** The request limiter's adaptive limit, straight from the source (no n8n needed). */
import { RequestLimiter } from '../nodes/Phota/transport/limiter';

async function holdPermits(limiter: RequestLimiter, count: number) {
	return await Promise.all(Array.from({ length: count }, async () => await limiter.acquire()));
}

test('a burst against a concurrent limit lands on it at once: each 429 is one request too many', async () => {
	// 20 sent against an account limit of 3: 17 are refused. (Halving once per burst left 10.)
	const limiter = new RequestLimiter(20);
	const burst = await holdPermits(limiter, 20);
	for (const permit of burst.slice(3)) permit.release('rateLimited', 1000);
	expect(limiter.currentLimit).toBe(3);
	for (const permit of burst.slice(0, 3)) permit.release('ok');
	expect(limiter.currentLimit).toBe(3);
});

test('successes raise the limit one step per full round, only while the limit is fully used', async () => {
	const limiter = new RequestLimiter(8);
	const burst = await holdPermits(limiter, 8);
	for (const permit of burst.slice(4)) permit.release('rateLimited', 1000);
	for (const permit of burst.slice(0, 4)) permit.release('ok');
	expect(limiter.currentLimit).toBe(4);

	// One request at a time never tests a limit of 4: it does not grow.
	for (let success = 0; success < 20; success++) (await limiter.acquire()).release('ok');
	expect(limiter.currentLimit).toBe(4);

	// Four at a time, four times: one round, one step.
	for (let round = 0; round < 1; round++) {
		const full = await holdPermits(limiter, 4);
		for (const permit of full) permit.release('ok');
	}
	expect(limiter.currentLimit).toBe(5);
});

test('a step up that draws a 429 waits twice as many rounds next time', async () => {
	const limiter = new RequestLimiter(8);
	const burst = await holdPermits(limiter, 8);
	for (const permit of burst.slice(2)) permit.release('rateLimited', 1000);
	for (const permit of burst.slice(0, 2)) permit.release('ok');
	expect(limiter.currentLimit).toBe(2);
	const round = async (size: number) => {
		for (const permit of await holdPermits(limiter, size)) permit.release('ok');
	};
	await round(2);
	expect(limiter.currentLimit).toBe(3);
	// The step up to 3 fails: back to 2, and the next step up takes two rounds.
	const probe = await holdPermits(limiter, 3);
	probe[2].release('rateLimited', 1000);
	probe[0].release('ok');
	probe[1].release('ok');
	expect(limiter.currentLimit).toBe(2);
	await round(2);
	expect(limiter.currentLimit).toBe(2);
	await round(2);
	expect(limiter.currentLimit).toBe(3);
});

test('no step up near the end of a batch, where a 429 would make the whole batch wait Retry-After', async () => {
	let itemsLeft = 100;
	const limiter = new RequestLimiter(8);
	limiter.setBacklog(() => itemsLeft);
	const burst = await holdPermits(limiter, 8);
	for (const permit of burst.slice(2)) permit.release('rateLimited', 60_000);
	for (const permit of burst.slice(0, 2)) permit.release('ok');
	expect(limiter.currentLimit).toBe(2);
	// Requests take ~0 ms here, so 100 items are far less work than two 60 s waits.
	for (let round = 0; round < 5; round++) {
		for (const permit of await holdPermits(limiter, 2)) permit.release('ok');
	}
	expect(limiter.currentLimit).toBe(2);
	// Without a 429 wait on record (or without a backlog), the usual steps.
	itemsLeft = Number.POSITIVE_INFINITY;
	for (const permit of await holdPermits(limiter, 2)) permit.release('ok');
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
