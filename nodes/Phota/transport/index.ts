import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { sleepUnlessCancelled } from './sleep';

import type { BodyStream } from './attempt';
import { AttemptDeadline, discardBody, readAll, readHead } from './attempt';
import { checkedBaseUrl, originOf } from './baseUrl';
import type { PermitOutcome, RequestLimiter } from './limiter';
import { requestLimiterOf } from './limiter';
import type { RequestFacts } from './errors';
import {
	asNodeError,
	networkErrorCode,
	photaHttpError,
	photaNetworkError,
	redirectError,
	rememberFailure,
	unreadableAnswerError,
} from './errors';
import type { FailureFacts, ResendSafety, RetryPolicy } from './retryPolicy';
import {
	ANSWER_UNREADABLE,
	DEFAULT_RETRY_POLICY,
	certainlyNotProcessed,
	mayResend,
	parseRetryAfter,
	rateLimitDelayMs,
	retryDelayMs,
} from './retryPolicy';
import { parseJsonWithBase64Blobs } from './streamedJson';

export { asNodeError, failureOf } from './errors';
export { DEFAULT_BASE_URL } from './baseUrl';
export type { BodyStream } from './attempt';

export const CREDENTIAL_TYPE = 'photaApi';

/** Phota allows sync requests to run for 600 s; give each attempt a little more. */
const SYNC_REQUEST_TIMEOUT_MS = 610_000;
const READ_REQUEST_TIMEOUT_MS = 60_000;
/** A signed-URL download is one image (up to tens of MB for 4K). */
const DOWNLOAD_TIMEOUT_MS = 300_000;
const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** JSON answers other than images (profiles, jobs) are small; a runaway answer is cut here. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;
const MAX_PICTURE_BYTES = 64 * 1024 * 1024;
const MAX_SAME_ORIGIN_REDIRECTS = 5;

type PhotaContext = IExecuteFunctions | ILoadOptionsFunctions;

export interface PhotaRequest {
	method: IHttpRequestMethods;
	/** Path below the base URL, e.g. `/profiles/ids`. */
	endpoint: string;
	body?: IDataObject;
	qs?: IDataObject;
	/**
	 * `arraybuffer` for binary responses (profile picture, as a Buffer); `jsonWithBlobs` for JSON
	 * carrying base64 images, which are decoded to Buffers while the response streams in.
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

/** The outcome of one attempt that got an answer. */
interface Answer<T> {
	statusCode: number;
	headers: Record<string, string>;
	/** Set when the status is a success. */
	body?: T;
	/** Set when the status is an error: the first bytes of the answer, for the message. */
	errorBody?: Buffer;
	/** Set when the status is a success but the answer could not be read: why. */
	unreadable?: unknown;
	/** Set for a redirect that is not followed (another origin): where it pointed. */
	refusedRedirect?: { location?: string };
}

/** The credential's base URL, read once per node run (reading a credential decrypts it). */
const baseUrlByContext = new WeakMap<object, Promise<string>>();

async function baseUrlOf(context: PhotaContext, itemIndex?: number): Promise<string> {
	let baseUrl = baseUrlByContext.get(context);
	if (!baseUrl) {
		baseUrl = context
			.getCredentials<{ baseUrl?: string }>(CREDENTIAL_TYPE)
			.then((credentials) => checkedBaseUrl(credentials.baseUrl));
		baseUrlByContext.set(context, baseUrl);
		// A failed read (e.g. missing credential) is not remembered.
		baseUrl.catch(() => baseUrlByContext.delete(context));
	}
	try {
		return await baseUrl;
	} catch (error) {
		throw new NodeOperationError(context.getNode(), (error as Error).message, {
			itemIndex,
			description: 'Change the Base URL in the Phota credential.',
		});
	}
}

/**
 * The one authenticated call to the Phota API. Retries transient failures per the retry policy.
 * Redirects are followed only within the Base URL's origin: the API key never goes elsewhere.
 */
export async function photaApiRequest<T = IDataObject>(
	this: PhotaContext,
	request: PhotaRequest,
): Promise<PhotaResponse<T>> {
	const baseURL = await baseUrlOf(this, request.itemIndex);
	const origin = originOf(baseURL);
	const safety = request.safety ?? (request.method === 'POST' ? 'paid' : 'idempotent');
	const timeoutMs =
		request.retryPolicy?.attemptTimeoutMs ??
		(request.method === 'POST' ? SYNC_REQUEST_TIMEOUT_MS : READ_REQUEST_TIMEOUT_MS);

	const sendOnce = async (deadline: AttemptDeadline): Promise<Answer<T>> => {
		let url = request.endpoint;
		for (let hop = 0; ; hop++) {
			const raw = await deadline.race(
				this.helpers.httpRequestWithAuthentication.call(this, CREDENTIAL_TYPE, {
					method: request.method,
					baseURL,
					url,
					// A followed redirect's Location already carries the query.
					qs: hop === 0 ? request.qs : undefined,
					body: request.body,
					headers: { accept: request.encoding === 'arraybuffer' ? '*/*' : 'application/json' },
					encoding: 'stream',
					json: false,
					returnFullResponse: true,
					ignoreHttpStatusErrors: true,
					disableFollowRedirect: true,
					timeout: timeoutMs,
				} as IHttpRequestOptions) as Promise<RawResponse>,
			);
			deadline.watch(raw.body);
			const headers = normaliseHeaders(raw.headers);
			if (raw.statusCode >= 300 && raw.statusCode < 400) {
				discardBody(raw);
				const next = followableRedirect(raw.statusCode, headers.location, request, baseURL, url);
				if (next === undefined || next.origin !== origin || hop >= MAX_SAME_ORIGIN_REDIRECTS) {
					return {
						statusCode: raw.statusCode,
						headers,
						refusedRedirect: { location: headers.location },
					};
				}
				url = next.href;
				continue;
			}
			return await readAnswer<T>(raw, headers, request.encoding ?? 'json');
		}
	};
	return (await withRetries.call(
		this,
		request,
		safety,
		{ timeoutMs, limiter: requestLimiterOf(this) },
		sendOnce,
	)) as PhotaResponse<T>;
}

/**
 * Where a redirect within the API's own origin leads: any redirect of a read, and 307/308 (which
 * keep the method and body) of anything else. Undefined when it is not to be followed.
 */
function followableRedirect(
	status: number,
	location: string | undefined,
	request: PhotaRequest,
	baseURL: string,
	currentUrl: string,
): URL | undefined {
	if (!location) return undefined;
	const keepsMethod = status === 307 || status === 308;
	if (!keepsMethod && request.method !== 'GET') return undefined;
	try {
		const current = new URL(currentUrl.startsWith('/') ? baseURL + currentUrl : currentUrl);
		return new URL(location, current);
	} catch {
		return undefined;
	}
}

async function readAnswer<T>(
	raw: RawResponse,
	headers: Record<string, string>,
	encoding: NonNullable<PhotaRequest['encoding']>,
): Promise<Answer<T>> {
	if (raw.statusCode >= 400) {
		return {
			statusCode: raw.statusCode,
			headers,
			errorBody: await readHead(raw.body, MAX_ERROR_BODY_BYTES).catch(() => Buffer.alloc(0)),
		};
	}
	try {
		let body: unknown;
		if (encoding === 'arraybuffer') body = await readAll(raw.body, MAX_PICTURE_BYTES);
		else if (encoding === 'jsonWithBlobs') body = await parseJsonWithBase64Blobs(raw.body as never);
		else body = parseJsonText(await readAll(raw.body, MAX_JSON_BYTES));
		return { statusCode: raw.statusCode, headers, body: body as T };
	} catch (error) {
		return { statusCode: raw.statusCode, headers, unreadable: error };
	}
}

function parseJsonText(bytes: Buffer): unknown {
	const text = bytes.toString('utf8');
	// DELETE and other answers may come without a body.
	if (text.trim() === '') return {};
	const parsed = jsonOrUndefined(text);
	if (parsed === undefined) throw new Error(`the answer is not JSON: ${text.slice(0, 80)}`);
	return parsed.value;
}

function jsonOrUndefined(text: string): { value: unknown } | undefined {
	try {
		return { value: JSON.parse(text) as unknown };
	} catch {
		return undefined;
	}
}

/**
 * Downloads a signed URL that Phota returned (an output image) and hands the stream to `consume`
 * (n8n's binary data store), so the file is never held whole in memory. These URLs carry their own
 * signature, so the API key is deliberately not sent with them. Stop cancels a download, and the
 * attempt bound covers the whole transfer, which a failed attempt repeats.
 */
export async function downloadSignedUrl<R>(
	this: IExecuteFunctions,
	url: string,
	itemIndex: number,
	retryPolicy: RetryPolicy | undefined,
	consume: (body: BodyStream, headers: Record<string, string>) => Promise<R>,
): Promise<R> {
	const request: PhotaRequest = { method: 'GET', endpoint: url, itemIndex, retryPolicy };
	const timeoutMs = retryPolicy?.attemptTimeoutMs ?? DOWNLOAD_TIMEOUT_MS;
	const { body } = await withRetries.call(
		this,
		request,
		'idempotent',
		{ timeoutMs },
		async (deadline) => {
			const raw = await deadline.race(
				this.helpers.httpRequest({
					method: 'GET',
					url,
					encoding: 'stream',
					json: false,
					returnFullResponse: true,
					ignoreHttpStatusErrors: true,
					timeout: timeoutMs,
					abortSignal: this.getExecutionCancelSignal(),
				}) as Promise<RawResponse>,
			);
			deadline.watch(raw.body);
			const headers = normaliseHeaders(raw.headers);
			if (raw.statusCode >= 400) return await readAnswer<R>(raw, headers, 'json');
			try {
				const result = await deadline.race(consume(raw.body as BodyStream, headers));
				return { statusCode: raw.statusCode, headers, body: result };
			} catch (error) {
				return { statusCode: raw.statusCode, headers, unreadable: error };
			}
		},
	);
	return body as R;
}

function requestFacts(request: PhotaRequest, safety: ResendSafety): RequestFacts {
	return {
		method: request.method,
		endpoint: request.endpoint,
		body: request.body,
		deduplicated: safety === 'deduplicated',
		itemIndex: request.itemIndex,
	};
}

async function withRetries<T>(
	this: PhotaContext,
	request: PhotaRequest,
	safety: ResendSafety,
	bounds: { timeoutMs: number; limiter?: RequestLimiter },
	attempt: (deadline: AttemptDeadline) => Promise<Answer<T>>,
): Promise<PhotaResponse<T>> {
	const policy = request.retryPolicy ?? DEFAULT_RETRY_POLICY;
	const cancelSignal =
		'getExecutionCancelSignal' in this ? this.getExecutionCancelSignal() : undefined;
	const facts = requestFacts(request, safety);
	const node = this.getNode();

	// Whether an earlier attempt may have reached Phota and run before its answer was lost.
	let earlierAttemptMayHaveRun = false;
	// 429s are resent within a time budget; Max Retries counts the other transient failures.
	let retries = 0;
	let rateLimitedWaitMs = 0;
	let rateLimitedResends = 0;
	for (;;) {
		let failure: FailureFacts;
		let apiError: Error;
		const permit = await bounds.limiter?.acquire();
		let outcome: PermitOutcome = 'other';
		let rateLimitWaitMs: number | undefined;
		try {
			// The bound starts once the request may go out, not while it waits for a permit.
			const deadline = new AttemptDeadline(bounds.timeoutMs);
			let answer: Answer<T>;
			try {
				answer = await attempt(deadline);
			} finally {
				deadline.end();
			}
			outcome =
				answer.statusCode === 429 ? 'rateLimited' : answer.statusCode < 400 ? 'ok' : 'other';
			if (outcome === 'rateLimited')
				rateLimitWaitMs = parseRetryAfter(answer.headers['retry-after'], Date.now());
			const doneByEarlierAttempt =
				earlierAttemptMayHaveRun &&
				answer.statusCode === 404 &&
				request.notFoundOnResendMeansDone === true;
			if (answer.unreadable !== undefined) {
				if (cancelSignal?.aborted) throw asNodeError(node, answer.unreadable);
				failure = { code: ANSWER_UNREADABLE };
				apiError = unreadableAnswerError(node, answer.statusCode, answer.unreadable, facts);
			} else if (answer.refusedRedirect) {
				failure = { status: answer.statusCode };
				apiError = redirectError(node, answer.statusCode, answer.refusedRedirect.location, facts);
			} else if (answer.errorBody === undefined || doneByEarlierAttempt) {
				return {
					body: (answer.body ?? {}) as T,
					statusCode: answer.statusCode,
					headers: answer.headers,
				};
			} else {
				failure = { status: answer.statusCode, retryAfterHeader: answer.headers['retry-after'] };
				apiError = photaHttpError(node, answer.statusCode, answer.errorBody, answer.headers, facts);
			}
		} catch (error) {
			if (cancelSignal?.aborted) throw asNodeError(node, error);
			failure = { code: networkErrorCode(error) };
			apiError = photaNetworkError(node, error, failure.code, facts);
		} finally {
			permit?.release(outcome, rateLimitWaitMs);
		}

		earlierAttemptMayHaveRun ||= !certainlyNotProcessed(failure);
		let delay: number | undefined;
		if (failure.status === 429) {
			// Never processed, so free to resend: the only limit is how long the item may wait.
			delay = rateLimitDelayMs(++rateLimitedResends, failure, policy);
			rateLimitedWaitMs += delay;
			if (rateLimitedWaitMs > policy.rateLimitBudgetMs) {
				delay = undefined;
				describeExhaustedBudget(apiError, policy);
			}
		} else if (retries < policy.maxRetries && mayResend(failure, safety)) {
			delay = retryDelayMs(++retries, failure, policy);
		}
		if (delay === undefined) {
			rememberFailure(apiError, failure);
			throw apiError;
		}
		await sleepUnlessCancelled(delay, cancelSignal);
	}
}

function normaliseHeaders(headers: RawResponse['headers']): Record<string, string> {
	const normalised: Record<string, string> = {};
	for (const [name, value] of Object.entries(headers ?? {})) {
		if (value !== undefined)
			normalised[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
	}
	return normalised;
}

function describeExhaustedBudget(error: Error, policy: RetryPolicy): void {
	const withDescription = error as Error & { description?: string | null };
	withDescription.description = [
		withDescription.description,
		`Phota kept rate limiting this request for the ${Math.round(policy.rateLimitBudgetMs / 6000) / 10} minutes the node waits (Options → Rate Limit Wait); nothing was charged for it.`,
	]
		.filter(Boolean)
		.join(' ');
}
