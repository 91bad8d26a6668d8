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
 *
 * Split by job: openaiTypes (what is recorded and decided), openaiRequests (reading either API),
 * openaiPolicy (what the model does), openaiAnswers (writing either API's answer).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { answerChat, answerResponses, sendJson } from './openaiAnswers';
import { defaultPolicy } from './openaiPolicy';
import type { Json } from './openaiRequests';
import { chatMessages, offeredTools, responsesMessages } from './openaiRequests';
import type { ModelAction, OpenAiStub, Policy, RecordedRequest, StubApi } from './openaiTypes';
import { STUB_MODEL } from './openaiTypes';

export type {
	JsonSchema,
	ModelAction,
	ModelTurn,
	OfferedTool,
	OpenAiStub,
	Policy,
	RecordedRequest,
	StubApi,
	StubMessage,
	StubToolCall,
} from './openaiTypes';
export { argumentsFor, defaultPolicy, firstProfileId, firstUrl } from './openaiPolicy';
export { STUB_MODEL } from './openaiTypes';

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
