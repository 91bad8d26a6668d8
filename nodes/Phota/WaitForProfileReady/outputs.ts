import type { INodeExecutionData } from 'n8n-workflow';

import type { ProfileWatch } from './profilePoller';
import { secondsSince } from './profilePoller';

export type OutputName = 'Ready' | 'Still Training' | 'Failed';

/**
 * The node's outputs for its parameters. n8n evaluates this function's source in the `outputs`
 * expression, so it must not use anything from outside itself.
 */
export const outputNames = (parameters: { mode?: string; onFailure?: string }): OutputName[] => {
	if (parameters.mode === 'checkOnce') return ['Ready', 'Still Training', 'Failed'];
	if (parameters.onFailure === 'error') return ['Ready'];
	return ['Ready', 'Failed'];
};

/** What waiting came to for one item: READY, or the status and message of its first profile that is not. */
export interface ItemOutcome {
	status: ProfileWatch['status'];
	message: string;
}

export function itemOutcome(watches: ProfileWatch[]): ItemOutcome {
	const failed = watches.find((watch) => watch.status !== 'READY');
	if (!failed) return { status: 'READY', message: '' };
	return {
		status: failed.status,
		message: failed.message || `Profile ${failed.profileId} is ${failed.status}`,
	};
}

/** The input item, kept, with what waiting found out added (the item's own fields stay). */
export function outputItem(
	input: INodeExecutionData,
	itemIndex: number,
	ids: string[],
	watches: ProfileWatch[],
	outcome: ItemOutcome,
): INodeExecutionData {
	const startedAt = Math.min(...watches.map((watch) => watch.startedAt));
	const finishedAt = Math.max(...watches.map((watch) => watch.finishedAt ?? Date.now()));
	return {
		json: {
			...input.json,
			profile_ids: ids,
			status: outcome.status,
			message: outcome.message,
			ready: outcome.status === 'READY',
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
