import type { IDataObject, IExecuteFunctions, IWebhookFunctions } from 'n8n-workflow';

import { readAnswer } from './answer';
import type { SentRequest } from './attempt';
import { normaliseHeaders, sendAttempt } from './attempt';
import type { BodyStream } from './bodyStreams';
import { isBodyStream } from './bodyStreams';
import { CredentialCache, credentialOf } from './credential';
import { StreamedJsonBody, encodeJsonBody, holdsImageBytes } from './jsonBody';
import { withRetries } from './retryLoop';
import type { PhotaContext, PhotaRequest, PhotaResponse, RawResponse, RunRequests } from './types';

export { asNodeError, failureOf } from './errors';
export { ImageBytes } from './jsonBody';
export type { BodyStream } from './bodyStreams';
export type { BlobToStore, PhotaRequest, PhotaResponse, RunRequests, StoreBlob } from './types';

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
	const safety = request.safety ?? (request.method === 'POST' ? 'paid' : 'idempotent');
	const timeoutMs =
		request.requests?.retryPolicy.attemptTimeoutMs ??
		(request.method === 'POST' ? SYNC_REQUEST_TIMEOUT_MS : READ_REQUEST_TIMEOUT_MS);
	// Input images are encoded once per request (a resend sends the same bytes; a streamed body is
	// opened for each attempt); any other body goes out as it is.
	const body = holdsImageBytes(request.body)
		? await encodeJsonBody.call(this, request.body, request.itemIndex)
		: request.body;
	const sent: SentRequest = {
		request,
		credential,
		body,
		contentHeaders: headersOf(body),
		timeoutMs,
	};
	const retried = withRetries<T>;
	return await retried.call(
		this,
		request,
		safety,
		{ timeoutMs, limiter: request.requests?.limiter, lostRun: request.requests?.lostRun },
		async (deadline) => await (sendAttempt<T>).call(this, sent, deadline),
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
