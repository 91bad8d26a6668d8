/**
 * What a node run may make Phota bill and what it did: the caps (Max Paid Requests, Max Images, and
 * the tool's Max Paid Requests per Execution), checked once every item is planned, before the first
 * paid request; Dry Run's totals; an item's share of the bill.
 */
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { SpendingCaps } from './settings';
import { SENT_IN_EXECUTION, TOOL_MAX_PAID_REQUESTS } from './settings';

/** What one item will ask Phota to bill: its paid requests and the images they ask for. */
export interface PlannedCharge {
	paidRequests: number;
	images: number;
}

/** The caps among the Options of an operation Phota bills (Max Images only where it makes images). */
export function spendingOptions({ images }: { images: boolean }): INodeProperties[] {
	const maxPaidRequests: INodeProperties = {
		displayName: 'Max Paid Requests',
		name: 'maxPaidRequests',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description:
			'The most requests this node may send that Phota bills (images, trainings) in one run; 0 means no limit. A run that would send more is refused before it sends anything.',
	};
	const maxImages: INodeProperties = {
		displayName: 'Max Images',
		name: 'maxImages',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description:
			'The most images this node may ask Phota for in one run (items × Number of Images); 0 means no limit. A run that would ask for more is refused before it sends anything.',
	};
	return images ? [dryRunOption, maxImages, maxPaidRequests] : [dryRunOption, maxPaidRequests];
}

/**
 * The AI Agent tool's own cap, over all the calls the model makes in one execution. Five: a chat
 * turn rarely needs more image requests than that, and a model stuck calling Generate is stopped
 * after five requests (at most 20 images) rather than at the Agent's Max Iterations (10 by default).
 */
export const executionLimitProperty: INodeProperties = {
	displayName: 'Max Paid Requests per Execution',
	name: TOOL_MAX_PAID_REQUESTS,
	type: 'number',
	typeOptions: { minValue: 0 },
	default: 5,
	description:
		'The most requests Phota bills (images, trainings) that this tool may send in one execution of the workflow, over all the calls the model makes; 0 means no limit. A call past it is refused, and the model is told so.',
};

/** Adds what this call sent to what the tool has sent in this execution. */
export function countSentInExecution(this: IExecuteFunctions, sent: number): void {
	const context = this.getContext('node');
	context[SENT_IN_EXECUTION] = Number(context[SENT_IN_EXECUTION] ?? 0) + sent;
}

/**
 * Why the run is refused before its first paid request, if its planned items would pass a cap:
 * the cap, what the run planned and the items.
 */
export function capRefusal(
	this: IExecuteFunctions,
	charges: Map<number, PlannedCharge>,
	caps: SpendingCaps,
): NodeOperationError | undefined {
	const items = [...charges.keys()];
	const planned = totalOf(charges);
	const over = (
		[
			['Max Paid Requests', caps.maxPaidRequests, planned.paidRequests, 'paid request'],
			['Max Images', caps.maxImages, planned.images, 'image'],
		] as const
	).find(([, cap, count]) => cap > 0 && count > cap);
	const execution = caps.execution;
	if (!over && execution && execution.used + planned.paidRequests > execution.limit) {
		return new NodeOperationError(
			this.getNode(),
			`Max Paid Requests per Execution is ${execution.limit}: this tool already sent ${execution.used} in this execution, and this call would send ${planned.paidRequests} more`,
			{
				description:
					"Nothing was sent to Phota. Do not call this tool again now: tell the user the limit was reached. They can raise Max Paid Requests per Execution in the tool's settings.",
			},
		);
	}
	if (!over) return undefined;
	const [label, cap, count, unit] = over;
	return new NodeOperationError(
		this.getNode(),
		`${label} is ${cap}, and this run would ask Phota for ${count} ${unit}s (input items ${itemRanges(items)})`,
		{
			description:
				'Nothing was sent to Phota. Raise the cap in Options, or send fewer items (a Limit node before this one, or a smaller batch).',
		},
	);
}

/** The output pane's line of a dry run: what the planned items would ask Phota to bill. */
export function dryRunSummary(charges: Map<number, PlannedCharge>): string {
	const { paidRequests, images } = totalOf(charges);
	const asked = images
		? `${paidRequests} paid requests and ${images} images`
		: `${paidRequests} paid requests`;
	const items = charges.size ? ` (input items ${itemRanges([...charges.keys()])})` : '';
	return `Dry run: nothing was sent to Phota. Run for real, this node would ask Phota for ${asked}${items}.`;
}

/** The Dry Run option of an operation Phota bills. */
export const dryRunOption: INodeProperties = {
	displayName: 'Dry Run (Send Nothing Paid)',
	name: 'dryRun',
	type: 'boolean',
	default: false,
	description:
		'Whether to only plan the run: every item is checked as it would be, and outputs what it would send (endpoint, prompt, profiles, images, model) instead of sending it. The output pane totals what the run would ask Phota for.',
};

function totalOf(charges: Map<number, PlannedCharge>): PlannedCharge {
	const total: PlannedCharge = { paidRequests: 0, images: 0 };
	for (const charge of charges.values()) {
		total.paidRequests += charge.paidRequests;
		total.images += charge.images;
	}
	return total;
}

/** "0–23, 25" for the item indexes 0…23 and 25. */
function itemRanges(items: number[]): string {
	const ranges: string[] = [];
	for (let start = 0; start < items.length; ) {
		let end = start;
		while (end + 1 < items.length && items[end + 1] === items[end] + 1) end += 1;
		ranges.push(end === start ? `${items[start]}` : `${items[start]}–${items[end]}`);
		start = end + 1;
	}
	return ranges.join(', ');
}

/** An input item's share of the bill goes on its first output item only, so the items add up. */
export function withItemBill(
	items: INodeExecutionData[],
	figures: Record<string, number>,
): INodeExecutionData[] {
	return items.map((item, position) =>
		position === 0 ? { ...item, json: { ...item.json, phota_billing: figures } } : item,
	);
}
