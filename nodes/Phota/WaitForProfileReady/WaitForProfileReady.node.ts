import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import {
	maxRetriesOption,
	requestTimeoutOption,
	optionsCollection,
	profileLocator,
	requestSettings,
} from '../actions/common.descriptions';
import { errorItem } from '../helpers/itemRunner';
import { getProfileStatus } from '../helpers/profileApi';
import { resolveProfileLocator } from '../helpers/profileIds';
import { listSearch } from '../methods';
import type { ProfileWatch } from './profilePoller';
import { pollUntilSettled, TERMINAL_STATUSES } from './profilePoller';

const DEFAULT_POLL_SECONDS = 15;
const DEFAULT_TIMEOUT_MINUTES = 45;
const DEFAULT_PARALLEL_POLLS = 10;
const MAX_BACKOFF_MS = 60_000;

/** Evaluated by n8n from the node's parameters: which outputs the node shows. */
const configuredOutputs = (parameters: { mode?: string; onFailure?: string }) => {
	if (parameters.mode === 'checkOnce') {
		return [
			{ type: 'main', displayName: 'Ready' },
			{ type: 'main', displayName: 'Still Training' },
			{ type: 'main', displayName: 'Failed' },
		];
	}
	if (parameters.onFailure === 'error') return [{ type: 'main', displayName: 'Ready' }];
	return [
		{ type: 'main', displayName: 'Ready' },
		{ type: 'main', displayName: 'Failed' },
	];
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
		inputs: ['main'],
		// eslint-disable-next-line n8n-nodes-base/node-class-description-outputs-wrong
		outputs: `={{(${configuredOutputs})($parameter)}}`,
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
				required: true,
				description:
					'The profiles to wait for. By default the IDs come from the input item\'s "profile_ids" (or "profile_id"), as output by Phota → Create Profile.',
			}),
			{
				displayName: 'Poll Interval (Seconds)',
				name: 'pollIntervalSeconds',
				type: 'number',
				typeOptions: { minValue: 0.05, numberPrecision: 2 },
				default: DEFAULT_POLL_SECONDS,
				hint: 'Phota advises checking every 10–30 seconds; training takes about 20 minutes',
				displayOptions: { show: { mode: ['wait'] } },
			},
			{
				displayName: 'Timeout (Minutes)',
				name: 'timeoutMinutes',
				type: 'number',
				typeOptions: { minValue: 0.01, numberPrecision: 2 },
				default: DEFAULT_TIMEOUT_MINUTES,
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
					typeOptions: { minValue: 1, maxValue: 50 },
					default: DEFAULT_PARALLEL_POLLS,
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
		const options = this.getNodeParameter('options', 0, {}) as IDataObject;
		const continueOnFail = this.continueOnFail();

		// Read every item's profiles before the first request, so bad input costs no polling.
		const idsByItem: Array<string[] | Error> = items.map((_, itemIndex) => {
			try {
				return resolveProfileLocator.call(this, 'profiles', itemIndex, {
					required: true,
					fieldLabel: 'Profiles',
				});
			} catch (error) {
				if (!continueOnFail) throw error;
				return error as Error;
			}
		});
		const distinctIds = [...new Set(idsByItem.flatMap((ids) => (Array.isArray(ids) ? ids : [])))];

		const watches =
			mode === 'checkOnce'
				? await checkOnce.call(this, distinctIds, options)
				: await waitUntilSettled.call(this, distinctIds, options);

		const outputCount =
			mode === 'checkOnce' ? 3 : this.getNodeParameter('onFailure', 0) === 'error' ? 1 : 2;
		const outputs: INodeExecutionData[][] = Array.from({ length: outputCount }, () => []);
		const timedOut: number[] = [];

		for (const [itemIndex, ids] of idsByItem.entries()) {
			if (ids instanceof Error) {
				outputs[0].push(errorItem.call(this, ids, itemIndex, items[itemIndex].json));
				continue;
			}
			const profileWatches = ids.map((id) => watches.get(id) as ProfileWatch);
			const fatal = profileWatches.find(
				(watch) => watch.fatalError && !['NOT_FOUND'].includes(watch.status),
			);
			if (fatal?.fatalError && !continueOnFail) throw fatal.fatalError;

			const item = outputItem(items[itemIndex], itemIndex, ids, profileWatches);
			const outcome = item.json.status as string;
			if (outcome === 'TIMEOUT') timedOut.push(itemIndex);

			if (outcome === 'READY') outputs[0].push(item);
			else if (mode === 'checkOnce')
				outputs[
					TERMINAL_STATUSES.includes(outcome as never) || outcome === 'NOT_FOUND' || fatal ? 2 : 1
				].push(item);
			else if (outputCount === 2) outputs[1].push(item);
			else if (continueOnFail)
				outputs[0].push({ ...item, json: { ...item.json, error: item.json.message } });
			else {
				throw new NodeOperationError(
					this.getNode(),
					`Profile training did not finish: ${item.json.message as string}`,
					{
						itemIndex,
						description: `Status: ${outcome}. Choose "Send Item to the Failed Output" to let the other items continue.`,
					},
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

async function waitUntilSettled(
	this: IExecuteFunctions,
	profileIds: string[],
	options: IDataObject,
): Promise<Map<string, ProfileWatch>> {
	const intervalMs = Math.max(
		50,
		(this.getNodeParameter('pollIntervalSeconds', 0, DEFAULT_POLL_SECONDS) as number) * 1000,
	);
	const timeoutMs = Math.max(
		10,
		(this.getNodeParameter('timeoutMinutes', 0, DEFAULT_TIMEOUT_MINUTES) as number) * 60_000,
	);
	return await pollUntilSettled.call(
		this,
		profileIds,
		{
			intervalMs,
			deadline: Date.now() + timeoutMs,
			parallelRequests: Number(options.parallelRequests ?? DEFAULT_PARALLEL_POLLS),
			maxBackoffMs: Math.max(intervalMs, MAX_BACKOFF_MS),
			attemptTimeoutMs: requestSettings(options).retryPolicy.attemptTimeoutMs,
		},
		(watch) =>
			this.sendMessageToUI(
				`Phota profile ${watch.profileId}: ${watch.status}${watch.message ? ` (${watch.message})` : ''}`,
			),
	);
}

async function checkOnce(
	this: IExecuteFunctions,
	profileIds: string[],
	options: IDataObject,
): Promise<Map<string, ProfileWatch>> {
	const { retryPolicy } = requestSettings(options);
	const watches = new Map<string, ProfileWatch>();
	const now = Date.now();
	await Promise.all(
		profileIds.map(async (profileId) => {
			const watch: ProfileWatch = {
				profileId,
				status: 'UNKNOWN',
				message: '',
				polls: 1,
				transientErrors: 0,
				history: [],
				done: true,
				startedAt: now,
				nextPollAt: now,
				finishedAt: now,
			};
			try {
				const status = await getProfileStatus.call(this, profileId, { retryPolicy });
				Object.assign(watch, { status: status.status, message: status.message ?? '' });
				watch.history.push({ status: status.status, after_seconds: 0 });
			} catch (error) {
				const httpCode = (error as { httpCode?: string }).httpCode;
				Object.assign(watch, {
					status: httpCode === '404' ? 'NOT_FOUND' : 'UNKNOWN',
					message: (error as Error).message,
				});
				if (httpCode !== '404') watch.fatalError = error as Error;
			}
			watches.set(profileId, watch);
		}),
	);
	return watches;
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
			waited_seconds: Math.round(Math.max(0, finishedAt - startedAt) / 100) / 10,
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
