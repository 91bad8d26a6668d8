import type {
	IDataObject,
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
	requestSettings,
	requestTimeoutOption,
} from '../helpers/descriptions';
import { errorItem } from '../helpers/itemRunner';
import type { NumberRule } from '../helpers/numberParameter';
import { readNumber } from '../helpers/numberParameter';
import { resolveProfileLocator } from '../helpers/profileIds';
import { listSearch } from '../methods';
import { asNodeError } from '../transport';
import type { RetryPolicy } from '../transport/retryPolicy';
import type { PollSettings, ProfileWatch } from './profilePoller';
import {
	checkOnce,
	isSettled,
	pollUntilSettled,
	secondsSince,
	stoppingError,
} from './profilePoller';

const POLL_INTERVAL_SECONDS: NumberRule = {
	label: 'Poll Interval (Seconds)',
	min: 0.05,
	max: 3600,
	fallback: 15,
};
const TIMEOUT_MINUTES: NumberRule = {
	label: 'Timeout (Minutes)',
	min: 0.001,
	max: 1440,
	fallback: 45,
};
const PARALLEL_STATUS_REQUESTS: NumberRule = {
	label: 'Parallel Status Requests',
	min: 1,
	max: 50,
	integer: true,
	fallback: 10,
};
const MAX_BACKOFF_MS = 60_000;

type OutputName = 'Ready' | 'Still Training' | 'Failed';

/**
 * The node's outputs for its parameters. n8n evaluates this function's source in the `outputs`
 * expression, so it must not use anything from outside itself.
 */
const outputNames = (parameters: { mode?: string; onFailure?: string }): OutputName[] => {
	if (parameters.mode === 'checkOnce') return ['Ready', 'Still Training', 'Failed'];
	if (parameters.onFailure === 'error') return ['Ready'];
	return ['Ready', 'Failed'];
};

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
		credentials: [{ name: 'photaApi', required: true }],
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

interface WaitSettings {
	poll: Omit<PollSettings, 'deadline'>;
	timeoutMs: number;
	retryPolicy: RetryPolicy;
}

function readWaitSettings(this: IExecuteFunctions, mode: 'wait' | 'checkOnce'): WaitSettings {
	const options = this.getNodeParameter('options', 0, {}) as IDataObject;
	const { parallelRequests, retryPolicy } = requestSettings.call(
		this,
		options,
		PARALLEL_STATUS_REQUESTS,
	);
	if (mode === 'checkOnce') {
		return {
			poll: { intervalMs: 0, parallelRequests, maxBackoffMs: 0 },
			timeoutMs: 0,
			retryPolicy,
		};
	}
	const intervalMs =
		readNumber.call(
			this,
			this.getNodeParameter('pollIntervalSeconds', 0, POLL_INTERVAL_SECONDS.fallback),
			POLL_INTERVAL_SECONDS,
			0,
		) * 1000;
	const timeoutMs =
		readNumber.call(
			this,
			this.getNodeParameter('timeoutMinutes', 0, TIMEOUT_MINUTES.fallback),
			TIMEOUT_MINUTES,
			0,
		) * 60_000;
	return {
		poll: {
			intervalMs,
			parallelRequests,
			maxBackoffMs: Math.max(intervalMs, MAX_BACKOFF_MS),
			attemptTimeoutMs: retryPolicy.attemptTimeoutMs,
		},
		timeoutMs,
		retryPolicy,
	};
}

/** The input item, kept, with what waiting found out added (the item's own fields stay). */
function outputItem(
	input: INodeExecutionData,
	itemIndex: number,
	ids: string[],
	watches: ProfileWatch[],
): INodeExecutionData {
	const failed = watches.find((watch) => watch.status !== 'READY');
	const startedAt = Math.min(...watches.map((watch) => watch.startedAt));
	const finishedAt = Math.max(...watches.map((watch) => watch.finishedAt ?? Date.now()));
	return {
		json: {
			...input.json,
			profile_ids: ids,
			status: failed ? failed.status : 'READY',
			message: failed ? failed.message || `Profile ${failed.profileId} is ${failed.status}` : '',
			ready: !failed,
			waited_seconds: secondsSince(startedAt, finishedAt),
			polls: watches.reduce((sum, watch) => sum + watch.polls, 0),
			profiles: watches.map((watch) => ({
				profile_id: watch.profileId,
				status: watch.status,
				message: watch.message,
				polls: watch.polls,
				status_history: watch.history,
			})),
		},
		...(input.binary ? { binary: input.binary } : {}),
		pairedItem: { item: itemIndex },
	};
}
