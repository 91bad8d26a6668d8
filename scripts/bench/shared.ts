/**
 * What the sections of `npm run bench` share: the simulator's API key, its photos and profiles, and
 * the items of an edit batch. Workflows for real n8n are in n8nWorkflows.ts, the table in table.ts.
 */
import { request } from 'undici';

import type { PhotaSimulator } from '../../simulator';
import type { N8nHarness } from '../../test/harness/n8n';
import {
	authenticatedGetNode,
	chain,
	fixtureNode,
	photaCredentials,
	photaNode,
} from '../../test/harness/workflow';
import type { Row } from './table';

export const API_KEY = 'bench-api-key-5f1a';

/** What every section gets: the simulator, --quick (fewer requests and rounds) and the rows to add to. */
export interface BenchContext {
	sim: PhotaSimulator;
	quick: boolean;
	rows: Row[];
}

export function photoUrls(count: number, prefix: string): string[] {
	return Array.from({ length: count }, (_, index) => `${prefix}/${index + 1}.jpg`);
}

/** A READY profile made through the API, for the image measurements. */
export async function readyProfile(sim: PhotaSimulator): Promise<string> {
	const { body } = await request(`${sim.baseUrl}/profiles/add`, {
		method: 'POST',
		headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
		body: JSON.stringify({ image_urls: photoUrls(10, 'https://x.org/bench') }),
	});
	const { profile_id: profileId } = (await body.json()) as { profile_id: string };
	sim.advanceClock(3_600_000);
	return profileId;
}

/** `count` items for an edit batch: `{ shot, profile_ids: [profileId] }`, shot 0 to count − 1. */
export function shots(
	count: number,
	profileId: string,
): Array<{ shot: number; profile_ids: string[] }> {
	return Array.from({ length: count }, (_, shot) => ({ shot, profile_ids: [profileId] }));
}

/** The two nodes section 1 compares: the Phota node's Get Status and a minimal authenticated GET. */
export type OverheadNode = 'phota' | 'minimal';

/**
 * One round of section 1: `requests` items through `node` (one request each, one at a time) in
 * in-process n8n; resolves with the node's time per request, in ms.
 */
export function overheadRound(
	n8n: N8nHarness,
	node: OverheadNode,
	{ baseUrl, profileId, requests }: { baseUrl: string; profileId: string; requests: number },
): () => Promise<number> {
	const credentials = photaCredentials(baseUrl, API_KEY);
	const url = `${baseUrl}/profiles/${profileId}/status`;
	const [workflow, nodeName] =
		node === 'phota'
			? [
					chain(
						fixtureNode(
							Array.from({ length: requests }, () => ({ json: { profile_ids: [profileId] } })),
						),
						photaNode({
							resource: 'profile',
							operation: 'getStatus',
							options: { parallelRequests: 1 },
						}),
					),
					'Phota',
				]
			: [
					chain(
						fixtureNode(Array.from({ length: requests }, () => ({ json: { url } }))),
						authenticatedGetNode('Minimal'),
					),
					'Minimal',
				];
	return async () => {
		const result = await n8n.run(workflow, { credentials });
		if (result.error) throw result.error;
		return result.run.data.resultData.runData[nodeName][0].executionTime / requests;
	};
}
