/**
 * A local stand-in for OpenAI, for n8n's OpenAI Chat Model node in the end-to-end tests: Node
 * built-ins only, on 127.0.0.1 and a free port. It serves what n8n 2.8.4's @langchain/openai 1.1.3
 * (openai SDK 6) sends and reads:
 *
 * - `POST /v1/chat/completions` (OpenAI Chat Model 1.0–1.2, and 1.3 with "Use Responses API" off):
 *   a `chat.completion`, or with `stream: true` `chat.completion.chunk` SSE lines ending in
 *   `data: [DONE]`, plus a usage chunk when `stream_options.include_usage` is set.
 * - `POST /v1/responses` (OpenAI Chat Model 1.3 with "Use Responses API" on, its default): a
 *   `response` object, or with `stream: true` the SSE events langchain turns into chunks:
 *   response.created, response.in_progress, response.output_item.added, response.content_part.added,
 *   response.output_text.delta/.done, response.content_part.done, response.function_call_arguments
 *   .delta/.done, response.output_item.done and response.completed (whose `response.output` langchain
 *   keeps and sends back as input on the next turn).
 * - `GET /v1/models` (the editor's model list).
 *
 * What the model "does" is decided per request by a policy: it gets the conversation (normalised
 * from either API) and the tools offered, and returns a tool call or a final text. Every request
 * is recorded with the tools the model saw, the tool results it had received, and what it answered.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The part of a JSON schema the default policy reads. */
export interface JsonSchema {
	type?: string | string[];
	description?: string;
	enum?: unknown[];
	properties?: Record<string, JsonSchema>;
	required?: string[];
	items?: JsonSchema;
	minimum?: number;
	[key: string]: unknown;
}

/** A function tool as offered to the model, the same for both APIs. */
export interface OfferedTool {
	name: string;
	description: string;
	parameters: JsonSchema;
	strict?: boolean | null;
}

export interface StubToolCall {
	id: string;
	name: string;
	/** The arguments as the model sent them (a JSON string). */
	arguments: string;
}

/** One message of the conversation, from either API. */
export interface StubMessage {
	role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
	content: string;
	/** assistant: the tools it called. */
	toolCalls?: StubToolCall[];
	/** tool: which call this is the result of. */
	toolCallId?: string;
}

export type StubApi = 'chat.completions' | 'responses';

/** What the policy is asked about: one model call. */
export interface ModelTurn {
	api: StubApi;
	stream: boolean;
	model: string;
	messages: StubMessage[];
	tools: OfferedTool[];
	/** Content of every tool message so far, in order. */
	toolResults: string[];
	/** 0 for the first model call since the stub was started or reset, and so on. */
	index: number;
}

/** What the model answers: call one tool (arguments as an object or a raw JSON string), or a text. */
export type ModelAction =
	| { toolCall: { name: string; arguments: Record<string, unknown> | string } }
	| { text: string };

export type Policy = (turn: ModelTurn) => ModelAction;

export interface RecordedRequest {
	seq: number;
	method: string;
	path: string;
	/** Whether `Authorization: Bearer <apiKey>` came (the key itself is not stored). */
	authorized: boolean;
	api?: StubApi;
	stream?: boolean;
	includeUsage?: boolean;
	/** The request body as sent. */
	body: Record<string, unknown>;
	/** The tools as sent (`body.tools`), then normalised. */
	rawTools: unknown[];
	tools: OfferedTool[];
	messages: StubMessage[];
	toolResults: string[];
	action?: ModelAction;
	status: number;
}

export interface OpenAiStub {
	/** e.g. http://127.0.0.1:40123/v1, the OpenAI credential's Base URL. */
	baseUrl: string;
	/** Requests since the start or the last reset. */
	requests: RecordedRequest[];
	/** Every request since the start (reset keeps them). */
	history: RecordedRequest[];
	/** Model calls only (chat completions and responses). */
	modelCalls(): RecordedRequest[];
	setPolicy(policy: Policy): void;
	/** Clears the record and puts the default policy back. */
	reset(): void;
	close(): Promise<void>;
}

export const STUB_MODEL = 'gpt-4o-mini';

/** The first http(s) URL in a text (JSON-escaped slashes allowed), or undefined. */
export function firstUrl(text: string): string | undefined {
	return text
		.replace(/\\\//g, '/')
		.match(/https?:\/\/[^"\\\s<>)\]]+/)?.[0]
		?.replace(/[.,;]+$/, '');
}

/** The first Phota profile id (prof_…) in a text, except the examples' placeholder. */
export function firstProfileId(text: string): string | undefined {
	return [...text.matchAll(/prof_[A-Za-z0-9_-]+/g)]
		.map((match) => match[0])
		.find((id) => id !== 'prof_replace_me');
}

/** A value for one argument, from its name and schema. */
function valueFor(name: string, schema: JsonSchema, profileId: string): unknown {
	if (schema.enum?.length) return schema.enum[0];
	// As a model reads "…, one of auto, 1:1, 3:4" in the argument's description.
	const choices = /\bone of ([^.;]+)/.exec(schema.description ?? '')?.[1];
	if (choices) return choices.split(',')[0].trim();
	const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
	if (type === 'number' || type === 'integer') return schema.minimum ?? 1;
	if (type === 'boolean') return false;
	if (type === 'array') return [valueFor(name, schema.items ?? { type: 'string' }, profileId)];
	if (type === 'object') return argumentsFor(schema, profileId);
	if (/prompt/i.test(name)) return `Studio headshot of [[${profileId}]], grey backdrop`;
	if (/profile/i.test(name)) return profileId;
	if (/url/i.test(name)) return 'https://example.org/photo.jpg';
	return `value for ${name}`;
}

/**
 * Arguments for a tool, built from its JSON schema: a `prompt` names the profile as
 * [[<profile id>]], a `profile…` argument is the profile id, numbers are their minimum or 1,
 * enums their first value.
 */
export function argumentsFor(schema: JsonSchema, profileId: string): Record<string, unknown> {
	return Object.fromEntries(
		Object.entries(schema.properties ?? {}).map(([name, property]) => [
			name,
			valueFor(name, property, profileId),
		]),
	);
}

/**
 * The default model: with no tool result yet, call the first tool offered with arguments from
 * its schema (the profile id is `options.profileId`, or the first prof_… in the conversation);
 * after a tool result, answer with the first URL in it.
 */
export function defaultPolicy(options: { profileId?: string } = {}): Policy {
	return (turn) => {
		const last = turn.toolResults.at(-1);
		if (last !== undefined) {
			const url = firstUrl(last);
			return { text: url ? `Here is your image: ${url}` : `The tool returned no URL: ${last}` };
		}
		const tool = turn.tools[0];
		if (!tool) return { text: 'I have no tools to call.' };
		const profileId =
			options.profileId ??
			firstProfileId(turn.messages.map((message) => message.content).join('\n')) ??
			'prof_unknown';
		return { toolCall: { name: tool.name, arguments: argumentsFor(tool.parameters, profileId) } };
	};
}

/** Text of a content field: a string, or an array of parts with `text` (or `output`). */
function textOf(content: unknown): string {
	if (typeof content === 'string') return content;
	if (Array.isArray(content))
		return content
			.map((part) =>
				typeof part === 'string'
					? part
					: typeof (part as { text?: unknown })?.text === 'string'
						? (part as { text: string }).text
						: JSON.stringify(part),
			)
			.join('');
	return content === undefined || content === null ? '' : JSON.stringify(content);
}

type Json = Record<string, unknown>;

function chatMessages(body: Json): StubMessage[] {
	return ((body.messages as Json[] | undefined) ?? []).map((message) => ({
		role: message.role as StubMessage['role'],
		content: textOf(message.content),
		...(Array.isArray(message.tool_calls)
			? {
					toolCalls: (message.tool_calls as Json[]).map((call) => ({
						id: String(call.id),
						name: String((call.function as Json).name),
						arguments: String((call.function as Json).arguments),
					})),
				}
			: {}),
		...(message.tool_call_id ? { toolCallId: String(message.tool_call_id) } : {}),
	}));
}

function responsesMessages(body: Json): StubMessage[] {
	const messages: StubMessage[] = [];
	if (typeof body.instructions === 'string')
		messages.push({ role: 'system', content: body.instructions });
	const input =
		typeof body.input === 'string'
			? [{ type: 'message', role: 'user', content: body.input }]
			: ((body.input as Json[] | undefined) ?? []);
	for (const item of input) {
		const type = item.type ?? 'message';
		if (type === 'message') {
			messages.push({ role: item.role as StubMessage['role'], content: textOf(item.content) });
		} else if (type === 'function_call') {
			const call = {
				id: String(item.call_id),
				name: String(item.name),
				arguments: String(item.arguments),
			};
			const previous = messages.at(-1);
			// One assistant turn may hold a text and several calls: keep them in one message.
			if (previous?.role === 'assistant' && !previous.toolCallId)
				previous.toolCalls = [...(previous.toolCalls ?? []), call];
			else messages.push({ role: 'assistant', content: '', toolCalls: [call] });
		} else if (type === 'function_call_output') {
			messages.push({
				role: 'tool',
				content: textOf(item.output),
				toolCallId: String(item.call_id),
			});
		}
	}
	return messages;
}

function offeredTools(api: StubApi, rawTools: unknown[]): OfferedTool[] {
	return (rawTools as Json[])
		.filter((tool) => tool.type === 'function')
		.map((tool) => {
			const fn = (api === 'chat.completions' ? tool.function : tool) as Json;
			return {
				name: String(fn.name),
				description: String(fn.description ?? ''),
				parameters: (fn.parameters as JsonSchema | undefined) ?? {},
				strict: (fn.strict as boolean | null | undefined) ?? null,
			};
		});
}

const USAGE = { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 };

/** Splits a string into up to `parts` pieces (streams send text and arguments in deltas). */
function pieces(text: string, parts = 3): string[] {
	const size = Math.max(1, Math.ceil(text.length / parts));
	const result: string[] = [];
	for (let start = 0; start < text.length; start += size)
		result.push(text.slice(start, start + size));
	return result.length ? result : [''];
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
	res.writeHead(status, { 'content-type': 'application/json' });
	res.end(JSON.stringify(body));
}

function startSse(res: ServerResponse) {
	res.writeHead(200, {
		'content-type': 'text/event-stream',
		'cache-control': 'no-cache',
		connection: 'keep-alive',
	});
}

function answerChat(
	res: ServerResponse,
	body: Json,
	action: ModelAction,
	ids: { response: string; call: string },
) {
	const base = {
		id: `chatcmpl-${ids.response}`,
		created: Math.floor(Date.now() / 1000),
		model: String(body.model ?? STUB_MODEL),
		system_fingerprint: 'fp_stub',
	};
	const call =
		'toolCall' in action
			? {
					id: ids.call,
					type: 'function',
					function: {
						name: action.toolCall.name,
						arguments:
							typeof action.toolCall.arguments === 'string'
								? action.toolCall.arguments
								: JSON.stringify(action.toolCall.arguments),
					},
				}
			: undefined;
	const finish = call ? 'tool_calls' : 'stop';
	if (!body.stream) {
		const message = call
			? { role: 'assistant', content: null, tool_calls: [call], refusal: null }
			: { role: 'assistant', content: (action as { text: string }).text, refusal: null };
		return sendJson(res, 200, {
			...base,
			object: 'chat.completion',
			choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
			usage: USAGE,
		});
	}
	startSse(res);
	const chunk = (delta: Json, finishReason: string | null = null) =>
		res.write(
			`data: ${JSON.stringify({
				...base,
				object: 'chat.completion.chunk',
				choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
			})}\n\n`,
		);
	if (call) {
		chunk({ role: 'assistant', content: null });
		chunk({
			tool_calls: [
				{
					index: 0,
					id: call.id,
					type: 'function',
					function: { name: call.function.name, arguments: '' },
				},
			],
		});
		for (const piece of pieces(call.function.arguments))
			chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] });
	} else {
		chunk({ role: 'assistant', content: '' });
		for (const piece of pieces((action as { text: string }).text)) chunk({ content: piece });
	}
	chunk({}, finish);
	if ((body.stream_options as Json | undefined)?.include_usage)
		res.write(
			`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage: USAGE })}\n\n`,
		);
	res.end('data: [DONE]\n\n');
}

function answerResponses(
	res: ServerResponse,
	body: Json,
	action: ModelAction,
	ids: { response: string; call: string },
) {
	const responseId = `resp_${ids.response}`;
	const item: Json =
		'toolCall' in action
			? {
					type: 'function_call',
					id: `fc_${ids.response}`,
					call_id: ids.call,
					name: action.toolCall.name,
					arguments:
						typeof action.toolCall.arguments === 'string'
							? action.toolCall.arguments
							: JSON.stringify(action.toolCall.arguments),
					status: 'completed',
				}
			: {
					type: 'message',
					id: `msg_${ids.response}`,
					status: 'completed',
					role: 'assistant',
					content: [{ type: 'output_text', text: action.text, annotations: [], logprobs: [] }],
				};
	const response = (status: string, output: Json[]) => ({
		id: responseId,
		object: 'response',
		created_at: Math.floor(Date.now() / 1000),
		status,
		error: null,
		incomplete_details: null,
		instructions: null,
		max_output_tokens: null,
		model: String(body.model ?? STUB_MODEL),
		output,
		parallel_tool_calls: true,
		previous_response_id: null,
		reasoning: { effort: null, summary: null },
		store: true,
		temperature: 1,
		text: { format: { type: 'text' } },
		tool_choice: 'auto',
		tools: body.tools ?? [],
		top_p: 1,
		truncation: 'disabled',
		usage:
			status === 'completed'
				? {
						input_tokens: USAGE.prompt_tokens,
						input_tokens_details: { cached_tokens: 0 },
						output_tokens: USAGE.completion_tokens,
						output_tokens_details: { reasoning_tokens: 0 },
						total_tokens: USAGE.total_tokens,
					}
				: null,
		user: null,
		metadata: {},
	});
	if (!body.stream) {
		const done = response('completed', [item]);
		return sendJson(res, 200, {
			...done,
			output_text: item.type === 'message' ? (action as { text: string }).text : '',
		});
	}
	startSse(res);
	let sequence = 0;
	const event = (type: string, data: Json) =>
		res.write(
			`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`,
		);
	event('response.created', { response: response('in_progress', []) });
	event('response.in_progress', { response: response('in_progress', []) });
	const place = { output_index: 0, item_id: item.id };
	if (item.type === 'function_call') {
		event('response.output_item.added', {
			output_index: 0,
			item: { ...item, arguments: '', status: 'in_progress' },
		});
		for (const delta of pieces(String(item.arguments)))
			event('response.function_call_arguments.delta', { ...place, delta });
		event('response.function_call_arguments.done', { ...place, arguments: item.arguments });
	} else {
		const text = (action as { text: string }).text;
		const part = { type: 'output_text', text: '', annotations: [], logprobs: [] };
		event('response.output_item.added', {
			output_index: 0,
			item: { ...item, status: 'in_progress', content: [] },
		});
		event('response.content_part.added', { ...place, content_index: 0, part });
		for (const delta of pieces(text))
			event('response.output_text.delta', { ...place, content_index: 0, delta, logprobs: [] });
		event('response.output_text.done', { ...place, content_index: 0, text, logprobs: [] });
		event('response.content_part.done', { ...place, content_index: 0, part: { ...part, text } });
	}
	event('response.output_item.done', { output_index: 0, item });
	event('response.completed', { response: response('completed', [item]) });
	res.end();
}

async function readBody(req: IncomingMessage): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString('utf8');
}

/**
 * Starts the stub. `apiKey`: the key n8n's OpenAI credential holds; a request without
 * `Authorization: Bearer <apiKey>` gets OpenAI's 401.
 */
export async function startOpenAiStub(
	options: { apiKey?: string; policy?: Policy } = {},
): Promise<OpenAiStub> {
	const requests: RecordedRequest[] = [];
	const history: RecordedRequest[] = [];
	let policy = options.policy ?? defaultPolicy();
	let modelCallIndex = 0;

	const handle = async (req: IncomingMessage, res: ServerResponse) => {
		const raw = await readBody(req);
		let body: Json = {};
		try {
			body = raw ? (JSON.parse(raw) as Json) : {};
		} catch {
			// recorded as an empty body, answered below
		}
		const path = (req.url ?? '/').split('?')[0];
		const authorized =
			options.apiKey === undefined || req.headers.authorization === `Bearer ${options.apiKey}`;
		const record: RecordedRequest = {
			seq: history.length + 1,
			method: req.method ?? '',
			path,
			authorized,
			body,
			rawTools: [],
			tools: [],
			messages: [],
			toolResults: [],
			status: 0,
		};
		requests.push(record);
		history.push(record);
		const fail = (status: number, message: string, type: string) => {
			record.status = status;
			sendJson(res, status, { error: { message, type, param: null, code: null } });
		};
		if (!authorized)
			return fail(401, 'Incorrect API key provided (stub).', 'invalid_request_error');

		if (req.method === 'GET' && /\/models\/?$/.test(path)) {
			record.status = 200;
			return sendJson(res, 200, {
				object: 'list',
				data: [{ id: STUB_MODEL, object: 'model', created: 1700000000, owned_by: 'stub' }],
			});
		}
		const api: StubApi | undefined =
			req.method === 'POST' && path.endsWith('/chat/completions')
				? 'chat.completions'
				: req.method === 'POST' && path.endsWith('/responses')
					? 'responses'
					: undefined;
		if (!api) return fail(404, `stub: no route ${req.method} ${path}`, 'invalid_request_error');
		if (raw && Object.keys(body).length === 0)
			return fail(400, 'stub: the body is not JSON', 'invalid_request_error');

		record.api = api;
		record.stream = body.stream === true;
		record.includeUsage = (body.stream_options as Json | undefined)?.include_usage === true;
		record.rawTools = (body.tools as unknown[] | undefined) ?? [];
		record.tools = offeredTools(api, record.rawTools);
		record.messages = api === 'chat.completions' ? chatMessages(body) : responsesMessages(body);
		record.toolResults = record.messages
			.filter((message) => message.role === 'tool')
			.map((message) => message.content);
		const index = modelCallIndex++;
		let action: ModelAction;
		try {
			action = policy({
				api,
				stream: record.stream,
				model: String(body.model ?? ''),
				messages: record.messages,
				tools: record.tools,
				toolResults: record.toolResults,
				index,
			});
		} catch (error) {
			return fail(500, `stub policy failed: ${(error as Error).message}`, 'server_error');
		}
		record.action = action;
		record.status = 200;
		const ids = { response: `stub${record.seq}`, call: `call_stub${record.seq}` };
		if (api === 'chat.completions') answerChat(res, body, action, ids);
		else answerResponses(res, body, action, ids);
	};

	const server: Server = createServer((req, res) => {
		handle(req, res).catch((error: Error) => {
			if (!res.headersSent) sendJson(res, 500, { error: { message: error.message } });
			else res.end();
		});
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	const { port } = server.address() as AddressInfo;

	return {
		baseUrl: `http://127.0.0.1:${port}/v1`,
		requests,
		history,
		modelCalls: () => requests.filter((request) => request.api !== undefined),
		setPolicy(next) {
			policy = next;
		},
		reset() {
			requests.length = 0;
			modelCallIndex = 0;
			policy = options.policy ?? defaultPolicy();
		},
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}
