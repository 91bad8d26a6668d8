import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { INodeExecutionData, IRun } from 'n8n-workflow';
import { fetch } from 'undici';

import type { PhotaSimulator } from '../simulator';
import { run } from '../processes';
import { makeJpeg, makePng, sniffImage, startSimulator } from '../simulator';
import type { N8nInstance } from './n8nCli';
import type { OpenAiStub } from './openaiStub';
import { firstUrl, startOpenAiStub } from './openaiStub';
import {
	ROOT,
	cliTranscript,
	createN8n,
	executeWorkflow,
	guardLoopback,
	importCredential,
	importWorkflow,
	installedPackages,
	packPackage,
	removeN8n,
	removePackage,
} from './n8nCli';

const API_KEY = 'e2e-api-key-41c9';
const OPENAI_KEY = 'sk-e2e-openai-stub-key-93f0';
let sim: PhotaSimulator;
let openai: OpenAiStub;
let networkAttempts: () => string[];
let n8n: N8nInstance;
let tarball: string;

function example(name: string): Record<string, unknown> & {
	nodes: Array<{
		name: string;
		type: string;
		parameters: Record<string, unknown>;
		credentials?: object;
		onError?: string;
	}>;
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
	// The compatibility matrix packs once and runs every n8n version on that same tarball.
	tarball = process.env.PHOTA_E2E_TARBALL ?? (await packPackage());
	// Installed as n8n's Community Nodes installer does it.
	n8n = await createN8n(tarball);
	networkAttempts = guardLoopback(n8n);
	await importCredential(n8n, {
		id: 'phota-credential',
		name: 'Phota account',
		type: 'photaApi',
		data: { apiKey: API_KEY, baseUrl: sim.baseUrl },
	});
	// The AI agent example's model: a local stand-in for OpenAI.
	openai = await startOpenAiStub({ apiKey: OPENAI_KEY });
	await importCredential(n8n, {
		id: 'openai-stub',
		name: 'OpenAI stub',
		type: 'openAiApi',
		data: { apiKey: OPENAI_KEY, url: openai.baseUrl },
	});
});

afterAll(async () => {
	// Key-leak check: nothing n8n printed (logs, run data, errors) contains the API key.
	expect(cliTranscript.join('').length).toBeGreaterThan(0);
	expect(cliTranscript.join('\n')).not.toContain(API_KEY);
	expect(cliTranscript.join('\n')).not.toContain(OPENAI_KEY);
	await openai?.close();
	await sim?.close();
	if (n8n) removeN8n(n8n);
	if (tarball && !process.env.PHOTA_E2E_TARBALL) removePackage(tarball);
});

beforeEach(() => sim.reset());

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
	return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
		entry.isDirectory()
			? filesUnder(path.join(dir, entry.name))
			: entry.isFile()
				? [path.join(dir, entry.name)]
				: [],
	);
}

test("the imported credentials leave no file with an API key in n8n's user folder (n8n stores it encrypted)", () => {
	const files = filesUnder(n8n.userFolder);
	expect(files.some((file) => file.endsWith('database.sqlite'))).toBe(true);
	expect(
		files.filter(
			(file) => readFileSync(file).includes(API_KEY) || readFileSync(file).includes(OPENAI_KEY),
		),
	).toEqual([]);
});

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

/** Example workflows use Docker's /home/node/.n8n-files; point them at this n8n's files folder. */
function withFilesFolder<T>(workflow: T): T {
	const filesFolder = path.join(n8n.userFolder, '.n8n-files');
	return JSON.parse(JSON.stringify(workflow).split('/home/node/.n8n-files').join(filesFolder)) as T;
}

async function readyProfileId(): Promise<string> {
	const response = await fetch(`${sim.baseUrl}/profiles/add`, {
		method: 'POST',
		headers: { 'X-API-Key': API_KEY, 'content-type': 'application/json' },
		body: JSON.stringify({
			image_urls: Array.from({ length: 10 }, (_, i) => `https://x.org/${i}.jpg`),
		}),
	});
	sim.advanceClock(600_000);
	return ((await response.json()) as { profile_id: string }).profile_id;
}

test('edit example: photos read from disk are edited with a profile and written back', async () => {
	const profileId = await readyProfileId();
	const photos = path.join(n8n.userFolder, '.n8n-files', 'photos');
	mkdirSync(photos, { recursive: true });
	mkdirSync(path.join(n8n.userFolder, '.n8n-files', 'edited'), { recursive: true });
	writeFileSync(path.join(photos, 'team-1.jpg'), makeJpeg('team-1'));
	writeFileSync(path.join(photos, 'team-2.jpg'), makeJpeg('team-2'));
	const workflow = withFilesFolder(example('edit-photos-with-profile.json'));
	await importWorkflow(n8n, {
		...JSON.parse(JSON.stringify(workflow).split('prof_replace_me').join(profileId)),
		id: 'edit',
	});

	const run = await executeWorkflow(n8n, 'edit');

	expect(run.status).toBe('success');
	const edited = output(run, 'Edit With Profile');
	expect(edited).toHaveLength(2);
	expect(edited.map((item) => item.json.profile_ids)).toEqual([[profileId], [profileId]]);
	const requests = sim.log.forRoute('POST /edit');
	expect(
		requests.map((entry) =>
			sniffImage(Buffer.from((entry.body as { images: string[] }).images[0], 'base64')),
		),
	).toEqual(['jpeg', 'jpeg']);
	const written = readdirSync(path.join(n8n.userFolder, '.n8n-files', 'edited'));
	expect(written.sort()).toEqual(['phota-edit-1-1.jpg', 'phota-edit-2-1.jpg']);
});

test('enhance example: a batch runs in parallel; a failed item goes to the error output, the rest are saved', async () => {
	const batch = path.join(n8n.userFolder, '.n8n-files', 'batch');
	mkdirSync(batch, { recursive: true });
	mkdirSync(path.join(n8n.userFolder, '.n8n-files', 'enhanced'), { recursive: true });
	for (let index = 1; index <= 3; index++)
		writeFileSync(path.join(batch, `p${index}.png`), makePng(`p${index}`));
	sim.settings.latencyMs = { 'POST /enhance': 200 };
	sim.faults.add({
		route: 'POST /enhance',
		kind: 'status',
		status: 400,
		body: { code: 'CONTENT_MODERATION', detail: 'Blocked' },
	});
	await importWorkflow(n8n, { ...withFilesFolder(example('enhance-batch.json')), id: 'enhance' });

	const run = await executeWorkflow(n8n, 'enhance');

	expect(run.status).toBe('success');
	expect(output(run, 'Enhance', 0)).toHaveLength(2);
	const failed = output(run, 'Enhance', 1);
	expect(failed).toHaveLength(1);
	expect(failed[0].json.error).toMatch(/Blocked/);
	expect(sim.log.maxInFlightFor('POST /enhance')).toBeGreaterThanOrEqual(2);
	expect(readdirSync(path.join(n8n.userFolder, '.n8n-files', 'enhanced'))).toHaveLength(2);
});

test('campaign cost example: the dry run sends nothing, the capped run is billed as reported; over the cap nothing is sent', async () => {
	const profileId = await readyProfileId();
	const workflow = JSON.parse(
		JSON.stringify(example('campaign-estimate-then-run.json'))
			.split('prof_replace_me')
			.join(profileId),
	) as ReturnType<typeof example>;
	await importWorkflow(n8n, { ...workflow, id: 'campaign-cost' });

	const run = await executeWorkflow(n8n, 'campaign-cost');

	expect(run.status).toBe('success');
	const estimate = output(run, 'Estimate (Dry Run)');
	expect(estimate).toHaveLength(6);
	expect(estimate.every((item) => item.json.dry_run === true)).toBe(true);
	expect(output(run, 'Estimated Totals')[0].json).toEqual({ paid_requests: 6, images: 12 });
	const hints = run.data.resultData.runData['Estimate (Dry Run)'][0].hints ?? [];
	expect(hints.map((hint) => hint.message)).toContain(
		'Dry run: nothing was sent to Phota. Run for real, this node would ask Phota for 6 paid requests and 12 images (input items 0–5).',
	);
	// Only the capped run reached Phota, once per brief.
	expect(sim.log.count('POST /generate')).toBe(6);
	expect(output(run, 'What It Cost')[0].json).toEqual({
		billed_requests: 6,
		images: 12,
		not_billed: 0,
		may_have_been_billed: 0,
	});

	// A budget below the campaign: refused before anything is sent.
	sim.log.clear();
	const capped = workflow.nodes.find((node) => node.name === 'Generate (Capped)')!;
	(capped.parameters.options as Record<string, unknown>).maxImages = 10;
	await importWorkflow(n8n, { ...workflow, id: 'campaign-over-budget' });
	const over = await executeWorkflow(n8n, 'campaign-over-budget');
	expect(over.status).toBe('error');
	expect(over.data.resultData.error?.message).toBe(
		'Max Images is 10, and this run would ask Phota for 12 images (input items 0–5)',
	);
	expect(sim.log.count('POST /generate')).toBe(0);
});

test('AI agent example: headless start (Manual Trigger → chat message) → agent → Phota tool → the answer holds the download URL', async () => {
	const profileId = await readyProfileId();
	const workflow = example('ai-agent-phota-tool.json');
	// Both starts feed the agent: the Chat Trigger (the editor's chat) and, for `n8n execute`,
	// the Manual Trigger with a fixed chat message.
	expect(workflow.nodes.map((node) => node.type)).toEqual(
		expect.arrayContaining([
			'@n8n/n8n-nodes-langchain.chatTrigger',
			'n8n-nodes-base.manualTrigger',
		]),
	);
	// The tool as a user adds it: no settings changed.
	const tool = workflow.nodes.find((node) => node.type === 'n8n-nodes-phota.photaTool')!;
	expect(tool.parameters).toEqual({ resource: 'image', operation: 'generate' });
	expect(tool.onError).toBeUndefined();
	// The user picks their own OpenAI credential; here it is the stub.
	workflow.nodes.find(
		(node) => node.type === '@n8n/n8n-nodes-langchain.lmChatOpenAi',
	)!.credentials = { openAiApi: { id: 'openai-stub', name: 'OpenAI stub' } };
	await importWorkflow(n8n, {
		...JSON.parse(JSON.stringify(workflow).split('prof_replace_me').join(profileId)),
		id: 'agent',
	});
	openai.reset();
	const attemptsBefore = networkAttempts().length;

	const run = await executeWorkflow(n8n, 'agent');

	expect(run.data.resultData.error).toBeUndefined();
	expect(run.status).toBe('success');
	const calls = openai.modelCalls();
	expect(calls).toHaveLength(2);
	// The tool as the model sees it: the package's description, the arguments it may set.
	const offered = calls[0].tools;
	expect(offered.map((entry) => entry.name)).toEqual(['Generate_Photo']);
	expect(offered[0].description).toMatch(/download_url, a link valid for 24 hours/);
	expect(Object.keys(offered[0].parameters.properties ?? {}).sort()).toEqual([
		'aspect_ratio',
		'number_of_images',
		'profile_ids',
		'prompt',
	]);
	expect(sim.log.count('POST /generate')).toBe(1);
	expect(sim.log.forRoute('POST /generate')[0].body).toMatchObject({
		prompt: expect.stringContaining(`[[${profileId}]]`),
	});
	const url = firstUrl(calls[1].toolResults.at(-1) ?? '');
	expect(url?.startsWith(`${sim.otherHost.baseUrl}/files/`)).toBe(true);
	const answer = run.data.resultData.runData['AI Agent']?.at(-1)?.data?.main?.[0]?.[0]?.json;
	expect(String(answer?.output)).toContain(url);
	expect(networkAttempts().slice(attemptsBefore)).toEqual([]);
	expect(JSON.stringify(run)).not.toContain(API_KEY);
	expect(JSON.stringify(run)).not.toContain(OPENAI_KEY);
});

test("the README's manual install (its own-n8n recipe, run as printed) adds one package, and n8n runs it", async () => {
	// The recipe names the tarball by `npm pack --silent`, which must print the file name alone.
	const packed = await run('npm', ['pack', '--silent', '--dry-run'], { cwd: ROOT });
	expect(packed.stdout.trim()).toBe(path.basename(tarball));
	const manual = await createN8n(tarball, { installMethod: 'npmInstall' });
	try {
		// Checked by what is on disk, not by npm's "added 1 package" (which `npm run -s` hides).
		// n8n-workflow is an optional peer: npm must not fetch a second copy for the nodes to load.
		const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
			version: string;
		};
		const nodesDir = path.join(manual.userFolder, '.n8n', 'nodes');
		expect(installedPackages(nodesDir)).toEqual({
			packages: ['n8n-nodes-phota'],
			dependencies: { 'n8n-nodes-phota': expect.stringMatching(/^file:.*\.tgz$/) },
			version,
		});

		await importCredential(manual, {
			id: 'phota-credential',
			name: 'Phota account',
			type: 'photaApi',
			data: { apiKey: API_KEY, baseUrl: sim.baseUrl },
		});
		await importWorkflow(manual, {
			id: 'manual-install',
			name: 'Manual install',
			active: false,
			connections: { Start: { main: [[{ node: 'List Profiles', type: 'main', index: 0 }]] } },
			nodes: [
				{
					id: 'start',
					name: 'Start',
					type: 'n8n-nodes-base.manualTrigger',
					typeVersion: 1,
					position: [0, 0],
					parameters: {},
				},
				{
					id: 'list',
					name: 'List Profiles',
					type: 'n8n-nodes-phota.phota',
					typeVersion: 1,
					position: [200, 0],
					parameters: { resource: 'profile', operation: 'getMany', returnAll: true },
					credentials: { photaApi: { id: 'phota-credential', name: 'Phota account' } },
				},
			],
		});
		const run = await executeWorkflow(manual, 'manual-install');
		expect(run.data.resultData.error).toBeUndefined();
		expect(run.status).toBe('success');
		expect(sim.log.count('GET /profiles/ids')).toBe(1);
	} finally {
		removeN8n(manual);
	}
});
