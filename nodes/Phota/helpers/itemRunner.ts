import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { asNodeError } from '../transport';
import { reportBill } from '../transport/bill';
import { appendDescription } from '../transport/errors';
import { forEachConcurrently } from '../transport/limiter';
import { attachItemIndex, errorItem, noteFinishedItems } from './failedItems';
import type { RunSettings } from './settings';
import type { PlannedCharge } from './spending';
import { capRefusal, countSentInExecution, dryRunSummary, withItemBill } from './spending';

/**
 * One operation applied to every input item in two phases:
 * `plan` reads and checks an item's parameters and binaries without any API call, and runs for
 * every item before `run` makes the first (possibly paid) request.
 */
export interface ItemOperation<TPlan> {
	plan(this: IExecuteFunctions, itemIndex: number): Promise<TPlan>;
	run(this: IExecuteFunctions, plan: TPlan, itemIndex: number): Promise<INodeExecutionData[]>;
	/** The profiles a planned item works on, kept on its error item when it fails. */
	profileIdsOf?(plan: TPlan): string[];
	/** Called once after every item ran, with the items' plans, e.g. to add hints about the run. */
	finish?(this: IExecuteFunctions, plans: ReadonlyMap<number, TPlan>): void;
	/** What a planned item will ask Phota to bill; set by the operations Phota bills (images, trainings). */
	plannedCharge?(plan: TPlan): PlannedCharge;
	/** What a planned item would send (Options → Dry Run): the endpoint and the request's fields. */
	preview?(plan: TPlan): IDataObject;
	/**
	 * Plans and runs once for all input items together, as item 0 (Create → Collect From All
	 * Items): the result, or with Continue On Fail its error, pairs with every input item.
	 */
	allItemsAtOnce?: boolean;
}

/** An operation file's `prepare`: reads what holds for the whole run and returns what runs the items. */
export type PrepareOperation = (
	this: IExecuteFunctions,
	settings: RunSettings,
) => ItemOperation<unknown>;

/** Runs a prepared operation over the input items (see runItems), then its `finish`. */
export async function runOperation(
	this: IExecuteFunctions,
	operation: ItemOperation<unknown>,
	settings: RunSettings,
): Promise<INodeExecutionData[]> {
	const { bill } = settings.requests;
	let ran: RanItems<unknown>;
	try {
		ran = operation.allItemsAtOnce
			? await runOnceForAllItems.call(this, operation, settings)
			: await runItems.call(this, operation, settings);
	} catch (error) {
		const nodeError = asNodeError(this.getNode(), error);
		if (settings.caps.execution) countSentInExecution.call(this, bill.paidRequestsSent);
		// n8n drops a failed node's hints: the error of a run that may bill says what it billed.
		const summary = reportBill.call(this, bill);
		throw operation.plannedCharge ? appendDescription(nodeError, summary) : nodeError;
	}
	if (settings.caps.execution) countSentInExecution.call(this, bill.paidRequestsSent);
	operation.finish?.call(this, ran.plans);
	const message = reportBill.call(this, bill);
	// A dry run's own line says what it would have asked for.
	if (!(settings.dryRun && operation.preview)) {
		this.addExecutionHints({ message, type: 'info', location: 'outputPane' });
	}
	warnAboutFilesInMemory.call(this, ran.output);
	return ran.output;
}

/** The output of a run's items, and the plans they ran by. */
interface RanItems<TPlan> {
	output: INodeExecutionData[];
	plans: ReadonlyMap<number, TPlan>;
}

async function runOnceForAllItems(
	this: IExecuteFunctions,
	operation: ItemOperation<unknown>,
	settings: RunSettings,
): Promise<RanItems<unknown>> {
	const pairedItem = this.getInputData().map((_, item) => ({ item }));
	const plans = new Map<number, unknown>();
	try {
		plans.set(0, await operation.plan.call(this, 0));
		const refusal = capRefusal.call(this, plannedCharges(operation, plans), settings.caps);
		if (refusal) throw refusal;
		const outcomes: ItemOutcome[] = [];
		if (settings.dryRun) dryRunOutcomes.call(this, operation, plans, outcomes);
		const [plan] = plans.values();
		const [dryRun] = outcomes;
		const items =
			dryRun && 'items' in dryRun ? dryRun.items : await operation.run.call(this, plan, 0);
		return {
			output: this.helpers.constructExecutionMetaData(items, { itemData: pairedItem }),
			plans,
		};
	} catch (error) {
		const itemError = attachItemIndex.call(this, error, 0);
		if (!this.continueOnFail()) throw itemError;
		return { output: [{ ...errorItem.call(this, itemError, 0), pairedItem }], plans };
	}
}

type ItemOutcome = { items: INodeExecutionData[] } | { error: Error };

/**
 * Plans all items, then runs them with at most `parallelRequests` requests in flight, keeping input
 * order in the output. With Continue On Fail a failed item becomes `{ error }` and the rest go on;
 * without it, nothing paid is sent after a failure (no first send, no resend after a 429), requests
 * already out finish, and the failure is thrown naming what finished.
 */
async function runItems<TPlan>(
	this: IExecuteFunctions,
	operation: ItemOperation<TPlan>,
	settings: RunSettings,
): Promise<RanItems<TPlan>> {
	const { parallelRequests, requests, billingOnItems } = settings;
	const itemCount = this.getInputData().length;
	const continueOnFail = this.continueOnFail();
	const outcomes: ItemOutcome[] = new Array(itemCount);
	const plans = new Map<number, TPlan>();

	for (let itemIndex = 0; itemIndex < itemCount; itemIndex++) {
		try {
			plans.set(itemIndex, await operation.plan.call(this, itemIndex));
		} catch (error) {
			const itemError = attachItemIndex.call(this, error, itemIndex);
			if (!continueOnFail) throw itemError;
			outcomes[itemIndex] = { error: itemError };
		}
	}

	const refusal = capRefusal.call(this, plannedCharges(operation, plans), settings.caps);
	if (refusal && !continueOnFail) throw refusal;
	// With Continue On Fail every item that would have been sent says why it was not.
	if (refusal) for (const itemIndex of plans.keys()) outcomes[itemIndex] = { error: refusal };
	else if (settings.dryRun) dryRunOutcomes.call(this, operation, plans, outcomes);
	const toRun = refusal || (settings.dryRun && operation.preview) ? [] : [...plans.entries()];

	let firstFailure: Error | undefined;
	let unfinished = toRun.length;
	// The rate limiter only tries more requests at a time while enough items are left.
	requests.limiter.setBacklog(() => unfinished);
	// The limiter keeps requests within Parallel Requests; items beyond it get ready meanwhile.
	const itemsAtOnce = itemsInProgress(parallelRequests);
	await forEachConcurrently(toRun, itemsAtOnce, async ([itemIndex, plan]) => {
		if (firstFailure) return;
		try {
			const items = await operation.run.call(this, plan, itemIndex);
			outcomes[itemIndex] = { items };
		} catch (error) {
			const itemError = attachItemIndex.call(this, error, itemIndex);
			outcomes[itemIndex] = { error: itemError };
			if (!continueOnFail) {
				firstFailure ??= itemError;
				requests.lostRun?.markLost();
			}
		} finally {
			unfinished -= 1;
		}
	});
	if (operation.plannedCharge) {
		const neverStarted = toRun.filter(([itemIndex]) => !outcomes[itemIndex]).length;
		if (neverStarted) requests.bill.itemsNotStarted(neverStarted);
	}
	if (firstFailure) throw noteFinishedItems(firstFailure, outcomes);

	const inputItems = this.getInputData();
	const output = Array.from({ length: itemCount }, (_, itemIndex) => {
		const outcome = outcomes[itemIndex];
		if (!outcome) {
			throw new NodeOperationError(this.getNode(), `Item ${itemIndex} got no result`, {
				itemIndex,
				description: 'This is a bug in the Phota node; please report it.',
			});
		}
		if ('items' in outcome) {
			const items = this.helpers.constructExecutionMetaData(outcome.items, {
				itemData: { item: itemIndex },
			});
			return billingOnItems ? withItemBill(items, requests.bill.itemFigures(itemIndex)) : items;
		}
		const plan = plans.get(itemIndex);
		const inputJson = inputItems[itemIndex]?.json ?? {};
		const profileIds =
			plan !== undefined && operation.profileIdsOf ? operation.profileIdsOf(plan) : undefined;
		const failed = errorItem.call(
			this,
			outcome.error,
			itemIndex,
			profileIds ? { ...inputJson, profile_ids: profileIds } : inputJson,
		);
		return billingOnItems ? withItemBill([failed], requests.bill.itemFigures(itemIndex)) : [failed];
	}).flat();
	return { output, plans };
}

/** What each planned item will ask Phota to bill (none for an operation Phota does not bill). */
function plannedCharges<TPlan>(
	operation: ItemOperation<TPlan>,
	plans: Map<number, TPlan>,
): Map<number, PlannedCharge> {
	const { plannedCharge } = operation;
	return new Map(
		plannedCharge ? [...plans].map(([itemIndex, plan]) => [itemIndex, plannedCharge(plan)]) : [],
	);
}

/** Options → Dry Run: each planned item says what it would send, the output pane what the run would ask for. */
function dryRunOutcomes<TPlan>(
	this: IExecuteFunctions,
	operation: ItemOperation<TPlan>,
	plans: Map<number, TPlan>,
	outcomes: ItemOutcome[],
): void {
	const { preview } = operation;
	if (!preview) return;
	for (const [itemIndex, plan] of plans) {
		const profileIds = operation.profileIdsOf?.(plan) ?? [];
		const json = { dry_run: true, would_send: preview(plan), profile_ids: profileIds };
		outcomes[itemIndex] = { items: [{ json }] };
	}
	const message = dryRunSummary(plannedCharges(operation, plans));
	this.addExecutionHints({ message, type: 'info', location: 'outputPane' });
}

/**
 * How many items run at once for `parallelRequests` requests at once: half as many again wait
 * for a request slot with their parameters read and input images loaded, so that a slot freed by
 * a finished request is taken at once rather than after that item's output is stored and the next
 * item's images are loaded. Half, not more: each waiting item holds its images in memory.
 */
export function itemsInProgress(parallelRequests: number): number {
	return parallelRequests + Math.ceil(parallelRequests / 2);
}

/**
 * Files a run may keep in n8n's memory before the node warns. In n8n's in-memory binary data mode
 * (`default`) files live as base64 inside the execution, which n8n saves as one string. Measured
 * with n8n 2.8.4 (`n8n execute`, BENCHMARKS.md section 8): 96, 192 and 288 MB of images took the
 * process to 1.2, 3.2–3.9 and 4.1–4.2 GB, and 384 MB could not be saved ("RangeError: Invalid string
 * length").
 */
const IN_MEMORY_WARNING_BYTES = 100 * 1024 * 1024;

/** After the run: warns once when its output files kept in memory pass IN_MEMORY_WARNING_BYTES. */
export function warnAboutFilesInMemory(this: IExecuteFunctions, items: INodeExecutionData[]): void {
	let bytesInMemory = 0;
	for (const item of items) {
		for (const binary of Object.values(item.binary ?? {})) {
			// Stored files (filesystem, database, S3) have an id; in memory the data is the base64.
			if (!binary.id && binary.data) bytesInMemory += binary.bytes ?? (binary.data.length * 3) / 4;
		}
	}
	if (bytesInMemory <= IN_MEMORY_WARNING_BYTES) return;
	const megabytes = Math.round(bytesInMemory / (1024 * 1024));
	const message = `This run's ${megabytes} MB of images are kept in n8n's memory (binary data mode "default"): n8n needs many times that in memory (3.2 to 3.9 GB for 192 MB in measurements), and cannot save an execution holding more than about 300 MB of files this way ("Invalid string length"). Set N8N_DEFAULT_BINARY_DATA_MODE=filesystem for n8n, or choose Options → Delivery → Download URLs Only.`;
	this.addExecutionHints({ message, type: 'warning', location: 'outputPane' });
	this.logger.warn(`Phota: ${message}`);
}
