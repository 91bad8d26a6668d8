/**
 * At most `limit` Phota requests in flight for one node run, however the operation nests them
 * (items in parallel, each looking up several profiles). A permit is held for one attempt only,
 * never while backing off, so nested requests cannot deadlock.
 */
export class RequestLimiter {
	private active = 0;
	private readonly waiting: Array<() => void> = [];

	constructor(private readonly limit: number) {}

	async run<T>(work: () => Promise<T>): Promise<T> {
		if (this.active >= this.limit) {
			await new Promise<void>((resolve) => this.waiting.push(resolve));
		} else {
			this.active += 1;
		}
		try {
			return await work();
		} finally {
			const next = this.waiting.shift();
			// The permit passes straight to the next waiter; otherwise it is returned.
			if (next) next();
			else this.active -= 1;
		}
	}
}

const limiterByContext = new WeakMap<object, RequestLimiter>();

/** Sets the bound for requests made with this node run's context. */
export function limitConcurrentRequests(context: object, limit: number): void {
	limiterByContext.set(context, new RequestLimiter(limit));
}

export function requestLimiterOf(context: object): RequestLimiter | undefined {
	return limiterByContext.get(context);
}
