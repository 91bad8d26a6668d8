import { sleepUnlessCancelled } from './sleep';

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
