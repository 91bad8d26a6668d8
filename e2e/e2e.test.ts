import { readFileSync } from 'node:fs';
import path from 'node:path';

import type { INodeExecutionData, IRun } from 'n8n-workflow';

import type { PhotaSimulator } from '../test/simulator';
import { sniffImage, startSimulator } from '../test/simulator';
import type { N8nInstance } from './n8nCli';
import {
	ROOT,
	createN8n,
	executeWorkflow,
	importCredential,
	importWorkflow,
	packPackage,
	removeN8n,
} from './n8nCli';

const API_KEY = 'e2e-api-key-41c9';
let sim: PhotaSimulator;
let n8n: N8nInstance;

function example(name: string): Record<string, unknown> & {
	nodes: Array<{ name: string; parameters: Record<string, unknown> }>;
} {
	return JSON.parse(readFileSync(path.join(ROOT, 'examples', name), 'utf8'));
}

function output(run: IRun, nodeName: string, outputIndex = 0): INodeExecutionData[] {
	return run.data.resultData.runData[nodeName]?.[0]?.data?.main?.[outputIndex] ?? [];
}

beforeAll(async () => {
	sim = await startSimulator({
		apiKeys: [API_KEY],
		trainingPhasesMs: { validating: 300, queuing: 300, inProgress: 900 },
	});
	n8n = createN8n(packPackage());
	await importCredential(n8n, {
		id: 'phota-credential',
		name: 'Phota account',
		type: 'photaApi',
		data: { apiKey: API_KEY, baseUrl: sim.baseUrl },
	});
});

afterAll(async () => {
	await sim?.close();
	if (n8n) removeN8n(n8n);
});

beforeEach(() => sim.reset());

test('flagship example: reference photos → profile → wait → 4 campaign images, in real n8n', async () => {
	const workflow = example('profile-to-campaign-images.json');
	const wait = workflow.nodes.find((node) => node.name === 'Wait for Profile Ready')!;
	wait.parameters.pollIntervalSeconds = 0.2;
	await importWorkflow(n8n, { ...workflow, id: 'flagship' });

	const run = await executeWorkflow(n8n, 'flagship');

	expect(run.data.resultData.error).toBeUndefined();
	expect(run.status).toBe('success');
	const profileId = output(run, 'Create Profile')[0].json.profile_id as string;
	expect(profileId).toMatch(/^prof_/);
	expect(output(run, 'Wait for Profile Ready')[0].json).toMatchObject({
		status: 'READY',
		profile_ids: [profileId],
	});
	const images = output(run, 'Generate Campaign Images');
	expect(images).toHaveLength(4);
	for (const image of images) {
		expect(image.json).toMatchObject({
			profile_ids: [profileId],
			known_subjects: { [profileId]: 4 },
			mime_type: 'image/jpeg',
		});
		expect(image.binary?.data.mimeType).toBe('image/jpeg');
		expect(sniffImage(Buffer.from(image.binary!.data.data, 'base64'))).toBe('jpeg');
	}
	expect(sim.log.forRoute('POST /generate')[0].body).toMatchObject({
		prompt: expect.stringContaining(`[[${profileId}]]`),
	});
	expect(JSON.stringify(run)).not.toContain(API_KEY);
});
