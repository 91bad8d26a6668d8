import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestMethods,
	ILoadOptionsFunctions,
} from 'n8n-workflow';

import type { ResendSafety, RetryPolicy } from './retryPolicy';

export type PhotaContext = IExecuteFunctions | ILoadOptionsFunctions;

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
	/** What the error of a 404 answer advises (the caller knows what was not found). */
	notFoundHint?: string;
}

export interface PhotaResponse<T> {
	body: T;
	statusCode: number;
	headers: Record<string, string>;
}

/** What a failed request was, for the error's wording. */
export interface RequestFacts {
	method: string;
	endpoint: string;
	body?: IDataObject;
	/** `deduplicated`: a resend returns the original job (client_request_id). */
	deduplicated: boolean;
	itemIndex?: number;
	/** What a 404 answer's error advises. */
	notFoundHint?: string;
}
