import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';
import { Readable } from 'stream';

import { sleepUnlessCancelled } from '../helpers/sleep';

import type { FailureFacts, ResendSafety, RetryPolicy } from './retryPolicy';
import { parseJsonWithBase64Blobs } from './streamedJson';
import {
	DEFAULT_RETRY_POLICY,
	certainlyNotProcessed,
	mayResend,
	retryDelayMs,
} from './retryPolicy';

export const CREDENTIAL_TYPE = 'photaApi';
export const DEFAULT_BASE_URL = 'https://api.photalabs.com/v1/phota';

/** Phota allows sync requests to run for 600 s; give the socket a little more. */
const SYNC_REQUEST_TIMEOUT_MS = 610_000;
const READ_REQUEST_TIMEOUT_MS = 60_000;
const MAX_ERROR_BODY_BYTES = 64 * 1024;

type PhotaContext = IExecuteFunctions | ILoadOptionsFunctions;

export interface PhotaRequest {
	method: IHttpRequestMethods;
	/** Path below the base URL, e.g. `/profiles/ids`. */
	endpoint: string;
	body?: IDataObject;
	qs?: IDataObject;
	/**
	 * `arraybuffer` for binary responses (profile picture); `jsonWithBlobs` for JSON carrying large
	 * base64 images, which are decoded to Buffers while the response streams in.
	 */
	encoding?: 'json' | 'arraybuffer' | 'jsonWithBlobs';
	/** How a resend could affect billing; GET/DELETE default to idempotent, POST to paid. */
	safety?: ResendSafety;
	itemIndex?: number;
	retryPolicy?: RetryPolicy;
	/**
	 * A 404 on a resend, after an attempt that may have run, means that attempt did the work (a
	 * DELETE whose answer was lost): the 404 is returned as the response instead of thrown.
	 */
	notFoundOnResendMeansDone?: boolean;
}

export interface PhotaResponse<T> {
	body: T;
	statusCode: number;
	headers: Record<string, string>;
}

interface RawResponse {
	body: unknown;
	statusCode: number;
	headers: Record<string, string | string[] | undefined>;
}

/** Why a request failed, for callers with their own retry rules (the Wait node's poll loop). */
const failureByError = new WeakMap<object, FailureFacts>();

export function failureOf(error: unknown): FailureFacts | undefined {
	return error && typeof error === 'object' ? failureByError.get(error) : undefined;
}

/** The credential's base URL, read once per node run (reading a credential decrypts it). */
const baseUrlByContext = new WeakMap<object, Promise<string>>();

async function baseUrlOf(context: PhotaContext): Promise<string> {
	let baseUrl = baseUrlByContext.get(context);
	if (!baseUrl) {
		baseUrl = context
			.getCredentials<{ baseUrl?: string }>(CREDENTIAL_TYPE)
			.then((credentials) => (credentials.baseUrl || DEFAULT_BASE_URL).replace(/\/+$/, ''));
		baseUrlByContext.set(context, baseUrl);
		// A failed read (e.g. missing credential) is not remembered.
		baseUrl.catch(() => baseUrlByContext.delete(context));
	}
	return await baseUrl;
}

/** The one authenticated call to the Phota API. Retries transient failures per the retry policy. */
export async function photaApiRequest<T = IDataObject>(
	this: PhotaContext,
	request: PhotaRequest,
): Promise<PhotaResponse<T>> {
	const baseURL = await baseUrlOf(this);
	const options: IHttpRequestOptions = {
		method: request.method,
		baseURL,
		url: request.endpoint,
		qs: request.qs,
		body: request.body,
		json: request.encoding === undefined || request.encoding === 'json',
		encoding: request.encoding === 'jsonWithBlobs' ? 'stream' : (request.encoding ?? 'json'),
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		timeout:
			request.retryPolicy?.attemptTimeoutMs ??
			(request.method === 'POST' ? SYNC_REQUEST_TIMEOUT_MS : READ_REQUEST_TIMEOUT_MS),
	};
	const safety = request.safety ?? (request.method === 'POST' ? 'paid' : 'idempotent');

	return (await withRetries.call(this, request, safety, async () => {
		const raw = (await this.helpers.httpRequestWithAuthentication.call(
			this,
			CREDENTIAL_TYPE,
			options,
		)) as RawResponse;
		if (request.encoding === 'jsonWithBlobs') {
			raw.body =
				raw.statusCode < 400
					? await parseJsonWithBase64Blobs(raw.body as Readable)
					: await readErrorBody(raw.body);
		}
		return raw;
	})) as PhotaResponse<T>;
}

/**
 * Downloads a signed URL that Phota returned (an output image) as a stream, so n8n's binary data
 * store can write it to disk without holding the whole file in memory. These URLs carry their own
 * signature, so the API key is deliberately not sent with them.
 */
export async function downloadSignedUrl(
	this: IExecuteFunctions,
	url: string,
	itemIndex: number,
	retryPolicy?: RetryPolicy,
): Promise<PhotaResponse<Readable>> {
	const request: PhotaRequest = { method: 'GET', endpoint: url, itemIndex, retryPolicy };
	return (await withRetries.call(this, request, 'idempotent', async () => {
		const raw = (await this.helpers.httpRequest({
			method: 'GET',
			url,
			encoding: 'stream',
			json: false,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: retryPolicy?.attemptTimeoutMs ?? READ_REQUEST_TIMEOUT_MS,
		})) as RawResponse;
		// An error answer is small: read it so the error can quote it.
		if (raw.statusCode >= 400) raw.body = await readErrorBody(raw.body);
		return raw;
	})) as PhotaResponse<Readable>;
}

async function readErrorBody(body: unknown): Promise<unknown> {
	if (!(body instanceof Readable)) return body;
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of body) {
		const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
		if (size < MAX_ERROR_BODY_BYTES) chunks.push(buffer);
		size += buffer.length;
	}
	return Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY_BYTES);
}

async function withRetries<T>(
	this: PhotaContext,
	request: PhotaRequest,
	safety: ResendSafety,
	send: () => Promise<RawResponse>,
): Promise<PhotaResponse<T>> {
	const policy = request.retryPolicy ?? DEFAULT_RETRY_POLICY;
	const cancelSignal =
		'getExecutionCancelSignal' in this ? this.getExecutionCancelSignal() : undefined;

	// Whether an earlier attempt may have reached Phota and run before its answer was lost.
	let earlierAttemptMayHaveRun = false;
	for (let attempt = 0; ; attempt++) {
		let failure: FailureFacts;
		let apiError: NodeApiError;
		try {
			const raw = await send();
			const headers = normaliseHeaders(raw.headers);
			const doneByEarlierAttempt =
				earlierAttemptMayHaveRun &&
				raw.statusCode === 404 &&
				request.notFoundOnResendMeansDone === true;
			if (raw.statusCode < 400 || doneByEarlierAttempt) {
				return { body: raw.body as T, statusCode: raw.statusCode, headers };
			}
			failure = { status: raw.statusCode, retryAfterHeader: headers['retry-after'] };
			apiError = photaHttpError.call(this, raw.statusCode, decodeBody(raw.body), headers, request);
		} catch (error) {
			if (cancelSignal?.aborted) throw error;
			failure = { code: networkErrorCode(error) };
			apiError = photaNetworkError.call(this, error, failure.code, request);
		}

		earlierAttemptMayHaveRun ||= !certainlyNotProcessed(failure);
		if (attempt >= policy.maxRetries || !mayResend(failure, safety)) {
			failureByError.set(apiError, failure);
			throw apiError;
		}
		await sleepUnlessCancelled(retryDelayMs(attempt + 1, failure, policy), cancelSignal);
	}
}

/** Phota's own words for a failed request: `detail` (string or validation list), `code`, `request_id`. */
function photaHttpError(
	this: PhotaContext,
	status: number,
	body: unknown,
	headers: Record<string, string>,
	request: PhotaRequest,
): NodeApiError {
	const payload = (body && typeof body === 'object' ? body : {}) as IDataObject;
	const detail = describeDetail(
		payload.detail ?? payload.message ?? (typeof body === 'string' ? body : undefined),
	);
	const code = typeof payload.code === 'string' ? payload.code : undefined;
	const requestId = (payload.request_id as string | undefined) ?? headers['x-request-id'];

	const message = `Phota ${statusSummary(status)}${detail ? `: ${detail}` : ''}`;
	const notes = [
		code ? `Phota error code: ${code}.` : undefined,
		hintForStatus(status, request),
		requestId ? `Request ID: ${requestId} (quote it to Phota support).` : undefined,
	].filter(Boolean);

	return new NodeApiError(
		this.getNode(),
		{
			status,
			code: code ?? null,
			detail: detail ?? null,
			request_id: requestId ?? null,
		} as JsonObject,
		{
			message,
			description: notes.join(' '),
			httpCode: String(status),
			itemIndex: request.itemIndex,
		},
	);
}

function photaNetworkError(
	this: PhotaContext,
	error: unknown,
	code: string | undefined,
	request: PhotaRequest,
): NodeApiError {
	const reason = code ?? (error instanceof Error ? error.message : 'unknown network error');
	const howToRetry =
		request.safety === 'deduplicated'
			? 'It was resent with the same client_request_id as far as the retry limit allowed.'
			: 'Check your Phota account before running it again, or use async mode so a resend is deduplicated.';
	// In words: n8n swaps a message containing a socket error code for a generic text.
	const message = `Could not reach Phota: ${NETWORK_FAILURES[code ?? ''] ?? 'the connection failed'}`;
	return new NodeApiError(
		this.getNode(),
		// Not under "code": NodeApiError would replace our message with its generic one for that code.
		{ network_error_code: code ?? null, message: reason } as JsonObject,
		{
			message,
			description:
				request.method === 'POST'
					? `${reason}: the connection failed before Phota answered, so the request may or may not have been processed. ${howToRetry}`
					: `${reason}: the connection failed before Phota answered. Check the Base URL in the Phota credential and your network or proxy.`,
			itemIndex: request.itemIndex,
		},
	);
}

const NETWORK_FAILURES: Record<string, string> = {
	ECONNRESET: 'the connection was reset',
	ECONNREFUSED: 'the connection was refused',
	ETIMEDOUT: 'the request timed out',
	ECONNABORTED: 'the request timed out',
	ENOTFOUND: 'the host name was not found',
	EAI_AGAIN: 'the host name could not be resolved',
	EPIPE: 'the connection was closed',
};

function statusSummary(status: number): string {
	const summaries: Record<number, string> = {
		400: 'rejected the request (400)',
		401: 'rejected the API key (401)',
		402: 'reports insufficient credit (402)',
		403: 'received no API key (403)',
		404: 'could not find the resource (404)',
		422: 'found invalid fields in the request (422)',
		429: 'is rate limiting requests (429)',
		500: 'had an internal error (500)',
		502: 'returned a gateway error (502)',
		503: 'is temporarily unavailable (503)',
		504: 'timed out processing the request (504)',
	};
	return summaries[status] ?? `answered with HTTP ${status}`;
}

function hintForStatus(status: number, request: PhotaRequest): string | undefined {
	switch (status) {
		case 401:
		case 403:
			return 'Check the API key in the Phota credential.';
		case 402:
			return 'Top up your prepaid balance at platform.photalabs.com.';
		case 404:
			if (request.endpoint.startsWith('/profiles/')) {
				return 'Check the profile ID; deleted profiles are gone for good.';
			}
			if (request.body?.profile_ids || String(request.body?.prompt ?? '').includes('[[')) {
				return 'A profile named in this request may still be training, have failed, or have been deleted. Check it with Profile → Get Status, or put a "Wait for Profile Ready" node before this one.';
			}
			return undefined;
		case 500:
		case 502:
			return request.method === 'POST' && request.safety !== 'deduplicated'
				? 'Phota may or may not have processed this request before the failure, so it was not sent again. Check your profiles or balance before running it again, or use async mode so a resend is deduplicated.'
				: undefined;
		case 504:
			return 'Phota refunded this request. For long jobs turn on the Async option and fetch the result with Job → Get.';
		case 429:
		case 503:
			return 'Lower the Parallel Requests option or try again later.';
		default:
			return undefined;
	}
}

function describeDetail(detail: unknown): string | undefined {
	if (detail === undefined || detail === null || detail === '') return undefined;
	if (typeof detail === 'string') return detail;
	if (Array.isArray(detail)) {
		// FastAPI validation errors: [{ loc: ['body', 'field'], msg: '...' }]
		return detail
			.map((entry) => {
				const issue = entry as { loc?: unknown[]; msg?: string };
				const field = Array.isArray(issue.loc)
					? issue.loc.filter((part) => part !== 'body').join('.')
					: '';
				return field ? `${field}: ${issue.msg ?? 'invalid'}` : (issue.msg ?? JSON.stringify(entry));
			})
			.join('; ');
	}
	return JSON.stringify(detail);
}

function decodeBody(body: unknown): unknown {
	if (Buffer.isBuffer(body) || body instanceof ArrayBuffer) {
		const text = toBuffer(body).toString('utf8');
		try {
			return JSON.parse(text) as unknown;
		} catch {
			return text;
		}
	}
	return body;
}

function toBuffer(body: unknown): Buffer {
	if (Buffer.isBuffer(body)) return body;
	if (body instanceof ArrayBuffer) return Buffer.from(body);
	if (typeof body === 'string') return Buffer.from(body, 'binary');
	return Buffer.from(JSON.stringify(body ?? ''));
}

function normaliseHeaders(headers: RawResponse['headers']): Record<string, string> {
	const normalised: Record<string, string> = {};
	for (const [name, value] of Object.entries(headers ?? {})) {
		if (value !== undefined)
			normalised[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
	}
	return normalised;
}

/** n8n wraps network failures in NodeApiError; the socket error code sits on the wrapped error. */
function networkErrorCode(error: unknown): string | undefined {
	const pending: unknown[] = [error];
	for (let visited = 0; pending.length && visited < 10; visited++) {
		const current = pending.shift();
		if (!current || typeof current !== 'object') continue;
		const candidate = current as {
			code?: unknown;
			httpCode?: unknown;
			cause?: unknown;
			errorResponse?: unknown;
			reason?: unknown;
		};
		// NodeApiError keeps a socket error's code in httpCode (e.g. "ECONNRESET").
		for (const code of [candidate.code, candidate.httpCode]) {
			if (typeof code === 'string' && /^(E[A-Z_]+|UND_ERR\w*|ERR_\w+)$/.test(code)) return code;
		}
		pending.push(candidate.cause, candidate.errorResponse, candidate.reason);
	}
	return undefined;
}
