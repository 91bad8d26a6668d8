/** Reading a request of either OpenAI API into one form: the conversation and the tools offered. */
import type { JsonSchema, OfferedTool, StubApi, StubMessage } from './openaiTypes';

/** Text of a content field: a string, or an array of parts with `text` (or `output`). */
export function textOf(content: unknown): string {
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

export type Json = Record<string, unknown>;

export function chatMessages(body: Json): StubMessage[] {
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

export function responsesMessages(body: Json): StubMessage[] {
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

export function offeredTools(api: StubApi, rawTools: unknown[]): OfferedTool[] {
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
