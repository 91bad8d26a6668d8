/**
 * What one node run made Phota bill, request by request: the retry loop records how every request
 * that Phota may bill ended, the image request adds how many images came back, and the item runner
 * reports the totals (output pane, n8n's log, the error of a failed run, optionally the items).
 */
import type { IExecuteFunctions } from 'n8n-workflow';

/** How a request Phota may bill ended, for the bill. */
export type BillOutcome =
	/** Phota processed it (a sync image request, a training). */
	| { kind: 'billed' }
	/** An async job Phota accepted: billed when it runs, refunded if it fails. */
	| { kind: 'queued' }
	/** Phota did not bill it: never sent, refused (4xx), or refunded (504). */
	| { kind: 'notBilled'; why: string }
	/** Phota may have processed it before its answer was lost. */
	| { kind: 'unknown'; why: string };

interface Tally {
	billed: number;
	queued: number;
	/** Sync requests past Phota's time limit (504, refunded), sent again as jobs. */
	resentAsJobs: number;
	images: number;
	notBilled: Map<string, number>;
	unknown: Map<string, number>;
}

const LABELS: Record<string, { name: string; unit: string }> = {
	'/profiles/add': { name: 'Create Profile', unit: 'training' },
	'/edit': { name: 'Edit', unit: 'image request' },
	'/generate': { name: 'Generate', unit: 'image request' },
	'/enhance': { name: 'Enhance', unit: 'image request' },
	'/remix': { name: 'Remix', unit: 'image request' },
};

function emptyTally(): Tally {
	return {
		billed: 0,
		queued: 0,
		resentAsJobs: 0,
		images: 0,
		notBilled: new Map(),
		unknown: new Map(),
	};
}

function add(counts: Map<string, number>, why: string): void {
	counts.set(why, (counts.get(why) ?? 0) + 1);
}

function plural(count: number, unit: string): string {
	return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

function reasons(counts: Map<string, number>): string {
	return [...counts.entries()].map(([why, count]) => `${count} ${why}`).join(', ');
}

/** The run's bill: per endpoint (what the summary says) and per input item (what items carry). */
export class RunBill {
	private readonly byEndpoint = new Map<string, Tally>();
	private readonly byItem = new Map<number, Tally>();
	/** Planned items that never sent anything: the run had stopped before their turn. */
	private itemsNeverSent = 0;

	itemsNotStarted(count: number): void {
		this.itemsNeverSent += count;
	}

	record(endpoint: string, itemIndex: number | undefined, outcome: BillOutcome): void {
		for (const tally of this.talliesOf(endpoint, itemIndex)) {
			if (outcome.kind === 'billed') tally.billed += 1;
			else if (outcome.kind === 'queued') tally.queued += 1;
			else if (outcome.kind === 'notBilled') add(tally.notBilled, outcome.why);
			else add(tally.unknown, outcome.why);
		}
	}

	/** An async job of this run that finished: billed when it succeeded, refunded when it failed. */
	jobSettled(
		endpoint: string,
		itemIndex: number | undefined,
		outcome: 'succeeded' | 'failed',
	): void {
		for (const tally of this.talliesOf(endpoint, itemIndex)) {
			tally.queued -= 1;
			if (outcome === 'succeeded') tally.billed += 1;
			else add(tally.notBilled, 'async job failed (refunded)');
		}
	}

	/** A sync request that Phota ended at its time limit (504, refunded), sent again as a job. */
	resentAsJob(endpoint: string, itemIndex: number | undefined): void {
		for (const tally of this.talliesOf(endpoint, itemIndex)) tally.resentAsJobs += 1;
	}

	/** Images a billed request returned. */
	addImages(endpoint: string, itemIndex: number | undefined, count: number): void {
		for (const tally of this.talliesOf(endpoint, itemIndex)) tally.images += count;
	}

	/** Requests Phota billed, queued or may have billed: what counts against a limit. */
	get paidRequestsSent(): number {
		let sent = 0;
		for (const tally of this.byEndpoint.values()) {
			sent += tally.billed + tally.queued + [...tally.unknown.values()].reduce((a, b) => a + b, 0);
		}
		return sent;
	}

	/** Whether any request that Phota may bill was made or refused in this run. */
	get hasPaidRequests(): boolean {
		return this.byEndpoint.size > 0 || this.itemsNeverSent > 0;
	}

	/** The run's bill in a sentence or two, per operation. */
	summary(): string {
		if (!this.hasPaidRequests) return 'Phota billed nothing for this run (no paid request).';
		const parts = [...this.byEndpoint.entries()].map(([endpoint, tally]) => {
			const { name, unit } = LABELS[endpoint] ?? { name: endpoint, unit: 'request' };
			const said = [
				tally.billed || !tally.queued ? `${plural(tally.billed, unit)} billed` : undefined,
				tally.images ? `${plural(tally.images, 'image')} returned` : undefined,
				tally.queued
					? `${plural(tally.queued, 'async job')} queued (billed when it runs, refunded if it fails)`
					: undefined,
				tally.notBilled.size ? `not billed: ${reasons(tally.notBilled)}` : undefined,
				tally.resentAsJobs
					? `${plural(tally.resentAsJobs, 'request')} past Phota's sync time limit (504) sent again as ${tally.resentAsJobs === 1 ? 'an async job' : 'async jobs'} and waited for`
					: undefined,
				tally.unknown.size ? `may have been billed: ${reasons(tally.unknown)}` : undefined,
			].filter(Boolean);
			return `${name}: ${said.join('; ')}`;
		});
		if (this.itemsNeverSent) {
			parts.push(`${plural(this.itemsNeverSent, 'input item')} not sent (the run had stopped)`);
		}
		return `What Phota billed for this run: ${parts.join('. ')}.`;
	}

	/** One input item's share of the bill, for its first output item (so that the items add up). */
	itemFigures(itemIndex: number): Record<string, number> {
		const tally = this.byItem.get(itemIndex) ?? emptyTally();
		const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);
		return {
			billed_requests: tally.billed,
			images: tally.images,
			async_jobs_queued: tally.queued,
			not_billed: total(tally.notBilled),
			may_have_been_billed: total(tally.unknown),
		};
	}

	private talliesOf(endpoint: string, itemIndex: number | undefined): Tally[] {
		const tallies = [this.tallyIn(this.byEndpoint, endpoint)];
		if (itemIndex !== undefined) tallies.push(this.tallyIn(this.byItem, itemIndex));
		return tallies;
	}

	private tallyIn<K>(map: Map<K, Tally>, key: K): Tally {
		let tally = map.get(key);
		if (!tally) {
			tally = emptyTally();
			map.set(key, tally);
		}
		return tally;
	}
}

/** The run's bill in n8n's log, and as a sentence for the output pane or the error. */
export function reportBill(this: IExecuteFunctions, bill: RunBill): string {
	const summary = bill.summary();
	this.logger?.info(`Phota: ${summary}`, {
		executionId: this.getExecutionId(),
		node: this.getNode().name,
	});
	return summary;
}
