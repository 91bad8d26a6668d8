/** The request limiter's adaptive limit, straight from the source (no n8n needed). */
import { RequestLimiter } from '../nodes/Phota/transport/limiter';

async function holdPermits(limiter: RequestLimiter, count: number) {
	return await Promise.all(Array.from({ length: count }, async () => await limiter.acquire()));
}

test('a burst of 429s sent under one limit halves it once; successes raise it one step per full round', async () => {
	const limiter = new RequestLimiter(8);
	const burst = await holdPermits(limiter, 8);
	for (const permit of burst) permit.release('rateLimited');
	expect(limiter.currentLimit).toBe(4);

	// Sent under the new limit: the next 429 halves again.
	const [next] = await holdPermits(limiter, 1);
	next.release('rateLimited');
	expect(limiter.currentLimit).toBe(2);

	for (let success = 0; success < 2; success++) (await limiter.acquire()).release('ok');
	expect(limiter.currentLimit).toBe(3);
	for (let success = 0; success < 3; success++) (await limiter.acquire()).release('ok');
	expect(limiter.currentLimit).toBe(4);
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
