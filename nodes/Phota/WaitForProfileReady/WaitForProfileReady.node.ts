import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import {
	maxRetriesOption,
	optionsCollection,
	profileLocator,
	requestTimeoutOption,
} from '../helpers/descriptions';
import { errorItem } from '../helpers/itemRunner';
import { resolveProfileLocator } from '../helpers/profileIds';
import { listSearch } from '../methods';
import { asNodeError, CREDENTIAL_TYPE } from '../transport';
import type { OutputName } from './outputs';
import { outputItem, outputNames } from './outputs';
import type { ProfileWatch } from './profilePoller';
import { checkOnce, isSettled, pollUntilSettled, stoppingError } from './profilePoller';
import {
	PARALLEL_STATUS_REQUESTS,
	POLL_INTERVAL_SECONDS,
	readWaitSettings,
	TIMEOUT_MINUTES,
} from './settings';

export class WaitForProfileReady implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Wait for Profile Ready',
		name: 'waitForProfileReady',
		icon: { light: 'file:../phota.svg', dark: 'file:../phota.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["mode"] === "checkOnce" ? "Check once" : "Wait until ready" }}',
		description: 'Waits until Phota profiles have finished training, then passes the items on',
		defaults: { name: 'Wait for Profile Ready' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: `={{(${outputNames})($parameter).map((name) => ({ type: '${NodeConnectionTypes.Main}', displayName: name }))}}`,
		credentials: [{ name: CREDENTIAL_TYPE, required: true }],
		properties: [
			{
				displayName: 'Mode',
				name: 'mode',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Wait Until Ready',
						value: 'wait',
						description:
							'Poll inside this node until every profile is READY, failed, or the timeout passes',
					},
					{
						name: 'Check Once and Route',
						value: 'checkOnce',
						description:
							'Check each profile once and route the item to Ready, Still Training or Failed (loop back through a Wait node for very long waits)',
					},
				],
				default: 'wait',
			},
			profileLocator({
				multiple: true,
				description:
					'The profiles to wait for. By default the IDs come from the input item\'s "profile_ids" (or "profile_id"), as output by Phota → Create Profile.',
			}),
			{
				displayName: 'Poll Interval (Seconds)',
				name: 'pollIntervalSeconds',
				type: 'number',
				typeOptions: {
					minValue: POLL_INTERVAL_SECONDS.min,
					maxValue: POLL_INTERVAL_SECONDS.max,
				},
				default: 15,
				hint: 'Phota advises checking every 10–30 seconds; training takes about 20 minutes',
				displayOptions: { show: { mode: ['wait'] } },
			},
			{
				displayName: 'Timeout (Minutes)',
				name: 'timeoutMinutes',
				type: 'number',
				typeOptions: {
					minValue: TIMEOUT_MINUTES.min,
					maxValue: TIMEOUT_MINUTES.max,
				},
				default: 45,
				description: 'How long to wait at most, for all profiles together',
				displayOptions: { show: { mode: ['wait'] } },
			},
			{
				displayName: 'When a Profile Fails or Times Out',
				name: 'onFailure',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Send Item to the Failed Output',
						value: 'failedOutput',
						description:
							'Ready items continue; failed and timed-out items go to a second output with the reason',
					},
					{
						name: 'Stop the Workflow With an Error',
						value: 'error',
						description:
							'Fail the node (with Continue On Fail, the item gets an error field instead)',
					},
				],
				default: 'failedOutput',
				displayOptions: { show: { mode: ['wait'] } },
			},
			optionsCollection([
				{
					displayName: 'Parallel Status Requests',
					name: 'parallelRequests',
					type: 'number',
					typeOptions: {
						minValue: PARALLEL_STATUS_REQUESTS.min,
						maxValue: PARALLEL_STATUS_REQUESTS.max,
					},
					default: 10,
					description: 'How many profiles are checked at the same time',
				},
				{ ...maxRetriesOption, displayOptions: { show: { '/mode': ['checkOnce'] } } },
				{
					...requestTimeoutOption,
					description:
						'How long one status request may take before it counts as failed and is tried again. 0 means 30 seconds (never past the timeout).',
				},
			]),
		],
	};

	methods = { listSearch };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const mode = this.getNodeParameter('mode', 0) as 'wait' | 'checkOnce';
		const onFailure = mode === 'checkOnce' ? 'route' : this.getNodeParameter('onFailure', 0);
		const continueOnFail = this.continueOnFail();
		// Every setting and every item's profiles are read before the first request.
		const settings = readWaitSettings.call(this, mode);

		const idsByItem: Array<string[] | Error> = items.map((_, itemIndex) => {
			try {
				return resolveProfileLocator.call(this, 'profiles', itemIndex, {
					required: true,
					fieldLabel: 'Profiles',
				});
			} catch (error) {
				if (!continueOnFail) throw asNodeError(this.getNode(), error);
				return error as Error;
			}
		});
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
				? await checkOnce.call(
						this,
						distinctIds,
						settings.poll.parallelRequests,
						settings.retryPolicy,
					)
				: await pollUntilSettled.call(
						this,
						distinctIds,
						{ ...settings.poll, deadline: Date.now() + settings.timeoutMs },
						// Without Continue On Fail, a wrong key or a refused request ends the wait at once.
						{ stopOnFatalError: !continueOnFail, onChange: reportProgress.bind(this) },
					);

		const names = outputNames({ mode, onFailure: onFailure as string });
		const outputs: INodeExecutionData[][] = names.map(() => []);
		const send = (name: OutputName, item: INodeExecutionData) => {
			outputs[names.indexOf(name)].push(item);
		};
		/** A failed item goes to the Failed output, or, with only a Ready output, is an error item. */
		const fail = (item: INodeExecutionData, error: Error, itemIndex: number) => {
			if (names.includes('Failed')) {
				send('Failed', item);
				return;
			}
			if (!continueOnFail) throw error;
			// "Continue (using error output)": n8n routes `{ error }` there, merged into the input item.
			// "Continue (using regular output)": the item stays, marked with `error` and `ready: false`.
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
			const profileWatches = ids.map((id) => watches.get(id) as ProfileWatch);
			const fatalError = profileWatches.map(stoppingError).find(Boolean);
			if (fatalError && !continueOnFail) throw fatalError;

			const item = outputItem(items[itemIndex], itemIndex, ids, profileWatches);
			const outcome = item.json.status as ProfileWatch['status'];
			if (outcome === 'TIMEOUT') timedOut.push(itemIndex);

			if (outcome === 'READY' && !fatalError) {
				send('Ready', item);
			} else if (mode === 'checkOnce' && !fatalError && !isSettled(outcome)) {
				send('Still Training', item);
			} else {
				fail(
					item,
					fatalError ??
						new NodeOperationError(
							this.getNode(),
							`Profile training did not finish: ${item.json.message as string}`,
							{
								itemIndex,
								description: `Status: ${outcome}. Choose "Send Item to the Failed Output" to let the other items continue.`,
							},
						),
					itemIndex,
				);
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
}

function reportProgress(this: IExecuteFunctions, watch: ProfileWatch): void {
	this.sendMessageToUI(
		`Phota profile ${watch.profileId}: ${watch.status}${watch.message ? ` (${watch.message})` : ''}`,
	);
}
