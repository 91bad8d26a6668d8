/** What happened to a request sent under a permit, for the limit to adapt. */
export type PermitOutcome = 'ok' | 'rateLimited' | 'other';

export interface Permit {
	release(outcome: PermitOutcome): void;
}

/**
 * At most `limit` Phota requests in flight for one node run, however the operation nests them
 * (items in parallel, each looking up several profiles). A permit is held for one attempt only,
 * never while backing off, so nested requests cannot deadlock.
 *
 * The limit adapts (additive increase, multiplicative decrease): a 429 halves it, and each run of
 * `limit` successes raises it by one, up to the ceiling (Parallel Requests). So a batch settles near
 * the account's real rate limit instead of repeating 429 storms. Only a 429 to a request sent under
 * the current limit lowers it: the other 429s of the same burst were sent before it was lowered.
 */
export class RequestLimiter {
	private limit: number;
	private active = 0;
	private epoch = 0;
	private successes = 0;
	private readonly waiting: Array<() => void> = [];

	constructor(private readonly ceiling: number) {
		this.limit = ceiling;
	}

	get currentLimit(): number {
		return this.limit;
	}

	async acquire(): Promise<Permit> {
		if (this.active >= this.limit) {
			await new Promise<void>((resolve) => this.waiting.push(resolve));
		} else {
			this.active += 1;
		}
		const epoch = this.epoch;
		let released = false;
		return {
			release: (outcome) => {
				if (released) return;
				released = true;
				this.adapt(outcome, epoch);
				this.active -= 1;
				this.admit();
			},
		};
	}

	private adapt(outcome: PermitOutcome, epoch: number): void {
		if (outcome === 'rateLimited') {
			if (epoch !== this.epoch) return;
			this.epoch += 1;
			this.successes = 0;
			this.limit = Math.max(1, Math.floor(this.limit / 2));
		} else if (outcome === 'ok' && this.limit < this.ceiling) {
			this.successes += 1;
			if (this.successes >= this.limit) {
				this.successes = 0;
				this.limit += 1;
			}
		}
	}

	private admit(): void {
		while (this.active < this.limit && this.waiting.length > 0) {
			this.active += 1;
			this.waiting.shift()?.();
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
