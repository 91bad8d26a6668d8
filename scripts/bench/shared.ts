/**
 * What the sections of `npm run bench` share: the simulator's API key, its photos and profiles, and
 * the items of an edit batch. Workflows for real n8n are in n8nWorkflows.ts, the table in table.ts.
 */
import { request } from 'undici';

import type { PhotaSimulator } from '../../simulator';
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
