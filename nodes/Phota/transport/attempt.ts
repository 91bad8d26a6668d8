/**
 * One attempt of a request: sent through n8n's authenticated helper within its deadline, redirects
 * followed only within the Base URL's origin, and the answer read the way the request asks for it.
 */
import type { IDataObject } from 'n8n-workflow';
import { jsonParse } from 'n8n-workflow';

import { discardBody, isBodyStream, readAll, readHead, toBuffer } from './bodyStreams';
import type { CredentialRead } from './credential';
import { CREDENTIAL_TYPE } from './credential';
import { StreamedJsonBody } from './jsonBody';
import type { StoreBlob } from './streamedImages';
import { parseJsonWithBase64Blobs } from './streamedImages';
import type { AttemptDeadline } from './timers';
import type {
	Answer,
	AnswerEncoding,
	PhotaContext,
	PhotaRequest,
	RawResponse,
	RefusedRedirectReason,
} from './types';

const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** JSON answers other than images (profiles, jobs) are small; a runaway answer is cut here. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;
const MAX_PICTURE_BYTES = 64 * 1024 * 1024;

/** Redirects followed within the Base URL's origin for one attempt, at most. */
export const MAX_SAME_ORIGIN_REDIRECTS = 5;

/** What every attempt of one request sends: read and encoded once, before the first attempt. */
export interface SentRequest {
	request: PhotaRequest;
	credential: CredentialRead;
	/** The body as it goes out: n8n writes an object's JSON; the node's own encoding otherwise. */
	body: IDataObject | Buffer | StreamedJsonBody | undefined;
	contentHeaders: Record<string, string>;
	timeoutMs: number;
}

/**
 * Sends one attempt of `sent.request` within `deadline` (which aborts it past Request Timeout or on
 * Stop) and reads its answer. A redirect is followed only within the Base URL's origin, keeping the
 * method, at most MAX_SAME_ORIGIN_REDIRECTS times; any other is the answer (`refusedRedirect`).
 */
export async function sendAttempt<T>(
	this: PhotaContext,
	sent: SentRequest,
	deadline: AttemptDeadline,
): Promise<Answer<T>> {
	const { request, credential, body, contentHeaders, timeoutMs } = sent;
	const { baseURL, origin } = credential;
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
}

/** Reads an answer's body the way the request asked for it; an error status keeps its first bytes. */
export async function readAnswer<T>(
	raw: RawResponse,
	headers: Record<string, string>,
	encoding: AnswerEncoding,
	storeBlob?: StoreBlob,
): Promise<Answer<T>> {
	const head = { statusCode: raw.statusCode, headers };
	if (raw.statusCode >= 400) {
		// An unreadable error body is left out; the status still makes the error, which says why.
		return await readHead(raw.body, MAX_ERROR_BODY_BYTES).then(
			(errorBody) => ({ ...head, kind: 'errorStatus', errorBody }),
			(reason: unknown) => ({
				...head,
				kind: 'errorStatus',
				errorBody: Buffer.alloc(0),
				errorBodyUnread: reason,
			}),
		);
	}
	try {
		let body: unknown;
		if (encoding === 'arraybuffer') {
			body = await readAll(raw.body, MAX_PICTURE_BYTES);
		} else if (encoding === 'jsonWithBlobs') {
			// n8n hands over a stream (`encoding: 'stream'`); a body already in memory is one chunk.
			const chunks = isBodyStream(raw.body) ? raw.body : [toBuffer(raw.body)];
			body = await parseJsonWithBase64Blobs(chunks, { storeBlob });
		} else {
			body = parseJsonText(await readAll(raw.body, MAX_JSON_BYTES));
		}
		// The one place Phota's JSON takes the type the caller expects of it; fields are checked where used.
		return { ...head, kind: 'response', body: body as T };
	} catch (error) {
		return { ...head, kind: 'unreadable', reason: error };
	}
}

function parseJsonText(bytes: Buffer): unknown {
	const text = bytes.toString('utf8');
	// DELETE and other answers may come without a body.
	if (text.trim() === '') return {};
	return jsonParse<unknown>(text, { errorMessage: `the answer is not JSON: ${text.slice(0, 80)}` });
}

export function normaliseHeaders(headers: RawResponse['headers']): Record<string, string> {
	const normalised: Record<string, string> = {};
	for (const [name, value] of Object.entries(headers ?? {})) {
		if (value !== undefined)
			normalised[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
	}
	return normalised;
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
