import { sleepUnlessCancelled } from './timers';

/**
 * What happened to a request sent under a permit, for the limit to adapt; `notSent`: the permit
 * was given back unused (the request was refused), which counts for nothing.
 */
export type PermitOutcome = 'ok' | 'rateLimited' | 'other' | 'notSent';

export interface Permit {
	/** `waitMs`: for a 429, how long Phota asked to wait (Retry-After) before resending. */
	release(outcome: PermitOutcome, waitMs?: number): void;
}

/** Steps up from a level that drew a 429 wait at most this many rounds of successes. */
const MAX_PATIENCE = 8;

/**
 * At most `limit` Phota requests in flight for one node run, however the operation nests them
 * (items in parallel, each looking up several profiles). A permit is held for one attempt only,
 * never while backing off, so nested requests cannot deadlock.
 *
 * The limit adapts so a batch settles on the account's real rate limit instead of repeating 429
 * storms. Parallel Requests is the ceiling.
 * - Each 429 lowers the limit by one: against a concurrent-request limit, the 429s of a burst are
 *   exactly the requests sent beyond it (20 sent against a limit of 3 draw 17), so the limit lands
 *   on the account's figure at once instead of halving towards it wave after wave.
 * - Successes raise it by one per round (`limit` successes) sent while the limit was fully used: a
 *   limit that nothing tests does not grow, and successes sent under a higher limit do not count.
 * - A step up that draws a 429 makes the next step up wait twice as many rounds (up to
 *   {@link MAX_PATIENCE}); a step up that holds halves the wait again.
 * - A step up is only tried while the work left (see {@link setBacklog}) lasts at least twice the
 *   last Retry-After: a step up that fails costs one item that wait, which near the end of a batch
 *   would make the whole batch wait.
 */
export class RequestLimiter {
	private limit: number;
	private active = 0;
	private successes = 0;
	/** How often a request went out that filled the limit. */
	private timesFull = 0;
	private patience = 1;
	/** The level of the last step up, until a 429 sent at it or a further step up. */
	private raisedTo?: number;
	/** The last Retry-After wait asked for, ms. */
	private rateLimitWaitMs = 0;
	/** Typical time of a successful request, ms (moving average). */
	private latencyMs?: number;
	private backlog?: () => number;
	private readonly waiting: Array<() => void> = [];
	private lastOutcome: PermitOutcome = 'ok';

	constructor(private readonly ceiling: number) {
		this.limit = ceiling;
	}

	get currentLimit(): number {
		return this.limit;
	}

	/** Whether the last request released went wrong (its error may still be on its way up). */
	get lastRequestFailed(): boolean {
		return this.lastOutcome !== 'ok';
	}

	/** How much work of the run is left (in requests or items), for the step-up rule; unset: always enough. */
	setBacklog(backlog: () => number): void {
		this.backlog = backlog;
	}

	async acquire(): Promise<Permit> {
		if (this.active >= this.limit) {
			await new Promise<void>((resolve) => this.waiting.push(resolve));
		} else {
			this.active += 1;
		}
		const sentAt = Date.now();
		const level = this.limit;
		const fullAtSend = this.active >= this.limit;
		if (fullAtSend) this.timesFull += 1;
		const timesFullAtSend = this.timesFull;
		let released = false;
		return {
			release: (outcome, waitMs) => {
				if (released) return;
				released = true;
				// Whether the limit was fully used while this request was out, at no higher a level than now.
				const tested = (fullAtSend || this.timesFull > timesFullAtSend) && level <= this.limit;
				if (outcome !== 'notSent') this.lastOutcome = outcome;
				if (outcome === 'rateLimited') this.lowered(level, waitMs);
				else if (outcome === 'ok') this.succeeded(Date.now() - sentAt, tested);
				this.active -= 1;
				this.admit();
			},
		};
	}

	private lowered(level: number, waitMs: number | undefined): void {
		if (waitMs !== undefined) this.rateLimitWaitMs = waitMs;
		if (this.raisedTo !== undefined && level >= this.raisedTo) {
			this.patience = Math.min(MAX_PATIENCE, this.patience * 2);
			this.raisedTo = undefined;
		}
		this.successes = 0;
		this.limit = Math.max(1, this.limit - 1);
	}

	private succeeded(durationMs: number, limitFullyUsed: boolean): void {
		this.latencyMs =
			this.latencyMs === undefined ? durationMs : 0.8 * this.latencyMs + 0.2 * durationMs;
		if (!limitFullyUsed || this.limit >= this.ceiling) return;
		this.successes += 1;
		if (this.successes < this.limit * this.patience || !this.enoughWorkLeft()) return;
		if (this.raisedTo !== undefined) this.patience = Math.max(1, this.patience / 2);
		this.successes = 0;
		this.limit += 1;
		this.raisedTo = this.limit;
	}

	private enoughWorkLeft(): boolean {
		const itemsLeft = this.backlog?.() ?? Number.POSITIVE_INFINITY;
		if (itemsLeft === Number.POSITIVE_INFINITY || this.rateLimitWaitMs === 0) return true;
		const workLeftMs = (itemsLeft * (this.latencyMs ?? 0)) / this.limit;
		return workLeftMs >= 2 * this.rateLimitWaitMs;
	}

	private admit(): void {
		while (this.active < this.limit && this.waiting.length > 0) {
			this.active += 1;
			this.waiting.shift()?.();
		}
	}
}

/**
 * Refused to a request once another item had failed the node: a paid request (a first send or a
 * resend after a 429 or a transient failure), or any request of an item that had sent nothing yet.
 */
export class ItemNotSentError extends Error {
	constructor() {
		super('Not sent: another item had already failed the node');
	}
}

/**
 * Whether a node run is lost: an item failed without Continue On Fail, so the node will stop and
 * nothing more is paid for. Once it is ({@link markLost}), every paid request is refused, first
 * sends and resends alike, and so is any request of an item that has sent none yet. Free requests
 * of items already under way (reads, downloads of paid images) go on, so that the node's error can
 * name what they finished.
 */
export class LostRun {
	private readonly lost = new AbortController();
	/** Items that sent a request: once the run is lost, their free requests still go on. */
	private readonly itemsSent = new Set<number>();

	/** Aborted once the run is lost: a resend's wait ends with it. */
	get signal(): AbortSignal {
		return this.lost.signal;
	}

	markLost(): void {
		this.lost.abort();
	}

	/**
	 * Whether a request may go out now (`itemIndex`: the item it is for, if any; `paid`: whether
	 * Phota may bill it). `afterFailedRequest`: a failed request frees its permit before its error
	 * has travelled up to the item runner, so the decision waits for that error to arrive (it takes
	 * only promise steps).
	 */
	async allows(
		itemIndex: number | undefined,
		paid: boolean,
		afterFailedRequest: boolean,
	): Promise<boolean> {
		const firstOfItem = itemIndex !== undefined && !this.itemsSent.has(itemIndex);
		if (!paid && !firstOfItem) return true;
		if (afterFailedRequest) await sleepUnlessCancelled(0);
		if (this.lost.signal.aborted) return false;
		if (firstOfItem) this.itemsSent.add(itemIndex);
		return true;
	}
}

/** Runs `worker` over `keys` with at most `limit` promises pending at once. */
export async function forEachConcurrently<K>(
	keys: K[],
	limit: number,
	worker: (key: K) => Promise<void>,
): Promise<void> {
	let next = 0;
	if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`Concurrency limit ${limit}`);
	const lanes = Array.from({ length: Math.min(limit, keys.length) }, async () => {
		while (next < keys.length) {
			const key = keys[next++];
			await worker(key);
		}
	});
	await Promise.all(lanes);
}
