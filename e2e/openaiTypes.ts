/** What the OpenAI stub (openaiStub.ts) records and what its policies see and decide. */

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

/** The model the stub says it is. */
export const STUB_MODEL = 'gpt-4o-mini';
