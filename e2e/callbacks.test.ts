/**
 * Long jobs in real n8n (`n8n start`, SQLite, filesystem binary data): the two campaign examples
 * (jobs submitted with a Callback URL; an activated workflow whose Phota Trigger receives the
 * simulator's signed callbacks), refused deliveries that start nothing, a repeated delivery that
 * starts one execution, and Async Job → wait here with a lost submit answer, paid once.
 */
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

import { fetch } from 'undici';

import type { PhotaSimulator } from '../simulator';
import { sniffImage, startSimulator } from '../simulator';
import { sleep } from './clusterProcesses';
import type { N8nInstance, N8nServer } from './n8nCli';
import {
	ROOT,
	cliTranscript,
	createN8n,
	importCredential,
	importWorkflows,
	n8nCli,
	packPackage,
	removeN8n,
	removePackage,
	startN8nServer,
} from './n8nCli';
import { activateWorkflowArgs, servesWebhook } from './queueCluster';
import {
	executionsOf as executionsOfIn,
	nodeOutput as output,
	runDataOf as runDataIn,
	waitForExecutions as waitForExecutionsIn,
} from './sqliteExecutions';

const API_KEY = 'e2e-callbacks-key-7d21';
const JOBS = 20;
let sim: PhotaSimulator;
let n8n: N8nInstance;
let server: N8nServer;
let tarball: string;
let profileId: string;

interface Workflow extends Record<string, unknown> {
	id: string;
	name: string;
	nodes: Array<{
		id: string;
		name: string;
		type: string;
		typeVersion: number;
		position: number[];
		parameters: Record<string, unknown>;
		webhookId?: string;
		credentials?: object;
	}>;
	connections: Record<string, unknown>;
}

function example(name: string, id: string): Workflow {
	return { ...JSON.parse(readFileSync(path.join(ROOT, 'examples', name), 'utf8')), id };
}

/** A workflow's manual start replaced by a webhook, so `n8n start` runs it on a POST. */
function startedByWebhook(workflow: Workflow, webhookPath: string): Workflow {
	const start = workflow.nodes.find((node) => node.type === 'n8n-nodes-base.manualTrigger')!;
	Object.assign(start, {
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		webhookId: `00000000-0000-4000-8000-${Buffer.from(webhookPath).toString('hex').slice(0, 12).padEnd(12, '0')}`,
		parameters: { httpMethod: 'POST', path: webhookPath, responseMode: 'onReceived', options: {} },
	});
	return workflow;
}

const receiving = example('campaign-images-received.json', 'campaign-received');
const trigger = receiving.nodes.find((node) => node.type === 'n8n-nodes-phota.photaTrigger')!;
const triggerPath = `${trigger.webhookId}/phota`;

/** The submitting example, started by a webhook; its briefs and Callback URL come with the POST. */
function submittingWorkflow(): Workflow {
	const workflow = startedByWebhook(
		example('campaign-submit-async-jobs.json', 'campaign-submit'),
		'campaign-submit',
	);
	const briefs = workflow.nodes.find((node) => node.name === 'Campaign Briefs')!;
	briefs.parameters.jsCode =
		"const { count, profile_id } = $('Start').first().json.body;\nreturn Array.from({ length: count }, (_, shot) => ({ json: { profile_ids: [profile_id], prompt: `[[profile]] campaign shot ${shot}` } }));";
	const submit = workflow.nodes.find((node) => node.name === 'Submit Jobs')!;
	const options = submit.parameters.options as Record<string, unknown>;
	expect(options.callbackUrl).toMatch(new RegExp(`/webhook/${triggerPath}$`));
	options.callbackUrl = "={{ $('Start').first().json.body.callback_url }}";
	return workflow;
}

/** Generate with Async Job → wait here, started by a webhook, for the lost-answer test. */
function waitingWorkflow(): Workflow {
	return {
		id: 'campaign-wait-here',
		name: 'Generate as jobs, waited for here',
		nodes: [
			{
				id: 'w1',
				name: 'Start',
				type: 'n8n-nodes-base.manualTrigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: {},
			},
			{
				id: 'w2',
				name: 'Briefs',
				type: 'n8n-nodes-base.code',
				typeVersion: 2,
				position: [220, 0],
				parameters: {
					jsCode:
						"const { profile_id } = $('Start').first().json.body;\nreturn [0, 1, 2].map((shot) => ({ json: { profile_ids: [profile_id], prompt: `[[profile]] portrait ${shot}` } }));",
				},
			},
			{
				id: 'w3',
				name: 'Generate',
				type: 'n8n-nodes-phota.phota',
				typeVersion: 1,
				position: [440, 0],
				credentials: { photaApi: { id: 'phota-credential', name: 'Phota account' } },
				parameters: {
					resource: 'image',
					operation: 'generate',
					prompt: '={{ $json.prompt }}',
					options: { async: 'wait', jobPollInterval: 1, numberOfImages: 2 },
				},
			},
		],
		connections: {
			Start: { main: [[{ node: 'Briefs', type: 'main', index: 0 }]] },
			Briefs: { main: [[{ node: 'Generate', type: 'main', index: 0 }]] },
		},
	};
}

const executionsOf = async (workflowId: string) => await executionsOfIn(n8n, workflowId);
const runDataOf = async (executionId: string) => await runDataIn(n8n, executionId);
async function waitForExecutions(workflowId: string, count: number, timeoutMs: number) {
	try {
		return await waitForExecutionsIn(n8n, workflowId, count, timeoutMs);
	} catch (error) {
		throw new Error(`${(error as Error).message}\n${server.output.join('').slice(-3000)}`);
	}
}

async function post(webhookPath: string, body: object): Promise<void> {
	const response = await fetch(`${server.url}/webhook/${webhookPath}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body),
	});
	const text = await response.text();
	if (response.status !== 200) throw new Error(`${webhookPath}: ${response.status} ${text}`);
}

/** Submits one async Generate straight to the simulator, with the trigger's URL as its callback. */
async function submitDirectly(prompt: string): Promise<string> {
	const response = await fetch(`${sim.baseUrl}/generate`, {
		method: 'POST',
		headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
		body: JSON.stringify({
			prompt,
			num_output_images: 1,
			response_mode: 'urls',
			async: true,
			callback_url: `${server.url}/webhook/${triggerPath}`,
		}),
	});
	expect(response.status).toBe(202);
	return ((await response.json()) as { job_id: string }).job_id;
}

/** Waits until every callback POST of `jobIds` was answered; returns their records. */
async function answeredCallbacks(jobIds: string[], posts: number) {
	const deadline = Date.now() + 60_000;
	for (;;) {
		const records = sim
			.callbacks()
			.filter((record) => jobIds.includes(record.jobId) && record.attempt > 0);
		if (records.length >= posts && records.every((record) => record.answeredStatus || record.error))
			return records;
		if (Date.now() > deadline) throw new Error(`callbacks: ${JSON.stringify(records)}`);
		await sleep(200);
	}
}

const savedFolder = () => path.join(n8n.userFolder, '.n8n-files', 'campaign');

beforeAll(async () => {
	sim = await startSimulator({
		apiKeys: [API_KEY],
		trainingPhasesMs: { validating: 100, queuing: 100, inProgress: 300 },
		jobPhasesMs: { queued: 200, running: 800 },
		httpCallbacksOnLoopback: true,
		callbackRetryDelayMs: 300,
	});
	const created = await fetch(`${sim.baseUrl}/profiles/add`, {
		method: 'POST',
		headers: { 'X-API-Key': API_KEY, 'content-type': 'application/json' },
		body: JSON.stringify({
			image_urls: Array.from({ length: 10 }, (_, index) => `https://x.org/cb${index}.jpg`),
		}),
	});
	profileId = ((await created.json()) as { profile_id: string }).profile_id;
	sim.advanceClock(600_000);

	tarball = process.env.PHOTA_E2E_TARBALL ?? (await packPackage());
	n8n = await createN8n(tarball, { binaryMode: 'filesystem' });
	await importCredential(n8n, {
		id: 'phota-credential',
		name: 'Phota account',
		type: 'photaApi',
		data: { apiKey: API_KEY, baseUrl: sim.baseUrl },
	});
	const save = receiving.nodes.find((node) => node.name === 'Save Image')!;
	save.parameters.fileName = String(save.parameters.fileName).replace(
		'/home/node/.n8n-files',
		path.join(n8n.userFolder, '.n8n-files'),
	);
	mkdirSync(savedFolder(), { recursive: true });
	const workflows = [
		receiving,
		submittingWorkflow(),
		startedByWebhook(waitingWorkflow(), 'campaign-wait-here'),
	];
	await importWorkflows(n8n, workflows);
	for (const workflow of workflows) await n8nCli(n8n, activateWorkflowArgs(n8n, workflow.id));
	server = await startN8nServer(n8n);
	const deadline = Date.now() + 120_000;
	for (const webhookPath of [triggerPath, 'campaign-submit', 'campaign-wait-here']) {
		while (!(await servesWebhook(server.url, webhookPath).catch(() => false))) {
			if (Date.now() > deadline) throw new Error(`n8n does not serve ${webhookPath}`);
			await sleep(500);
		}
	}
}, 600_000);

afterAll(async () => {
	await server?.stop();
	const logs = [...cliTranscript, ...(server?.output ?? [])].join('\n');
	await sim?.close();
	if (n8n) removeN8n(n8n);
	if (tarball && !process.env.PHOTA_E2E_TARBALL) removePackage(tarball);
	// Neither the API key nor the webhook secret reached n8n's output.
	expect(logs).not.toContain(API_KEY);
	expect(logs).not.toContain(sim.settings.webhookSecret);
}, 120_000);

test(`the campaign examples: ${JOBS} jobs submitted with a Callback URL → ${JOBS} executions of the activated Phota Trigger workflow, each with its images saved`, async () => {
	await post('campaign-submit', {
		count: JOBS,
		profile_id: profileId,
		callback_url: `${server.url}/webhook/${triggerPath}`,
	});
	const [submitRun] = await waitForExecutions('campaign-submit', 1, 60_000);
	expect(submitRun.status).toBe('success');
	const executions = await waitForExecutions('campaign-received', JOBS, 120_000);
	expect(executions).toHaveLength(JOBS);
	const failed = executions.filter((row) => row.status !== 'success');
	const errors = await Promise.all(
		failed.map(async (row) => (await runDataOf(row.id)).resultData.error?.message),
	);
	expect(errors).toEqual([]);

	const jobs = sim.jobs();
	expect(jobs).toHaveLength(JOBS);
	const seen = new Set<string>();
	for (const execution of executions) {
		const items = output(await runDataOf(execution.id), 'Phota Trigger');
		expect(items).toHaveLength(2);
		const jobId = String(items[0].json.job_id);
		seen.add(jobId);
		for (const item of items) {
			expect(item.json).toMatchObject({
				status: 'succeeded',
				profile_ids: [profileId],
				delivery_key: `${jobId}:succeeded`,
				client_request_id: jobs.find((job) => job.id === jobId)?.clientRequestId,
			});
			// Inline: a webhook's files in n8n's store would be lost (outputItems.ts says why).
			expect(item.binary?.data.id).toBeUndefined();
			expect(sniffImage(Buffer.from(item.binary!.data.data, 'base64'))).toMatch(/png|jpeg/);
		}
	}
	expect(seen.size).toBe(JOBS);
	const saved = readdirSync(savedFolder());
	expect(saved).toHaveLength(JOBS * 2);
	for (const file of saved) {
		expect(['png', 'jpeg']).toContain(sniffImage(readFileSync(path.join(savedFolder(), file))));
	}
	// Each job was delivered once and answered 200 at the first try.
	const records = sim.callbacks().filter((record) => seen.has(record.jobId));
	expect(records).toHaveLength(JOBS);
	expect(records.every((record) => record.answeredStatus === 200)).toBe(true);
});

test('tampered, unsigned and wrongly signed callbacks are answered 401 and start no execution; n8n logs one line for each', async () => {
	const before = (await executionsOf('campaign-received')).length;
	const logStart = server.output.join('').length;
	const jobIds: string[] = [];
	for (const kind of ['tamper', 'unsigned', 'wrongSecret'] as const) {
		// The fault covers the callback and its retries.
		sim.addCallbackFault({ kind, times: 1 });
		jobIds.push(await submitDirectly(`A refused delivery (${kind})`));
		// One job at a time, so each fault meets its own job.
		await answeredCallbacks([jobIds[jobIds.length - 1]], 1 + sim.settings.callbackRetries);
	}
	const records = await answeredCallbacks(jobIds, 3 * (1 + sim.settings.callbackRetries));
	expect(records.every((record) => record.answeredStatus === 401)).toBe(true);
	await sleep(1000);
	expect(await executionsOf('campaign-received')).toHaveLength(before);
	const refusals = server.output
		.join('')
		.slice(logStart)
		.split('\n')
		.filter((line) => line.includes('Phota Trigger refused a callback (HTTP 401)'));
	expect(refusals).toHaveLength(records.length);
});

test('a callback Phota repeats starts one execution', async () => {
	const before = (await executionsOf('campaign-received')).length;
	sim.addCallbackFault({ kind: 'repeat', repeats: 2 });
	const jobId = await submitDirectly('A repeated delivery');
	const records = await answeredCallbacks([jobId], 3);
	expect(records.map((record) => record.answeredStatus)).toEqual([200, 200, 200]);
	const executions = await waitForExecutions('campaign-received', before + 1, 30_000);
	await sleep(1500);
	expect(await executionsOf('campaign-received')).toHaveLength(executions.length);
	expect(executions).toHaveLength(before + 1);
});

test('Async Job → wait here, every submit answer lost: each job resent with its client_request_id, paid once; the images come out', async () => {
	const spentBefore = sim.spentBy(API_KEY);
	const jobsBefore = sim.jobs().length;
	sim.faults.add({ route: 'POST /generate', kind: 'reset', afterProcessing: true, times: 3 });
	await post('campaign-wait-here', { profile_id: profileId });
	const [execution] = await waitForExecutions('campaign-wait-here', 1, 120_000);
	expect(execution.status).toBe('success');
	const items = output(await runDataOf(execution.id), 'Generate');
	expect(items).toHaveLength(6);
	expect(items.every((item) => item.binary?.data && item.json.job_id)).toBe(true);
	expect(sim.jobs().length - jobsBefore).toBe(3);
	expect(sim.spentBy(API_KEY) - spentBefore).toBe(3 * 2);
	const submits = sim.log.forRoute('POST /generate').filter((entry) => entry.fault === 'reset');
	expect(submits).toHaveLength(3);
});
