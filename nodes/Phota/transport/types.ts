import type { IDataObject, IHttpRequestMethods } from 'n8n-workflow';

import type { AnswerEncoding } from './answer';
import type { StoreBlob } from './imageDestinations';
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
