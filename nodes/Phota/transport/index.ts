import type { IDataObject, IExecuteFunctions, IWebhookFunctions } from 'n8n-workflow';

import { MAX_SAME_ORIGIN_REDIRECTS, normaliseHeaders, readAnswer } from './answer';
import type { BodyStream } from './bodyStreams';
import { discardBody, isBodyStream } from './bodyStreams';
import type { AttemptDeadline } from './timers';
import { CREDENTIAL_TYPE, CredentialCache, credentialOf } from './credential';
import { StreamedJsonBody, encodeJsonBody, holdsImageBytes } from './jsonBody';
import { withRetries } from './retryLoop';
import type {
	Answer,
	PhotaContext,
	PhotaRequest,
	PhotaResponse,
	RawResponse,
	RefusedRedirectReason,
	RunRequests,
} from './types';

export { asNodeError, failureOf } from './errors';
export { ImageBytes } from './jsonBody';
export type { BodyStream } from './bodyStreams';
export type { BlobToStore, StoreBlob } from './streamedImages';
export type { PhotaRequest, PhotaResponse, RunRequests } from './types';

export { CREDENTIAL_TYPE } from './credential';

/** Phota allows sync requests to run for 600 s; give each attempt a little more. */
const SYNC_REQUEST_TIMEOUT_MS = 610_000;
const READ_REQUEST_TIMEOUT_MS = 60_000;
/** A signed-URL download is one image (up to tens of MB for 4K). */
const DOWNLOAD_TIMEOUT_MS = 300_000;

/**
 * The one authenticated call to the Phota API. Retries transient failures per the retry policy.
 * Redirects are followed only within the Base URL's origin: the API key never goes elsewhere.
 */
export async function photaApiRequest<T = IDataObject>(
	this: PhotaContext,
	request: PhotaRequest,
): Promise<PhotaResponse<T>> {
	// Without a run (a list search's list), the credential is read for this request only.
	const cache = request.requests?.credential ?? new CredentialCache();
	const credential = await credentialOf(this, cache, request.itemIndex);
	const { baseURL, origin } = credential;
	const safety = request.safety ?? (request.method === 'POST' ? 'paid' : 'idempotent');
	const timeoutMs =
		request.requests?.retryPolicy.attemptTimeoutMs ??
		(request.method === 'POST' ? SYNC_REQUEST_TIMEOUT_MS : READ_REQUEST_TIMEOUT_MS);
	// Input images are encoded once per request (a resend sends the same bytes; a streamed body is
	// opened for each attempt); any other body goes out as it is.
	const body = holdsImageBytes(request.body)
		? await encodeJsonBody.call(this, request.body, request.itemIndex)
		: request.body;
	const contentHeaders = headersOf(body);

	const sendOnce = async (deadline: AttemptDeadline): Promise<Answer<T>> => {
		let url = request.endpoint;
		for (let hop = 0; ; hop++) {
			const upload = body instanceof StreamedJsonBody ? await body.open() : undefined;
			const raw = await deadline
				.race<RawResponse>(
					this.helpers.httpRequestWithAuthentication.call(
						// n8n gives the request the context's cancel signal, which the deadline's follows.
						withCancelSignal(this, deadline.signal),
						CREDENTIAL_TYPE,
						{
							method: request.method,
							baseURL,
							url,
							// A followed redirect's Location already carries the query.
							qs: hop === 0 ? request.qs : undefined,
							body: upload ?? body,
							headers: {
								accept: request.encoding === 'arraybuffer' ? '*/*' : 'application/json',
								...contentHeaders,
							},
							encoding: 'stream',
							json: false,
							returnFullResponse: true,
							ignoreHttpStatusErrors: true,
							disableFollowRedirect: true,
							timeout: timeoutMs,
							abortSignal: deadline.signal,
						},
						{ credentialsDecrypted: credential.decrypted },
					),
					// An answer (or a failure) ends the upload: its image files are closed.
				)
				.finally(() => upload?.destroy());
			deadline.watch(raw.body);
			const headers = normaliseHeaders(raw.headers);
			if (raw.statusCode >= 300 && raw.statusCode < 400) {
				discardBody(raw);
				const next = redirectTarget(headers.location, baseURL, url);
				const refused = whyNotFollowed(raw.statusCode, next, origin, request.method, hop);
				if (refused !== undefined || next === undefined) {
					return {
						kind: 'refusedRedirect',
						statusCode: raw.statusCode,
						headers,
						location: headers.location,
						reason: refused ?? 'otherOrigin',
					};
				}
				url = next.href;
				continue;
			}
			return await readAnswer<T>(raw, headers, request.encoding ?? 'json', request.storeBlob);
		}
	};
	const retried = withRetries<T>;
	return await retried.call(
		this,
		request,
		safety,
		{ timeoutMs, limiter: request.requests?.limiter, lostRun: request.requests?.lostRun },
		sendOnce,
	);
}

/** The headers of a body the node encodes itself (n8n writes an object body's JSON and headers). */
function headersOf(
	body: IDataObject | Buffer | StreamedJsonBody | undefined,
): Record<string, string> {
	if (Buffer.isBuffer(body)) return { 'content-type': 'application/json' };
	if (body instanceof StreamedJsonBody) {
		return { 'content-type': 'application/json', 'content-length': String(body.byteLength) };
	}
	return {};
}

/**
 * `context` with `signal` as its execution cancel signal. n8n's `httpRequestWithAuthentication`
 * sets the request's abort signal from the context (overriding any in the options), so this is how
 * an attempt that passes Request Timeout gets its request aborted, not just abandoned.
 */
function withCancelSignal<C extends PhotaContext>(context: C, signal: AbortSignal): C {
	// Defined, not assigned: an assignment would go through any setter or proxy on the way to the
	// run's context, and could change it for every request.
	return Object.create(context, { getExecutionCancelSignal: { value: () => signal } });
}

/**
 * Why a redirect is not followed: it leaves the Base URL's origin (the key would go with it), it
 * would turn a POST into a GET (only 307 and 308 keep the method and body), or it is one hop too
 * many. Undefined when it is followed.
 */
function whyNotFollowed(
	status: number,
	next: URL | undefined,
	origin: string,
	method: string,
	hop: number,
): RefusedRedirectReason | undefined {
	if (next === undefined || next.origin !== origin) return 'otherOrigin';
	if (status !== 307 && status !== 308 && method !== 'GET') return 'changesMethod';
	if (hop >= MAX_SAME_ORIGIN_REDIRECTS) return 'tooManyHops';
	return undefined;
}

/** Where a redirect's Location leads, resolved against the URL that answered; undefined if none. */
function redirectTarget(
	location: string | undefined,
	baseURL: string,
	currentUrl: string,
): URL | undefined {
	if (!location) return undefined;
	try {
		const current = new URL(currentUrl.startsWith('/') ? baseURL + currentUrl : currentUrl);
		return new URL(location, current);
	} catch {
		return undefined;
	}
}

/**
 * Downloads a signed URL that Phota returned (an output image) and hands the stream to `consume`
 * (n8n's binary data store), so the file is never held whole in memory. These URLs carry their own
 * signature, so the API key is deliberately not sent with them. Stop cancels a download, and the
 * attempt bound covers the whole transfer, which a failed attempt repeats. Downloads are free and go
 * to Phota's storage, not its API: Parallel Requests does not count them.
 */
export async function downloadSignedUrl<R>(
	this: IExecuteFunctions | IWebhookFunctions,
	url: string,
	itemIndex: number,
	requests: RunRequests | undefined,
	consume: (body: BodyStream, headers: Record<string, string>) => Promise<R>,
): Promise<R> {
	const request: PhotaRequest = { method: 'GET', endpoint: url, itemIndex, requests };
	const timeoutMs = requests?.retryPolicy.attemptTimeoutMs ?? DOWNLOAD_TIMEOUT_MS;
	const retried = withRetries<R>;
	const { body } = await retried.call(
		this,
		request,
		'idempotent',
		{ timeoutMs },
		async (deadline) => {
			const raw = await deadline.race<RawResponse>(
				this.helpers.httpRequest({
					method: 'GET',
					url,
					encoding: 'stream',
					json: false,
					returnFullResponse: true,
					ignoreHttpStatusErrors: true,
					timeout: timeoutMs,
					abortSignal: deadline.signal,
				}),
			);
			deadline.watch(raw.body);
			const headers = normaliseHeaders(raw.headers);
			if (raw.statusCode >= 400) return await readAnswer<R>(raw, headers, 'json');
			const stream = raw.body;
			if (!isBodyStream(stream)) {
				const reason = new Error('no body stream');
				return { kind: 'unreadable', statusCode: raw.statusCode, headers, reason };
			}
			try {
				const result = await deadline.race(consume(stream, headers));
				return { kind: 'response', statusCode: raw.statusCode, headers, body: result };
			} catch (error) {
				return { kind: 'unreadable', statusCode: raw.statusCode, headers, reason: error };
			}
		},
	);
	return body;
}
