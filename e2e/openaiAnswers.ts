/** Writing the model's action as either API answers it: JSON, or the SSE events of a stream. */
import type { ServerResponse } from 'node:http';

import type { Json } from './openaiRequests';
import type { ModelAction } from './openaiTypes';
import { STUB_MODEL } from './openaiTypes';

const USAGE = { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 };

/** Splits a string into up to `parts` pieces (streams send text and arguments in deltas). */
function pieces(text: string, parts = 3): string[] {
	const size = Math.max(1, Math.ceil(text.length / parts));
	const result: string[] = [];
	for (let start = 0; start < text.length; start += size)
		result.push(text.slice(start, start + size));
	return result.length ? result : [''];
}

export function sendJson(res: ServerResponse, status: number, body: unknown) {
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

export function answerChat(
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

export function answerResponses(
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
