import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { errorItem } from '../helpers/failedItems';
import { reportBill } from '../transport/bill';
import { resolveProfileLocator } from '../helpers/profileIds';
import type { RunRequests } from '../transport';
import { asNodeError } from '../transport';
import { RunBill } from '../transport/bill';
import { CredentialCache } from '../transport/credential';
import { RequestLimiter } from '../transport/limiter';
import type { OutputName } from './outputs';
import { itemOutcome, outputItem, outputNames } from './outputs';
import type { ProfileWatch } from './profilePoller';
import { checkOnce, isSettled, pollUntilSettled, stoppingError } from './profilePoller';
import { readWaitSettings } from './settings';

type Mode = 'wait' | 'checkOnce';

/** Reads every setting and every item's profiles, waits for the profiles, routes each item. */
export async function waitAndRoute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const mode = this.getNodeParameter('mode', 0) as Mode;
	const onFailure = mode === 'checkOnce' ? 'route' : String(this.getNodeParameter('onFailure', 0));
	// Every setting and every item's profiles are read before the first request.
	const settings = readWaitSettings.call(this, mode);
	const requests: RunRequests = {
		credential: new CredentialCache(),
		retryPolicy: settings.retryPolicy,
		limiter: new RequestLimiter(settings.poll.parallelRequests),
		bill: new RunBill(),
	};
	const idsByItem = readProfileIds.call(this);
	const distinctIds = [...new Set(idsByItem.flatMap((ids) => (Array.isArray(ids) ? ids : [])))];
	if (mode === 'wait' && distinctIds.length) {
		// Into n8n's log before the wait: if this process dies meanwhile (a queue-mode worker killed),
		// n8n replaces the execution's data with its error, and this line still names the profiles.
		this.logger?.info(
			`Phota: execution ${this.getExecutionId()} waits for profile(s) ${distinctIds.join(', ')} to finish training`,
			{ executionId: this.getExecutionId(), profileIds: distinctIds },
		);
	}

	const watches =
		mode === 'checkOnce'
			? await checkOnce.call(this, distinctIds, settings.poll.parallelRequests, requests)
			: await pollUntilSettled.call(
					this,
					distinctIds,
					{ ...settings.poll, deadline: Date.now() + settings.timeoutMs },
					requests,
					// Without Continue On Fail, a wrong key or a refused request ends the wait at once.
					{ stopOnFatalError: !this.continueOnFail(), onChange: reportProgress.bind(this) },
				);
	const outputs = routeItems.call(this, mode, outputNames({ mode, onFailure }), idsByItem, watches);
	// Status reads are free; the run says so, as every Phota node run does.
	const bill = reportBill.call(this, requests.bill);
	this.addExecutionHints({ message: bill, type: 'info', location: 'outputPane' });
	return outputs;
}

/** Each item's profile IDs, or with Continue On Fail the error that reading them gave. */
function readProfileIds(this: IExecuteFunctions): Array<string[] | Error> {
	return this.getInputData().map((_, itemIndex) => {
		try {
			return resolveProfileLocator.call(this, 'profiles', itemIndex, {
				required: true,
				fieldLabel: 'Profiles',
			});
		} catch (error) {
			const nodeError = asNodeError(this.getNode(), error);
			if (!this.continueOnFail()) throw nodeError;
			return nodeError;
		}
	});
}

/** Sends each item to Ready, Still Training or Failed, or fails the node, by what its profiles did. */
function routeItems(
	this: IExecuteFunctions,
	mode: Mode,
	names: OutputName[],
	idsByItem: Array<string[] | Error>,
	watches: Map<string, ProfileWatch>,
): INodeExecutionData[][] {
	const items = this.getInputData();
	const continueOnFail = this.continueOnFail();
	const outputs: INodeExecutionData[][] = names.map(() => []);
	const send = (name: OutputName, item: INodeExecutionData) => {
		outputs[names.indexOf(name)].push(item);
	};
	/** A failed item goes to the Failed output, or, with only one output, is an error item. */
	const fail = (item: INodeExecutionData, error: Error, itemIndex: number) => {
		if (names.includes('Failed')) {
			send('Failed', item);
			return;
		}
		if (!continueOnFail) throw error;
		// "Continue (using error output)": n8n routes `{ error }` there, merged into the input item.
		// "Continue (using regular output)": the item stays on the node's one (unlabelled) output,
		// marked with `error` and `ready: false`, as any node's failed item does.
		send(
			'Ready',
			this.getNode().onError === 'continueErrorOutput'
				? errorItem.call(this, error, itemIndex)
				: { ...item, json: { ...item.json, error: item.json.error ?? error.message } },
		);
	};
	const timedOut: number[] = [];

	for (const [itemIndex, ids] of idsByItem.entries()) {
		if (ids instanceof Error) {
			const json = { ...items[itemIndex].json, status: 'INVALID_INPUT', ready: false };
			fail(
				{ json: { ...json, error: ids.message }, pairedItem: { item: itemIndex } },
				ids,
				itemIndex,
			);
			continue;
		}
		const profileWatches = ids.map((id) => watches.get(id)).filter((watch) => watch !== undefined);
		const fatalError = profileWatches.map(stoppingError).find(Boolean);
		if (fatalError && !continueOnFail) throw fatalError;

		const outcome = itemOutcome(profileWatches);
		const item = outputItem(items[itemIndex], itemIndex, ids, profileWatches, outcome);
		if (outcome.status === 'TIMEOUT') timedOut.push(itemIndex);

		if (outcome.status === 'READY' && !fatalError) {
			send('Ready', item);
		} else if (mode === 'checkOnce' && !fatalError && !isSettled(outcome.status)) {
			send('Still Training', item);
		} else {
			const error =
				fatalError ??
				new NodeOperationError(
					this.getNode(),
					`Profile training did not finish: ${outcome.message}`,
					{
						itemIndex,
						description: `Status: ${outcome.status}. Choose "Send Item to the Failed Output" to let the other items continue.`,
					},
				);
			fail(item, error, itemIndex);
		}
	}

	if (timedOut.length) {
		this.addExecutionHints({
			message: `${timedOut.length} item(s) timed out before their profiles were ready (items ${timedOut.join(', ')}). Raise the Timeout, or use "Check Once and Route" with n8n's Wait node for very long waits.`,
			type: 'warning',
			location: 'outputPane',
		});
	}
	return outputs;
}

function reportProgress(this: IExecuteFunctions, watch: ProfileWatch): void {
	this.sendMessageToUI(
		`Phota profile ${watch.profileId}: ${watch.status}${watch.message ? ` (${watch.message})` : ''}`,
	);
}
