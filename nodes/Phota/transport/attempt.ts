/**
 * One attempt of a request: sent through n8n's authenticated helper within its deadline
 * (AttemptDeadline), redirects followed only within the Base URL's origin, and its answer read
 * (answer.ts).
 */
import type { IDataObject } from 'n8n-workflow';

import { readAnswer } from './answer';
import type { BodyStream } from './bodyStreams';
import { discardBody, isBodyStream } from './bodyStreams';
import type { CredentialRead } from './credential';
import { CREDENTIAL_TYPE } from './credential';
import { StreamedJsonBody } from './jsonBody';
import { armTimer, linkAbort, sleepUnlessCancelled } from './timers';
import type {
	Answer,
	PhotaContext,
	PhotaRequest,
	RawResponse,
	RefusedRedirectReason,
} from './types';

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

/** Raised when one attempt took longer than its bound; the code makes it a timeout for the retry policy. */
export class AttemptTimeoutError extends Error {
	readonly code = 'ETIMEDOUT';

	constructor(timeoutMs: number) {
		super(`no complete answer within ${Math.round(timeoutMs / 100) / 10} s`);
	}
}

/** How long a timed-out attempt's request may take to end after it was aborted. */
const ABORT_GRACE_MS = 2_000;

/**
 * A wall-clock bound on one attempt, headers and body together. n8n's `timeout` only ends an idle
 * socket, and without redirects followed not even a stalled body; so when the bound passes, the
 * request is aborted through {@link signal} (which also follows the execution's Stop) and any body
 * stream still open is destroyed. The attempt fails only once its request has ended, so a timed-out
 * request never stays out while its slot under Parallel Requests goes to another.
 */
export class AttemptDeadline {
	private fired = false;
	private readonly streams = new Set<BodyStream>();
	private rejectRace: (error: Error) => void = () => {};
	private readonly passed: Promise<never>;
	private readonly disarm: () => void;
	private readonly abort = new AbortController();
	private readonly unlinkCancel: () => void;

	constructor(
		private readonly timeoutMs: number,
		cancelSignal?: AbortSignal,
	) {
		this.passed = new Promise<never>((_resolve, reject) => {
			this.rejectRace = reject;
		});
		this.passed.catch(() => {});
		this.unlinkCancel = linkAbort(cancelSignal, this.abort);
		this.disarm = armTimer(timeoutMs, () => this.fire());
	}

	/** Aborted when the bound passes or the execution is stopped: the attempt's HTTP request takes it. */
	get signal(): AbortSignal {
		return this.abort.signal;
	}

	/**
	 * Settles with `work`, or fails once the deadline passes and `work` (its request aborted) has
	 * ended; a late answer's body is discarded.
	 */
	async race<T>(work: Promise<T>): Promise<T> {
		const ended = work.then(
			(late) => {
				if (this.fired) discardBody(late);
			},
			() => {},
		);
		const passedAndEnded = new Promise<never>((_resolve, reject) => {
			this.passed.catch(
				(error: unknown) => void settledWithin(ended, ABORT_GRACE_MS).then(() => reject(error)),
			);
		});
		// Aborted by the deadline, the request fails with the abort's error: the deadline's is the one told.
		const answered = work.then(
			(value) => value,
			async (error: unknown) => await (this.fired ? passedAndEnded : Promise.reject(error)),
		);
		return await Promise.race([answered, passedAndEnded]);
	}

	/** Destroys `stream` if it is still being read when the deadline passes. */
	watch(stream: unknown): void {
		if (!isBodyStream(stream)) return;
		if (this.fired) stream.destroy(new AttemptTimeoutError(this.timeoutMs));
		else this.streams.add(stream);
	}

	end(): void {
		this.disarm();
		this.unlinkCancel();
		this.streams.clear();
	}

	private fire(): void {
		this.fired = true;
		const error = new AttemptTimeoutError(this.timeoutMs);
		// The streams first: a body already being read then fails with this error, not the abort's.
		for (const stream of this.streams) stream.destroy(error);
		this.abort.abort(error);
		this.rejectRace(error);
	}
}

/** Waits for `work` to settle, at most `ms`. */
async function settledWithin(work: Promise<void>, ms: number): Promise<void> {
	const timer = new AbortController();
	await Promise.race([work, sleepUnlessCancelled(ms, timer.signal).catch(() => {})]);
	timer.abort();
}
