import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import {
	maxRetriesOption,
	optionsCollection,
	profileLocator,
	requestTimeoutOption,
} from '../helpers/descriptions';
import { isToolRun } from '../helpers/settings';
import { profileIdsFromModel, runAsTool, withToolSetup } from '../helpers/toolMode';
import { listSearch } from '../methods';
import { CREDENTIAL_TYPE } from '../transport';
import { outputNames } from './outputs';
import { PARALLEL_STATUS_REQUESTS, POLL_INTERVAL_SECONDS, TIMEOUT_MINUTES } from './settings';
import { waitAndRoute } from './waitAndRoute';

/** What the AI Agent reads about this node as a tool. */
const TOOL_DESCRIPTION =
	'Waits until Phota profiles have finished training and can be used for images: pass profile_ids, the IDs returned when the profiles were created. Training takes about 20 minutes, so this tool may take that long to answer. Returns status READY and ready true when every profile can be used; otherwise ready false with the status (ERROR, INACTIVE or TIMEOUT) and a message saying why. To only look at the training status without waiting, use the Phota profile status tool instead. On a mistake it returns "error" and "description": fix the call and try again.';

/** The tool's default for Profiles: the model names the profiles to wait for. */
const profilesFromModel = profileIdsFromModel(
	'Phota profile IDs to wait for, separated by commas (as returned when the profiles were created)',
);

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
		// One output is left unlabelled, like any node's: under "Continue (using regular output)" it
		// also carries failed items (marked ready: false), so it must not read "Ready".
		outputs: `={{(${outputNames})($parameter).map((name, _, all) => ({ type: '${NodeConnectionTypes.Main}', displayName: all.length > 1 ? name : '' }))}}`,
		credentials: [{ name: CREDENTIAL_TYPE, required: true }],
		properties: withToolSetup(
			[
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
			{ description: TOOL_DESCRIPTION, defaults: { profiles: profilesFromModel } },
		),
	};

	methods = { listSearch };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		if (!isToolRun(this)) return await waitAndRoute.call(this);
		return await runAsTool.call(this, async () => await waitAndRoute.call(this));
	}
}
