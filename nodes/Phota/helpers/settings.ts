/**
 * How the node was called (as an AI Agent's tool or not), and reading its settings: numbers and
 * booleans from fields an expression may fill, the output binary field, and the settings every run
 * shares (requests, caps, Dry Run, billing). Lists and URLs typed into one box: lists.ts.
 */
import type { IDataObject, IExecuteFunctions, INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { RunRequests } from '../transport';
import type { RetryPolicy } from '../transport/retryPolicy';
import { DEFAULT_RETRY_POLICY } from '../transport/retryPolicy';

/**
 * The node as an AI Agent's tool. n8n makes a "<name>Tool" node type of every `usableAsTool` node
 * (`n8n-nodes-phota.photaTool`), and `@tool` in displayOptions tells the two apart in the editor
 * and when the parameters' defaults are filled in for a run.
 */
export function isToolRun(context: { getNode(): INode }): boolean {
	return context.getNode().type.endsWith('Tool');
}

export interface NumberRule {
	/** The field's name in the editor, for the error. */
	label: string;
	min: number;
	max: number;
	/** Whole numbers only. */
	integer?: boolean;
	/** Used when the field is not set. */
	fallback: number;
}

/**
 * Reads a number field the way every option of both nodes is read: an expression may give a string
 * or nothing at all, and n8n passes either through unchecked. A value that is not a number, or is
 * out of range, fails with the field and the item named, before any request is made.
 */
export function readNumber(
	this: IExecuteFunctions,
	value: unknown,
	rule: NumberRule,
	itemIndex: number,
): number {
	if (value === undefined || value === null || value === '') return rule.fallback;
	const number = typeof value === 'string' ? Number(value.trim()) : value;
	const range = `${rule.integer ? 'a whole number' : 'a number'} from ${rule.min} to ${rule.max}`;
	if (
		typeof number !== 'number' ||
		!Number.isFinite(number) ||
		(rule.integer && !Number.isInteger(number)) ||
		number < rule.min ||
		number > rule.max
	) {
		throw invalidValue(this, rule.label, range, value, itemIndex);
	}
	return number;
}

/**
 * Reads an on/off field the same way: an expression may give `true`/`false` or the strings
 * "true"/"false" (any case); anything else fails with the field, the value and the item named,
 * before any request is made, instead of quietly counting as off.
 */
export function readBoolean(
	this: IExecuteFunctions,
	value: unknown,
	rule: { label: string; fallback: boolean },
	itemIndex: number,
): boolean {
	if (value === undefined || value === null || value === '') return rule.fallback;
	if (typeof value === 'boolean') return value;
	const text = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
	if (text === 'true') return true;
	if (text === 'false') return false;
	throw invalidValue(this, rule.label, 'true or false', value, itemIndex);
}

export function invalidValue(
	context: IExecuteFunctions,
	label: string,
	expected: string,
	value: unknown,
	itemIndex: number,
): NodeOperationError {
	const shown =
		typeof value === 'string'
			? `"${value}"`
			: typeof value === 'number'
				? String(value)
				: JSON.stringify(value);
	return new NodeOperationError(context.getNode(), `${label} must be ${expected}, got ${shown}`, {
		itemIndex,
		description: `Set ${label} to ${expected}; if it comes from an expression, check what the expression gives for item ${itemIndex}.`,
	});
}

/** The output binary field the Options name (binaryPropertyOption), "data" when empty. */
export function outputBinaryField(options: IDataObject): string {
	return String(options.binaryPropertyOutput ?? '').trim() || 'data';
}

/** The caps of one node run (Max Paid Requests, Max Images); 0 is no cap. */
export interface SpendingCaps {
	maxPaidRequests: number;
	maxImages: number;
	/** As an AI Agent's tool: Max Paid Requests per Execution, and what earlier calls sent. */
	execution?: { limit: number; used: number };
}

/** The run's settings as the Options give them, before the router sets up the run's requests. */
export interface ReadRunSettings {
	parallelRequests: number;
	/** The Options collection, for an operation's own options. */
	options: IDataObject;
	/** Options → Add Billing to Items: each input item's share of the bill on its first output item. */
	billingOnItems: boolean;
	/** Options → Max Paid Requests, Max Images (0: no cap). */
	caps: SpendingCaps;
	/** Options → Dry Run: plan every item, send nothing paid, say what would be sent. */
	dryRun: boolean;
}

/** What every operation's run shares, read once from the node's Options (at item 0). */
export interface RunSettings extends ReadRunSettings {
	/** The retry policy, request limiter and lost-run guard every request of the run goes by. */
	requests: RunRequests;
}

export const PARALLEL_REQUESTS: NumberRule = {
	label: 'Parallel Requests',
	min: 1,
	max: 20,
	integer: true,
	fallback: 5,
};
export const MAX_RETRIES: NumberRule = {
	label: 'Max Retries',
	min: 0,
	max: 10,
	integer: true,
	fallback: DEFAULT_RETRY_POLICY.maxRetries,
};
export const REQUEST_TIMEOUT_SECONDS: NumberRule = {
	label: 'Request Timeout (Seconds)',
	min: 0,
	max: 3600,
	fallback: 0,
};

export const RATE_LIMIT_WAIT_MINUTES: NumberRule = {
	label: 'Rate Limit Wait (Minutes)',
	min: 0,
	max: 1440,
	fallback: DEFAULT_RETRY_POLICY.rateLimitBudgetMs / 60_000,
};

export interface RequestSettingsOptions {
	parallelRequests?: unknown;
	maxRetries?: unknown;
	requestTimeoutSeconds?: unknown;
	rateLimitWaitMinutes?: unknown;
}

/**
 * Parallel Requests, Max Retries, Rate Limit Wait and Request Timeout of the node's Options, read at
 * item 0: they govern the whole run.
 */
export function readRequestSettings(
	this: IExecuteFunctions,
	options: RequestSettingsOptions,
	parallelRule: NumberRule = PARALLEL_REQUESTS,
): {
	parallelRequests: number;
	retryPolicy: RetryPolicy;
} {
	const parallelRequests = readNumber.call(this, options.parallelRequests, parallelRule, 0);
	const maxRetries = readNumber.call(this, options.maxRetries, MAX_RETRIES, 0);
	const timeoutSeconds = readNumber.call(
		this,
		options.requestTimeoutSeconds,
		REQUEST_TIMEOUT_SECONDS,
		0,
	);
	const rateLimitWaitMinutes = readNumber.call(
		this,
		options.rateLimitWaitMinutes,
		RATE_LIMIT_WAIT_MINUTES,
		0,
	);
	return {
		parallelRequests,
		retryPolicy: {
			...DEFAULT_RETRY_POLICY,
			maxRetries,
			rateLimitBudgetMs: Math.round(rateLimitWaitMinutes * 60_000),
			...(timeoutSeconds > 0 ? { attemptTimeoutMs: Math.round(timeoutSeconds * 1000) } : {}),
		},
	};
}

/**
 * Every setting the run shares, read at item 0 in the order the Options are checked (the first
 * invalid one is the one reported). Reads only: the router sets up the run's requests from them.
 */
export function readRunSettings(
	this: IExecuteFunctions,
	options: IDataObject,
): ReadRunSettings & { retryPolicy: RetryPolicy } {
	const { parallelRequests, retryPolicy } = readRequestSettings.call(this, options);
	return {
		parallelRequests,
		retryPolicy,
		options,
		caps: readSpendingCaps.call(this, options),
		dryRun: readBoolean.call(
			this,
			options.dryRun,
			{ label: 'Dry Run (Send Nothing Paid)', fallback: false },
			0,
		),
		billingOnItems: readBoolean.call(
			this,
			options.addBillingToItems,
			{ label: 'Add Billing to Items', fallback: false },
			0,
		),
	};
}

const MAX_PAID_REQUESTS: NumberRule = {
	label: 'Max Paid Requests',
	min: 0,
	max: 1_000_000,
	integer: true,
	fallback: 0,
};
const MAX_IMAGES: NumberRule = { ...MAX_PAID_REQUESTS, label: 'Max Images' };
const MAX_PER_EXECUTION: NumberRule = {
	...MAX_PAID_REQUESTS,
	label: 'Max Paid Requests per Execution',
	// The field's default (executionLimitProperty, spending.ts), which n8n's lint wants as a literal.
	fallback: 5,
};

/** The tool's Max Paid Requests per Execution (its field: spending.ts). */
export const TOOL_MAX_PAID_REQUESTS = 'toolMaxPaidRequests';
/** Where the tool keeps what it sent in this execution: the node's own execution context. */
export const SENT_IN_EXECUTION = 'photaPaidRequestsSent';

function readSpendingCaps(this: IExecuteFunctions, options: IDataObject): SpendingCaps {
	const caps: SpendingCaps = {
		maxPaidRequests: readNumber.call(this, options.maxPaidRequests, MAX_PAID_REQUESTS, 0),
		maxImages: readNumber.call(this, options.maxImages, MAX_IMAGES, 0),
	};
	if (!isToolRun(this)) return caps;
	const limit = readNumber.call(
		this,
		this.getNodeParameter(TOOL_MAX_PAID_REQUESTS, 0, MAX_PER_EXECUTION.fallback),
		MAX_PER_EXECUTION,
		0,
	);
	const used = Number(this.getContext('node')[SENT_IN_EXECUTION] ?? 0);
	return limit > 0 ? { ...caps, execution: { limit, used } } : caps;
}
