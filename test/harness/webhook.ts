/**
 * A webhook node's `webhook()` called the way n8n 2.8's webhook server calls it for a production
 * URL (n8n's webhook-helpers.js `executeWebhook` and webhook.service.js `runWebhook`): n8n-core's
 * own WebhookContext, with the HTTP request and response in the additional data, no execution id
 * yet (binaries land in n8n's binary store as they do before an execution exists), the body parsed
 * by the rules of n8n's body parser, and n8n's answer when the node leaves answering to n8n.
 *
 * The request is an object with what n8n's Express request carries for a node (rawBody, body,
 * headers, contentType); the response records the status and body it is given, and when.
 */
import './n8nEnv';

import { WebhookContext } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	INode,
	IWebhookData,
	IWebhookResponseData,
} from 'n8n-workflow';
import { Workflow } from 'n8n-workflow';

import type { HarnessCredentialsHelper } from './credentialsHelper';
import { recordArtifact, recordKeys } from './leakCheck';
import type { LoadedTypes } from './n8nRuntime';
import { additionalDataWith } from './n8nRuntime';

export interface WebhookRequest {
	/** The bytes as they arrived; n8n keeps them as `req.rawBody`. */
	rawBody: Buffer;
	/** Lower-case names, as Node hands them over. */
	headers?: Record<string, string>;
}

export interface HttpAnswer {
	status: number;
	body: unknown;
	/** Date.now() when it was sent. */
	sentAt: number;
}

export interface WebhookCall {
	/** What the caller received: the node's own answer, or n8n's when the node left it to n8n. */
	answer: HttpAnswer;
	answeredBy: 'node' | 'n8n';
	/** What `webhook()` returned; with `workflowData`, n8n starts an execution with it. */
	result?: IWebhookResponseData;
	/** What `webhook()` threw: n8n then answers 500 and starts an execution that failed. */
	thrown?: unknown;
	/** Date.now() when `webhook()` returned. */
	returnedAt: number;
	/** Whether n8n would start an execution (with `result.workflowData`, or failed). */
	startsExecution: boolean;
}

/** n8n's Express response, reduced to what nodes use; answering twice fails as Express does. */
class RecordingResponse {
	statusCode = 200;
	headersSent = false;
	answer?: HttpAnswer;
	private readonly headers: Record<string, string> = {};

	status(code: number): this {
		this.statusCode = code;
		return this;
	}

	setHeader(name: string, value: string): this {
		this.headers[name.toLowerCase()] = value;
		return this;
	}

	json(body: unknown): this {
		return this.send(body);
	}

	send(body: unknown): this {
		if (this.answer) throw new Error('Cannot set headers after they are sent to the client');
		this.answer = { status: this.statusCode, body, sentAt: Date.now() };
		this.headersSent = true;
		return this;
	}

	end(): this {
		if (!this.answer) this.send(undefined);
		return this;
	}
}

/**
 * n8n's body parser for a version-1 webhook node (middlewares/body-parser.js `parseBody`): JSON,
 * text and forms by their Content-Type. A body that claims JSON and is not gets n8n's 422 before
 * any node runs.
 */
function parseBody(
	rawBody: Buffer,
	contentType: string | undefined,
): { body: unknown } | undefined {
	const text = rawBody.toString('utf8');
	if (rawBody.length === 0) return { body: {} };
	if (contentType === 'application/json') {
		try {
			return { body: JSON.parse(text) };
		} catch {
			return undefined;
		}
	}
	if (contentType === 'text/plain') return { body: text };
	if (contentType === 'application/x-www-form-urlencoded') {
		return { body: Object.fromEntries(new URLSearchParams(text)) };
	}
	return { body: {} };
}

export async function callWebhook(
	types: LoadedTypes,
	credentialsHelper: HarnessCredentialsHelper,
	node: INode,
	request: WebhookRequest,
	credentials: Record<string, ICredentialDataDecryptedObject>,
	workflowId = 'webhook-harness',
): Promise<WebhookCall> {
	credentialsHelper.credentials = credentials;
	recordKeys(Object.values(credentials).flatMap((data) => [data.apiKey, data.secret]));
	const headers = request.headers ?? {};
	const contentType = headers['content-type']?.split(';')[0].trim().toLowerCase();
	const response = new RecordingResponse();
	const parsed = parseBody(request.rawBody, contentType);
	if (!parsed) {
		response.status(422).json({ code: 422, message: 'Failed to parse request body' });
		return record({
			answer: response.answer!,
			answeredBy: 'n8n',
			returnedAt: Date.now(),
			startsExecution: false,
		});
	}
	const httpRequest = {
		method: 'POST',
		headers,
		header: (name: string) => headers[name.toLowerCase()],
		contentType,
		encoding: 'utf-8',
		rawBody: request.rawBody,
		body: parsed.body,
		query: {},
		params: {},
		readRawBody: async () => {},
	};

	const workflow = new Workflow({
		id: workflowId,
		name: 'webhook harness',
		nodes: [node],
		connections: {},
		nodeTypes: types,
		active: true,
	});
	const nodeType = types.getByNameAndVersion(node.type, node.typeVersion);
	const description = nodeType.description.webhooks?.[0];
	if (!nodeType.webhook || !description) throw new Error(`${node.type} has no webhook`);
	const additionalData = additionalDataWith({
		credentialsHelper,
		// A production webhook runs before its execution exists: no id yet.
		executionId: undefined,
		httpRequest,
		httpResponse: response,
		webhookBaseUrl: 'https://n8n.example.org/webhook',
	});
	const webhookData: IWebhookData = {
		httpMethod: 'POST',
		node: node.name,
		path: String(description.path),
		webhookDescription: description,
		workflowId,
		workflowExecuteAdditionalData: additionalData,
	};
	const context = new WebhookContext(
		workflow,
		node,
		additionalData,
		'webhook',
		webhookData,
		[],
		null,
	);

	let result: IWebhookResponseData | undefined;
	let thrown: unknown;
	try {
		result = await nodeType.webhook.call(context);
	} catch (error) {
		thrown = error;
	}
	const returnedAt = Date.now();
	const answeredBy = response.answer ? 'node' : 'n8n';
	// n8n's own answer (executeWebhook) when the node did not answer and did not say it would.
	if (!response.answer && thrown !== undefined) {
		response.status(500).json({ code: 0, message: 'Error in workflow' });
	} else if (!response.answer && result?.noWebhookResponse !== true) {
		const body =
			result?.workflowData === undefined
				? (result?.webhookResponse ?? { message: 'Webhook call received' })
				: { message: 'Workflow was started' };
		response.status(200).json(body);
	}
	return record({
		answer: response.answer ?? { status: 0, body: undefined, sentAt: returnedAt },
		answeredBy,
		result,
		thrown,
		returnedAt,
		startsExecution: thrown !== undefined || result?.workflowData !== undefined,
	});
}

function record(call: WebhookCall): WebhookCall {
	recordArtifact('webhook call', call);
	return call;
}
