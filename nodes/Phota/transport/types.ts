import type { IDataObject, IHttpRequestMethods } from 'n8n-workflow';

import type { NodeReadable } from './bodyStreams';
import type { JsonPath } from './streamedJson/paths';
import type { RunBill } from './bill';
import type { CredentialCache } from './credential';
import type { RequestLimiter } from './limiter';
import type { LostRun } from './limiter';
import type { ResendSafety, RetryPolicy } from './retryPolicy';

export type { PhotaContext } from './credential';

/** What all the requests of one node run share; created where the run starts and passed down. */
export interface RunRequests {
	/** The node's credential, read once for the run. */
	credential: CredentialCache;
	retryPolicy: RetryPolicy;
	/** Keeps the run's requests in flight within Parallel Requests. */
	limiter: RequestLimiter;
	/** Without Continue On Fail: refuses what may no longer be sent once an item failed. */
	lostRun?: LostRun;
	/** What Phota billed for the run's requests. */
	bill: RunBill;
}

export interface PhotaRequest {
	method: IHttpRequestMethods;
	/** Path below the base URL, e.g. `/profiles/ids`. */
	endpoint: string;
	body?: IDataObject;
	qs?: IDataObject;
	encoding?: AnswerEncoding;
	/** With `jsonWithBlobs`: where each image is streamed while it is decoded (see StoreBlob). */
	storeBlob?: StoreBlob;
	/** How a resend could affect billing; GET/DELETE default to idempotent, POST to paid. */
	safety?: ResendSafety;
	itemIndex?: number;
	/** The node run the request belongs to; without one (a list search), the default retry policy. */
	requests?: RunRequests;
	/**
	 * A 404 on a resend, after an attempt that may have run, means that attempt did the work (a
	 * DELETE whose answer was lost): the 404 is returned as the response instead of thrown.
	 */
	notFoundOnResendMeansDone?: boolean;
	/** What the error of a 404 answer advises (the caller knows what was not found). */
	notFoundHint?: string;
}

/** The response a request returns: its body as the request's encoding reads it. */
export interface PhotaResponse<T> {
	body: T;
	statusCode: number;
	headers: Record<string, string>;
}

/**
 * How an answer's body is read: `json`; `arraybuffer` for binary responses (profile picture, as a
 * Buffer); `jsonWithBlobs` for JSON carrying base64 images, which are decoded to Buffers while the
 * response streams in.
 */
export type AnswerEncoding = 'json' | 'arraybuffer' | 'jsonWithBlobs';

/** What n8n's request helper returns with `returnFullResponse` and a streamed body. */
export interface RawResponse {
	body: unknown;
	statusCode: number;
	headers: Record<string, string | string[] | undefined>;
}

export type RefusedRedirectReason = 'otherOrigin' | 'tooManyHops' | 'changesMethod';

interface AnswerHead {
	statusCode: number;
	headers: Record<string, string>;
}

/** The outcome of one attempt that got an answer. */
export type Answer<T> =
	/** A success status, read: the response the request returns. */
	| ({ kind: 'response' } & PhotaResponse<T>)
	/** An error status: the first bytes of its body for the message, or why they could not be read. */
	| (AnswerHead & { kind: 'errorStatus'; errorBody: Buffer; errorBodyUnread?: unknown })
	/** A success status whose body could not be read, and why. */
	| (AnswerHead & { kind: 'unreadable'; reason: unknown })
	/** A redirect the node does not follow: the key would leave the origin, a loop, a POST turned into a GET. */
	| (AnswerHead & { kind: 'refusedRedirect'; location?: string; reason: RefusedRedirectReason });

/** An image for n8n's binary store: its bytes, or a stream of them; `head`, its first bytes (its type). */
export interface BlobToStore {
	data: Buffer | NodeReadable;
	head: Buffer;
}

/**
 * Where each image of a `jsonWithBlobs` answer goes (n8n's binary store); what it returns takes
 * the image's place in the answer, so the image's bytes are not kept.
 */
export type StoreBlob = (image: BlobToStore, path: JsonPath) => Promise<unknown>;
