/**
 * The Phota node as an AI Agent tool, end to end, offline and with no key: a real n8n 2.8.4 AI
 * Agent, a stand-in OpenAI (e2e/openaiStub.ts: Chat Completions and Responses API, streaming and
 * not), the packed package installed as n8n installs community nodes, and the Phota simulator.
 *
 * Each case: the model calls the Phota tool, the real node calls the simulator (exactly one
 * POST /generate), the model receives the result (the stub's record of the tool result holds the
 * download URL), and the agent's final answer holds that URL. `n8n execute` cannot start a Chat
 * Trigger, so the workflows start with Manual Trigger → Set `chatInput` (what a Chat Trigger
 * outputs) → AI Agent.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { IDataObject, IRun } from 'n8n-workflow';
import { fetch } from 'undici';

import type { PhotaSimulator } from '../simulator';
import { sniffImage, startSimulator } from '../simulator';
import type { N8nInstance } from './n8nCli';
import {
	E2E_DIR,
	cliTranscript,
	createN8n,
	executeWorkflow,
	guardLoopback,
	importCredential,
	importWorkflows,
	packPackage,
	removeN8n,
	removePackage,
} from './n8nCli';
import type { OpenAiStub, Policy, RecordedRequest, StubApi } from './openaiStub';
import { STUB_MODEL, argumentsFor, firstProfileId, firstUrl, startOpenAiStub } from './openaiStub';

const PHOTA_KEY = 'e2e-agent-phota-key-7d21';
const OPENAI_KEY = 'sk-e2e-agent-openai-stub-5be0';

let sim: PhotaSimulator;
let stub: OpenAiStub;
let n8n: N8nInstance;
let tarball: string;
let networkAttempts: () => string[];
let profileId: string;
const runs: IRun[] = [];

// ------------------------------------------------------------------ workflow builders

/**
 * How the Phota tool nodes are set up:
 * - `defaults` (the suite's): the tool as a user adds it, no settings changed (resource,
 *   operation and credential only): the tool's own `$fromAI` defaults give the model its
 *   arguments, its description tells it what comes back, errors reach it without On Error:
 *   Continue.
 * - `explicit` (PHOTA_E2E_TOOL_SETTINGS=explicit): a hand-made setup, as in
 *   ../shared/reviews/2026-11-25-agent-tool.md: Profiles "By ID" (empty, the prompt names the
 *   profile, or `$fromAI` when the model picks it), the prompt from `$fromAI`, Image Delivery
 *   "Download URLs Only", On Error: Continue. (The example test in e2e.test.ts runs such a setup.)
 */
const TOOL_SETTINGS: 'explicit' | 'defaults' =
	process.env.PHOTA_E2E_TOOL_SETTINGS === 'explicit' ? 'explicit' : 'defaults';

type ToolKind = 'generate' | 'listProfiles' | 'getStatus' | 'edit' | 'enhance';

const OPERATION_OF: Record<ToolKind, IDataObject> = {
	generate: { resource: 'image', operation: 'generate' },
	listProfiles: { resource: 'profile', operation: 'getMany' },
	getStatus: { resource: 'profile', operation: 'getStatus' },
	edit: { resource: 'image', operation: 'edit' },
	enhance: { resource: 'image', operation: 'enhance' },
};

interface WorkflowNode {
	id: string;
	name: string;
	type: string;
	typeVersion: number;
	position: [number, number];
	parameters: IDataObject;
	credentials?: Record<string, { id: string; name: string }>;
	onError?: string;
}

/** The Phota tool node of one case. */
function photaToolNode(
	kind: ToolKind,
	options: { name: string; modelPicksProfile?: boolean; onErrorContinue?: boolean; x?: number },
): WorkflowNode {
	const operation = OPERATION_OF[kind];
	const explicit: IDataObject =
		kind === 'generate'
			? {
					profiles: {
						__rl: true,
						mode: 'id',
						value: options.modelPicksProfile
							? "={{ $fromAI('profile_ids', 'Phota profile ID of the person, e.g. prof_a1', 'string') }}"
							: '',
					},
					prompt:
						"={{ $fromAI('prompt', 'Image prompt; name the person as [[<profile ID>]], e.g. [[prof_a1]]', 'string') }}",
					options: { delivery: 'urls' },
				}
			: kind === 'listProfiles'
				? { returnAll: true }
				: {};
	return {
		id: `tool-${options.name.replace(/\W/g, '-')}`,
		name: options.name,
		type: 'n8n-nodes-phota.photaTool',
		typeVersion: 1,
		position: [options.x ?? 400, 220],
		parameters: { ...operation, ...(TOOL_SETTINGS === 'explicit' ? explicit : {}) },
		credentials: { photaApi: { id: 'phota-credential', name: 'Phota account' } },
		// Not needed by the tool (it returns its errors to the model), set as a user may have.
		...(options.onErrorContinue && TOOL_SETTINGS === 'explicit'
			? { onError: 'continueRegularOutput' }
			: {}),
	};
}

/** Wait for Profile Ready as a tool, as a user adds it: no settings changed. */
function waitToolNode(name: string, x: number): WorkflowNode {
	return {
		id: `tool-${name.replace(/\W/g, '-')}`,
		name,
		type: 'n8n-nodes-phota.waitForProfileReadyTool',
		typeVersion: 1,
		position: [x, 220],
		parameters: {},
		credentials: { photaApi: { id: 'phota-credential', name: 'Phota account' } },
	};
}

interface AgentCase {
	id: string;
	agentVersion: number;
	modelVersion: 1.2 | 1.3;
	/** Model 1.3 only: "Use Responses API" (on by default). */
	responsesApi?: boolean;
	tools: WorkflowNode[];
	systemMessage: string;
	chatInput: string;
}

function agentWorkflow(spec: AgentCase): { id: string } & Record<string, unknown> {
	const model: WorkflowNode = {
		id: 'model',
		name: 'OpenAI Chat Model',
		type: '@n8n/n8n-nodes-langchain.lmChatOpenAi',
		typeVersion: spec.modelVersion,
		position: [160, 220],
		parameters: {
			model: { __rl: true, mode: 'list', value: STUB_MODEL },
			...(spec.modelVersion >= 1.3 ? { responsesApiEnabled: spec.responsesApi ?? true } : {}),
			options: {},
		},
		credentials: { openAiApi: { id: 'openai-stub', name: 'OpenAI stub' } },
	};
	const nodes: WorkflowNode[] = [
		{
			id: 'trigger',
			name: 'Manual Trigger',
			type: 'n8n-nodes-base.manualTrigger',
			typeVersion: 1,
			position: [-400, 0],
			parameters: {},
		},
		{
			id: 'chat-input',
			name: 'Chat Input',
			type: 'n8n-nodes-base.set',
			typeVersion: 3.4,
			position: [-200, 0],
			parameters: {
				assignments: {
					assignments: [{ id: 'a1', name: 'chatInput', type: 'string', value: spec.chatInput }],
				},
				options: {},
			},
		},
		{
			id: 'agent',
			name: 'AI Agent',
			type: '@n8n/n8n-nodes-langchain.agent',
			typeVersion: spec.agentVersion,
			position: [240, 0],
			parameters: { options: { systemMessage: spec.systemMessage } },
		},
		model,
		...spec.tools,
	];
	const tools = Object.fromEntries(
		spec.tools.map((tool) => [
			tool.name,
			{ ai_tool: [[{ node: 'AI Agent', type: 'ai_tool', index: 0 }]] },
		]),
	);
	return {
		id: spec.id,
		name: `Agent e2e: ${spec.id}`,
		settings: { executionOrder: 'v1' },
		nodes,
		connections: {
			'Manual Trigger': { main: [[{ node: 'Chat Input', type: 'main', index: 0 }]] },
			'Chat Input': { main: [[{ node: 'AI Agent', type: 'main', index: 0 }]] },
			'OpenAI Chat Model': {
				ai_languageModel: [[{ node: 'AI Agent', type: 'ai_languageModel', index: 0 }]],
			},
			...tools,
		},
	};
}

const systemMessage = () =>
	`You make marketing photos of our brand ambassador. Their Phota profile ID is ${profileId}; name them as [[${profileId}]] in prompts.`;

function generateCase(
	id: string,
	agentVersion: number,
	modelVersion: 1.2 | 1.3,
	responsesApi?: boolean,
): AgentCase {
	return {
		id,
		agentVersion,
		modelVersion,
		responsesApi,
		tools: [photaToolNode('generate', { name: 'Generate Photo' })],
		systemMessage: systemMessage(),
		chatInput: 'Make a studio headshot of our ambassador',
	};
}

/**
 * The AI Agent version n8n adds today: the installed n8n's defaultVersion (3.1 in n8n 2.8.4, 3 in
 * 1.123, which the compatibility matrix also runs this suite on). OpenAI Chat Model 1.3 in all.
 */
const NEWEST_AGENT: number = (() => {
	const n8nDir = process.env.PHOTA_E2E_N8N_DIR ?? path.join(E2E_DIR, 'node_modules', 'n8n');
	// By path: the package's "exports" do not list its node files.
	const agentNode = [path.join(n8nDir, '..'), path.join(n8nDir, 'node_modules')]
		.map((modules) =>
			path.join(modules, '@n8n', 'n8n-nodes-langchain', 'dist/nodes/agents/Agent/Agent.node.js'),
		)
		.find((file) => existsSync(file));
	if (!agentNode) throw new Error(`no @n8n/n8n-nodes-langchain next to ${n8nDir}`);
	const version = /defaultVersion: ([\d.]+)/.exec(readFileSync(agentNode, 'utf8'))?.[1];
	if (!version) throw new Error(`no defaultVersion in ${agentNode}`);
	return Number(version);
})();

const cases = () => ({
	completionsStreaming: generateCase('agent-17-model-12', 1.7, 1.2),
	responses: generateCase('agent-31-responses', NEWEST_AGENT, 1.3),
	responsesStreaming: generateCase('agent-17-responses', 1.7, 1.3),
	completions: generateCase('agent-31-completions', NEWEST_AGENT, 1.3, false),
	errorRecovery17: {
		...generateCase('agent-17-error', 1.7, 1.2),
		tools: [photaToolNode('generate', { name: 'Generate Photo', onErrorContinue: true })],
	},
	errorRecovery31: {
		...generateCase('agent-31-error', NEWEST_AGENT, 1.3),
		tools: [photaToolNode('generate', { name: 'Generate Photo', onErrorContinue: true })],
	},
	twoTools: {
		...generateCase('agent-31-two-tools', NEWEST_AGENT, 1.3),
		tools: [
			photaToolNode('listProfiles', { name: 'List Profiles', x: 300 }),
			photaToolNode('generate', { name: 'Generate Photo', modelPicksProfile: true, x: 500 }),
		],
		systemMessage:
			'You make marketing photos of people who have a Phota profile. Find the profile first, then generate.',
	},
	agentTools: {
		...generateCase('agent-31-more-tools', NEWEST_AGENT, 1.3),
		tools: [
			photaToolNode('getStatus', { name: 'Profile Status', x: 200 }),
			photaToolNode('edit', { name: 'Edit Photo', x: 400 }),
			photaToolNode('enhance', { name: 'Enhance Photo', x: 600 }),
		],
		systemMessage: systemMessage(),
	},
	keepsGenerating: {
		...generateCase('agent-31-keeps-generating', NEWEST_AGENT, 1.3),
		chatInput: 'Make as many headshots of our ambassador as you can',
	},
	waitTool: {
		...generateCase('agent-31-wait-tool', NEWEST_AGENT, 1.3),
		tools: [waitToolNode('Wait For Profile', 300)],
		systemMessage: systemMessage(),
	},
});

// ------------------------------------------------------------------ helpers

function agentOutput(run: IRun): string {
	// Agent 3.x runs once per model turn (the tools run as nodes in between): the last run answers.
	const last = run.data.resultData.runData['AI Agent']?.at(-1);
	return String(last?.data?.main?.[0]?.[0]?.json?.output ?? '');
}

async function execute(id: string): Promise<IRun> {
	const run = await executeWorkflow(n8n, id);
	runs.push(run);
	return run;
}

/** The URL the simulator's one POST /generate produced, as the model received it. */
function expectOneGenerate(calls: RecordedRequest[]): string {
	expect(sim.log.count('POST /generate')).toBe(1);
	const [generate] = sim.log.forRoute('POST /generate');
	expect(generate.apiKeyValid).toBe(true);
	expect(generate.body).toMatchObject({ prompt: expect.stringContaining(`[[${profileId}]]`) });
	const results = calls.flatMap((call) => call.toolResults);
	const url = results.map((result) => firstUrl(result)).find(Boolean);
	expect(url).toBeDefined();
	expect(url!.startsWith(`${sim.otherHost.baseUrl}/files/`)).toBe(true);
	return url!;
}

async function expectImageAt(url: string) {
	const response = await fetch(url);
	expect(response.status).toBe(200);
	expect(sniffImage(Buffer.from(await response.arrayBuffer()))).not.toBeUndefined();
}

function expectApi(calls: RecordedRequest[], api: StubApi, stream: boolean) {
	expect(calls.length).toBeGreaterThanOrEqual(2);
	for (const call of calls) {
		expect({ api: call.api, stream: call.stream, authorized: call.authorized }).toEqual({
			api,
			stream,
			authorized: true,
		});
		if (stream && api === 'chat.completions') expect(call.includeUsage).toBe(true);
	}
}

// ------------------------------------------------------------------ setup

async function createReadyProfile(): Promise<string> {
	const response = await fetch(`${sim.baseUrl}/profiles/add`, {
		method: 'POST',
		headers: { 'X-API-Key': PHOTA_KEY, 'content-type': 'application/json' },
		body: JSON.stringify({
			image_urls: Array.from({ length: 10 }, (_, i) => `https://x.org/${i}.jpg`),
		}),
	});
	const { profile_id: id } = (await response.json()) as { profile_id: string };
	sim.advanceClock(600_000);
	return id;
}

beforeAll(async () => {
	sim = await startSimulator({ apiKeys: [PHOTA_KEY] });
	stub = await startOpenAiStub({ apiKey: OPENAI_KEY });
	tarball = process.env.PHOTA_E2E_TARBALL ?? (await packPackage());
	n8n = await createN8n(tarball);
	networkAttempts = guardLoopback(n8n);
	await importCredential(n8n, {
		id: 'phota-credential',
		name: 'Phota account',
		type: 'photaApi',
		data: { apiKey: PHOTA_KEY, baseUrl: sim.baseUrl },
	});
	// n8n's OpenAiApi credential: `url` is the Base URL including /v1.
	await importCredential(n8n, {
		id: 'openai-stub',
		name: 'OpenAI stub',
		type: 'openAiApi',
		data: { apiKey: OPENAI_KEY, url: stub.baseUrl },
	});
	profileId = await createReadyProfile();
	await importWorkflows(n8n, Object.values(cases()).map(agentWorkflow));
});

afterAll(async () => {
	// For a look at what n8n sent and received: PHOTA_E2E_STUB_LOG=<file> writes the stub's record.
	if (process.env.PHOTA_E2E_STUB_LOG && stub)
		writeFileSync(process.env.PHOTA_E2E_STUB_LOG, JSON.stringify(stub.history, null, 1));
	// No key in anything n8n printed, in the run data, or in what the model was sent.
	const everything = [
		cliTranscript.join('\n'),
		JSON.stringify(runs),
		JSON.stringify(stub?.history ?? []),
	].join('\n');
	expect(cliTranscript.join('').length).toBeGreaterThan(0);
	expect(everything).not.toContain(PHOTA_KEY);
	expect(everything).not.toContain(OPENAI_KEY);
	await stub?.close();
	await sim?.close();
	if (n8n) removeN8n(n8n);
	if (tarball && !process.env.PHOTA_E2E_TARBALL) removePackage(tarball);
});

beforeEach(() => {
	sim.log.clear();
	sim.otherHost.clear();
	stub.reset();
});

afterEach(() => {
	// Everything stayed on this machine: the model was the stub, Phota the simulator.
	expect(networkAttempts()).toEqual([]);
});

// ------------------------------------------------------------------ cases

describe.each([
	{
		title: 'Agent 1.7 + OpenAI Chat Model 1.2: Chat Completions, streaming',
		key: 'completionsStreaming' as const,
		api: 'chat.completions' as const,
		stream: true,
	},
	{
		title: `Agent ${NEWEST_AGENT} + OpenAI Chat Model 1.3: Responses API (its default), not streaming`,
		key: 'responses' as const,
		api: 'responses' as const,
		stream: false,
	},
	{
		title: 'Agent 1.7 + OpenAI Chat Model 1.3: Responses API, streaming',
		key: 'responsesStreaming' as const,
		api: 'responses' as const,
		stream: true,
	},
	{
		title: `Agent ${NEWEST_AGENT} + OpenAI Chat Model 1.3 with Responses API off: Chat Completions, not streaming`,
		key: 'completions' as const,
		api: 'chat.completions' as const,
		stream: false,
	},
])('$title', ({ key, api, stream }) => {
	test('the model calls Phota Generate, the node calls the simulator once, the answer holds the URL', async () => {
		const run = await execute(cases()[key].id);

		expect(run.data.resultData.error).toBeUndefined();
		expect(run.status).toBe('success');
		const calls = stub.modelCalls();
		expectApi(calls, api, stream);
		// The tool as the model saw it on the first call.
		const tool = calls[0].tools.find((offered) => offered.name === 'Generate_Photo');
		expect(tool).toBeDefined();
		expect(Object.keys(tool!.parameters.properties ?? {})).toContainEqual(
			expect.stringMatching(/prompt/i),
		);
		if (TOOL_SETTINGS === 'defaults') {
			// With no settings changed, the tool's own arguments and description.
			expect(Object.keys(tool!.parameters.properties ?? {}).sort()).toEqual([
				'aspect_ratio',
				'number_of_images',
				'profile_ids',
				'prompt',
			]);
			expect(tool!.description).toMatch(/^Makes new photos from a text prompt with Phota\./);
			expect(tool!.description).toContain('download_url, a link valid for 24 hours');
			expect(tool!.description).toContain('[[profile]]');
		}
		expect(calls[0].action).toMatchObject({ toolCall: { name: 'Generate_Photo' } });
		const url = expectOneGenerate(calls);
		expect(calls.at(-1)!.toolResults.at(-1)).toContain(url);
		expect(agentOutput(run)).toContain(url);
		await expectImageAt(url);
	});
});

describe.each([
	{ agent: 1.7, key: 'errorRecovery17' as const, api: 'chat.completions' as const, stream: true },
	{
		agent: NEWEST_AGENT,
		key: 'errorRecovery31' as const,
		api: 'responses' as const,
		stream: false,
	},
])('Agent $agent, error recovery ($api)', ({ key, api, stream }) => {
	test('a bad argument: the model reads the node’s message, retries, and answers with the URL', async () => {
		const badPrompt = 'Studio headshot of [[the ambassador]]';
		const policy: Policy = (turn) => {
			const last = turn.toolResults.at(-1);
			const generate = turn.tools.find((tool) => tool.name === 'Generate_Photo')!;
			if (last === undefined) {
				const promptKey =
					Object.keys(generate.parameters.properties ?? {}).find((name) => /prompt/i.test(name)) ??
					'prompt';
				return {
					toolCall: {
						name: generate.name,
						arguments: { ...argumentsFor(generate.parameters, profileId), [promptKey]: badPrompt },
					},
				};
			}
			const url = firstUrl(last);
			if (url) return { text: `Here is your image: ${url}` };
			if (turn.toolResults.length === 1)
				return {
					toolCall: {
						name: generate.name,
						arguments: argumentsFor(generate.parameters, profileId),
					},
				};
			return { text: `Giving up: ${last}` };
		};
		stub.setPolicy(policy);

		const run = await execute(cases()[key].id);

		expect(run.data.resultData.error).toBeUndefined();
		expect(run.status).toBe('success');
		const calls = stub.modelCalls();
		expectApi(calls, api, stream);
		expect(calls).toHaveLength(3);
		// What the model read after its bad call: the node's message, naming the bad token.
		const errorResult = calls[1].toolResults[0];
		expect(errorResult).toMatch(/error/i);
		expect(errorResult).toContain('[[the ambassador]]');
		expect(firstUrl(errorResult)).toBeUndefined();
		// Refused before any request: the only POST /generate is the retry's.
		const url = expectOneGenerate(calls);
		expect(calls[2].toolResults).toHaveLength(2);
		expect(calls[2].toolResults[1]).toContain(url);
		expect(agentOutput(run)).toContain(url);
	});
});

describe(`Agent ${NEWEST_AGENT} with two Phota tools`, () => {
	test('the model lists the profiles to find the id, then generates with it', async () => {
		const policy: Policy = (turn) => {
			const byName = (name: string) => turn.tools.find((tool) => tool.name === name)!;
			const last = turn.toolResults.at(-1);
			if (last === undefined) return { toolCall: { name: 'List_Profiles', arguments: {} } };
			const url = firstUrl(last);
			if (url) return { text: `Here is your image: ${url}` };
			const found = firstProfileId(last);
			if (!found) return { text: `No profile found: ${last}` };
			const generate = byName('Generate_Photo');
			return {
				toolCall: { name: generate.name, arguments: argumentsFor(generate.parameters, found) },
			};
		};
		stub.setPolicy(policy);

		const run = await execute(cases().twoTools.id);

		expect(run.data.resultData.error).toBeUndefined();
		expect(run.status).toBe('success');
		const calls = stub.modelCalls();
		expectApi(calls, 'responses', false);
		expect(calls).toHaveLength(3);
		expect(calls[0].tools.map((tool) => tool.name).sort()).toEqual([
			'Generate_Photo',
			'List_Profiles',
		]);
		expect(calls[1].toolResults[0]).toContain(profileId);
		expect(calls[1].toolResults[0]).toContain('READY');
		expect(sim.log.count('GET /profiles/ids')).toBe(1);
		expect(calls[1].action).toMatchObject({ toolCall: { name: 'Generate_Photo' } });
		// The model handed over the id it found (Phota reads the profile from the prompt's token).
		expect(JSON.stringify(calls[1].action)).toContain(profileId);
		const url = expectOneGenerate(calls);
		expect(agentOutput(run)).toContain(url);
	});
});

describe(`Agent ${NEWEST_AGENT} with Get Status, Edit and Enhance tools`, () => {
	test('the model checks the profile, edits a photo from its URL and enhances another, with no tool settings changed', async () => {
		const photo = 'https://photos.example.org/team/ada.jpg';
		const order = ['Profile_Status', 'Edit_Photo', 'Enhance_Photo'];
		const policy: Policy = (turn) => {
			const next = order[turn.toolResults.length];
			if (next) {
				const tool = turn.tools.find((offered) => offered.name === next)!;
				const args = argumentsFor(tool.parameters, profileId);
				for (const key of Object.keys(args)) if (/url/.test(key)) args[key] = photo;
				return { toolCall: { name: next, arguments: args } };
			}
			return { text: `Done: ${turn.toolResults.join(' ')}` };
		};
		stub.setPolicy(policy);

		const run = await execute(cases().agentTools.id);

		expect(run.data.resultData.error).toBeUndefined();
		expect(run.status).toBe('success');
		const calls = stub.modelCalls();
		expect(calls).toHaveLength(4);
		const offered = Object.fromEntries(
			calls[0].tools.map((tool) => [
				tool.name,
				Object.keys(tool.parameters.properties ?? {}).sort(),
			]),
		);
		if (TOOL_SETTINGS === 'defaults') {
			expect(offered).toEqual({
				Profile_Status: ['profile_id'],
				Edit_Photo: ['aspect_ratio', 'image_urls', 'number_of_images', 'profile_ids', 'prompt'],
				Enhance_Photo: ['image_url', 'number_of_images', 'profile_ids', 'prompt'],
			});
		}
		expect(calls[1].toolResults[0]).toContain('"status":"READY"');
		expect(sim.log.count('GET /profiles/:id/status')).toBe(1);

		const [edit] = sim.log.forRoute('POST /edit');
		const [enhance] = sim.log.forRoute('POST /enhance');
		expect(sim.log.count('POST /edit')).toBe(1);
		expect(sim.log.count('POST /enhance')).toBe(1);
		expect(JSON.stringify(edit.body)).toContain(photo);
		expect(JSON.stringify(enhance.body)).toContain(photo);
		// Each image came back to the model as a download URL.
		expect(firstUrl(calls[2].toolResults[1])).toMatch(/\/files\//);
		expect(firstUrl(calls[3].toolResults[2])).toMatch(/\/files\//);
	});
});

describe(`Agent ${NEWEST_AGENT} with Wait for Profile Ready as a tool`, () => {
	test('with no settings changed the model passes profile_ids and reads the outcome, a failed profile and a mistake alike', async () => {
		const calls = [profileId, 'prof_missing', ''];
		const policy: Policy = (turn) => {
			const next = turn.toolResults.length;
			if (next < calls.length) {
				return { toolCall: { name: 'Wait_For_Profile', arguments: { profile_ids: calls[next] } } };
			}
			return { text: `Done: ${turn.toolResults.join(' ')}` };
		};
		stub.setPolicy(policy);

		const run = await execute(cases().waitTool.id);

		expect(run.data.resultData.error).toBeUndefined();
		expect(run.status).toBe('success');
		const turns = stub.modelCalls();
		expect(turns).toHaveLength(4);
		const [tool] = turns[0].tools;
		expect(Object.keys(tool.parameters.properties ?? {})).toEqual(['profile_ids']);
		expect(tool.description).toMatch(/about 20 minutes/);
		const [ready, missing, mistake] = turns[3].toolResults;
		expect(ready).toContain('"status":"READY"');
		expect(ready).toContain('"ready":true');
		// A profile that cannot be used comes back as an outcome (the Failed output's item) ...
		expect(missing).toContain('"status":"NOT_FOUND"');
		expect(missing).toContain('"ready":false');
		// ... and a call the node refuses as an error the model can fix, nothing sent for it.
		expect(mistake).toMatch(/"error":".*Profiles/);
		expect(sim.log.forRoute('GET /profiles/:id/status').map((entry) => entry.path)).toEqual([
			expect.stringContaining(profileId),
			expect.stringContaining('prof_missing'),
		]);
	});
});

describe(`Agent ${NEWEST_AGENT}: a model that keeps calling Generate`, () => {
	test('the tool refuses the paid call past Max Paid Requests per Execution (5 by default), the model reads why and the agent answers', async () => {
		const refusals: string[] = [];
		const policy: Policy = (turn) => {
			const last = turn.toolResults.at(-1);
			if (last !== undefined && /Max Paid Requests per Execution/.test(last)) {
				refusals.push(last);
				return { text: `I have to stop here: ${last}` };
			}
			// Never satisfied: another one, as a runaway loop would.
			const generate = turn.tools.find((tool) => tool.name === 'Generate_Photo')!;
			return {
				toolCall: { name: generate.name, arguments: argumentsFor(generate.parameters, profileId) },
			};
		};
		stub.setPolicy(policy);

		const run = await execute(cases().keepsGenerating.id);

		expect(run.data.resultData.error).toBeUndefined();
		expect(run.status).toBe('success');
		// Five paid requests reached Phota; the sixth call was refused before anything was sent.
		expect(sim.log.count('POST /generate')).toBe(5);
		expect(stub.modelCalls()).toHaveLength(7);
		expect(refusals).toHaveLength(1);
		expect(refusals[0]).toContain(
			'Max Paid Requests per Execution is 5: this tool already sent 5 in this execution, and this call would send 1 more',
		);
		expect(agentOutput(run)).toContain('I have to stop here');
	});
});
