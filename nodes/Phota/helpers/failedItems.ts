/**
 * Failed items: what a failed item outputs under Continue On Fail, its error tied to its item, and,
 * when a run fails, what the other items had already received (paid work stays findable).
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { appendDescription } from '../transport/errors';

/**
 * The output of a failed item under Continue On Fail.
 * "Continue (using error output)": n8n routes an item whose JSON is only `{ error }` to the error
 * output and merges it into the input item's JSON, so the input's profile_ids stay. (An item-level
 * `error` field would also route it, but n8n then drops everything but the message.)
 * "Continue (using regular output)": the item stays on the main output with the details and the
 * input's profile_ids, for the next node to chain on or inspect.
 */
export function errorItem(
	this: IExecuteFunctions,
	error: Error,
	itemIndex: number,
	inputJson?: IDataObject,
): INodeExecutionData {
	if (this.getNode().onError === 'continueErrorOutput') {
		return { json: { error: error.message }, pairedItem: { item: itemIndex } };
	}
	const json: IDataObject = { error: error.message };
	if ('description' in error && typeof error.description === 'string' && error.description) {
		json.errorDescription = error.description;
	}
	if ('httpCode' in error && typeof error.httpCode === 'string') json.httpCode = error.httpCode;
	const jobId = jobIdOf(error);
	if (jobId) json.job_id = jobId;
	if (Array.isArray(inputJson?.profile_ids)) json.profile_ids = inputJson?.profile_ids;
	return { json, pairedItem: { item: itemIndex } };
}

/** n8n's node errors carry a `context` object, where n8n reads the item index from. */
function hasContext(error: unknown): error is Error & { context: IDataObject } {
	return (
		error instanceof Error &&
		'context' in error &&
		typeof error.context === 'object' &&
		error.context !== null
	);
}

export function attachItemIndex(this: IExecuteFunctions, error: unknown, itemIndex: number): Error {
	if (hasContext(error)) {
		error.context.itemIndex ??= itemIndex;
		return error;
	}
	return new NodeOperationError(this.getNode(), error instanceof Error ? error : String(error), {
		itemIndex,
	});
}

/**
 * The node is about to fail and n8n passes on nothing, so the error itself names what other items
 * already received (profile IDs, job IDs, download URLs): paid work stays findable.
 */
export function noteFinishedItems(
	error: Error,
	outcomes: Array<{ items: INodeExecutionData[] } | { error: Error } | undefined>,
): Error {
	const finished = outcomes.flatMap((outcome, itemIndex) =>
		outcome && 'items' in outcome && outcome.items.length > 0
			? [`item ${itemIndex}: ${summariseResult(outcome.items)}`]
			: [],
	);
	const jobsLeft = outcomes.flatMap((outcome, itemIndex) => {
		if (!outcome || !('error' in outcome) || outcome.error === error) return [];
		const jobId = jobIdOf(outcome.error);
		return jobId ? [`item ${itemIndex}: job ${jobId}`] : [];
	});
	if (finished.length > 0) {
		appendDescription(
			error,
			`${finished.length} other item(s) had already finished when the node stopped, and their results are not passed on: ${finished.join('; ')}. To keep finished items when one fails, set the node's Settings → On Error to "Continue".`,
		);
	}
	if (jobsLeft.length > 0) {
		appendDescription(
			error,
			`The node stopped waiting for ${jobsLeft.length} async job(s), which still run at Phota and are billed when they do: ${jobsLeft.join('; ')}. Read their images with Job → Get.`,
		);
	}
	return error;
}

/** The job a failed item's error names: it ran (or still runs) at Phota, findable with Job → Get. */
function jobIdOf(error: Error): string | undefined {
	const jobId = hasContext(error) ? error.context.job_id : undefined;
	return typeof jobId === 'string' ? jobId : undefined;
}

function summariseResult(items: INodeExecutionData[]): string {
	const first = items[0].json;
	if (typeof first.job_id === 'string') return `job ${first.job_id}`;
	if (typeof first.download_url === 'string') {
		return items.map((item) => String(item.json.download_url)).join(', ');
	}
	if (items.some((item) => item.binary)) return `${items.length} image(s)`;
	if (typeof first.profile_id === 'string') return `profile ${first.profile_id}`;
	return `${items.length} result(s)`;
}
