import type { IDataObject, INode, JsonObject } from 'n8n-workflow';
import { ExecutionCancelledError, NodeApiError, NodeOperationError } from 'n8n-workflow';

import type { FailureFacts } from './retryPolicy';

/** What a failed request was, for the error's wording. */
export interface RequestFacts {
	method: string;
	endpoint: string;
	body?: IDataObject;
	/** `deduplicated`: a resend returns the original job (client_request_id). */
	deduplicated: boolean;
	itemIndex?: number;
}

const MAX_QUOTED_CHARS = 200;

/** Why a request failed, for callers with their own retry rules (the Wait node's poll loop). */
const failureByError = new WeakMap<object, FailureFacts>();

export function failureOf(error: unknown): FailureFacts | undefined {
	return error && typeof error === 'object' ? failureByError.get(error) : undefined;
}

export function rememberFailure(error: object, failure: FailureFacts): void {
	failureByError.set(error, failure);
}

/** Phota's own words for a failed request: `detail` (string or validation list), `code`, `request_id`. */
export function photaHttpError(
	node: INode,
	status: number,
	rawBody: Buffer,
	headers: Record<string, string>,
	request: RequestFacts,
): NodeApiError {
	const body = decodeBody(rawBody);
	const payload = (body && typeof body === 'object' ? body : {}) as IDataObject;
	const detail =
		typeof body === 'string' ? quoteText(body) : describeDetail(payload.detail ?? payload.message);
	const code = typeof payload.code === 'string' ? payload.code : undefined;
	const requestId = (payload.request_id as string | undefined) ?? headers['x-request-id'];

	const message = `Phota ${statusSummary(status)}${detail ? `: ${detail}` : ''}`;
	const notes = [
		code ? `Phota error code: ${code}.` : undefined,
		hintForStatus(status, headers, request),
		requestId ? `Request ID: ${requestId} (quote it to Phota support).` : undefined,
	].filter(Boolean);

	return new NodeApiError(
		node,
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

/** A redirect is never followed to another origin: it would carry the API key there. */
export function redirectError(
	node: INode,
	status: number,
	location: string | undefined,
	request: RequestFacts,
): NodeApiError {
	const target = location ? safeHost(location) : 'an unnamed location';
	return new NodeApiError(node, { status, location: location ?? null } as JsonObject, {
		message: `Phota answered with a redirect (${status}) to ${target}, which the node does not follow`,
		description: `The node sends your API key only to the Base URL's own host, so it does not follow redirects to other hosts. Check the Base URL in the Phota credential (a proxy may be redirecting). ${request.method} ${request.endpoint}.`,
		httpCode: String(status),
		itemIndex: request.itemIndex,
	});
}

/** A request that failed before Phota answered (or timed out). */
export function photaNetworkError(
	node: INode,
	error: unknown,
	code: string | undefined,
	request: RequestFacts,
): NodeApiError {
	const reason = code ?? (error instanceof Error ? error.message : 'unknown network error');
	const detail = error instanceof Error && error.message !== reason ? ` (${error.message})` : '';
	const howToRetry = request.deduplicated
		? 'It was resent with the same client_request_id as far as the retry limit allowed.'
		: 'Check your Phota account before running it again, or use async mode so a resend is deduplicated.';
	// In words: n8n swaps a message containing a socket error code for a generic text.
	const message = `Could not reach Phota: ${NETWORK_FAILURES[code ?? ''] ?? 'the connection failed'}`;
	return new NodeApiError(
		node,
		// Not under "code": NodeApiError would replace our message with its generic one for that code.
		{ network_error_code: code ?? null, message: reason } as JsonObject,
		{
			message,
			description:
				request.method === 'POST'
					? `${reason}${detail}: the connection failed before Phota answered, so the request may or may not have been processed. ${howToRetry}`
					: `${reason}${detail}: the connection failed before Phota answered. Check the Base URL in the Phota credential and your network or proxy.`,
			itemIndex: request.itemIndex,
		},
	);
}

/** Phota answered with a success status, but the answer could not be read: the request did run. */
export function unreadableAnswerError(
	node: INode,
	status: number,
	error: unknown,
	request: RequestFacts,
): NodeApiError {
	const reason = error instanceof Error ? error.message : String(error);
	const processed =
		request.method === 'POST'
			? request.deduplicated
				? 'Phota processed the request; it was asked again with the same client_request_id as far as the retry limit allowed.'
				: 'Phota processed the request (and may have charged for it), so it was not sent again. Check your Phota account before running it again.'
			: 'Check the Base URL in the Phota credential and your network or proxy.';
	return new NodeApiError(node, { status, message: reason } as JsonObject, {
		message: `Phota answered ${status} but the answer was cut off or unreadable`,
		description: `${quoteText(reason)}. ${processed}`,
		httpCode: String(status),
		itemIndex: request.itemIndex,
	});
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

function hintForStatus(
	status: number,
	headers: Record<string, string>,
	request: RequestFacts,
): string | undefined {
	const paidAndUnprotected = request.method === 'POST' && !request.deduplicated;
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
			return paidAndUnprotected ? MAY_HAVE_RUN : undefined;
		case 503:
			// Without Retry-After, a gateway may have answered 503 after the request reached Phota.
			return paidAndUnprotected && headers['retry-after'] === undefined
				? MAY_HAVE_RUN
				: 'Lower the Parallel Requests option or try again later.';
		case 504:
			return 'Phota refunded this request. For long jobs turn on the Async option and fetch the result with Job → Get.';
		case 429:
			return headers['retry-after'] !== undefined
				? `Phota asked to wait ${headers['retry-after']} (Retry-After). Lower the Parallel Requests option or try again later.`
				: 'Lower the Parallel Requests option or try again later.';
		default:
			return undefined;
	}
}

const MAY_HAVE_RUN =
	'Phota may or may not have processed this request before the failure, so it was not sent again. Check your profiles or balance before running it again, or use async mode so a resend is deduplicated.';

function describeDetail(detail: unknown): string | undefined {
	if (detail === undefined || detail === null || detail === '') return undefined;
	if (typeof detail === 'string') return quoteText(detail);
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
	return quoteText(JSON.stringify(detail));
}

function decodeBody(body: Buffer): unknown {
	const text = body.toString('utf8');
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return text;
	}
}

/**
 * Text from a non-JSON answer (a gateway's HTML page), short enough for an error message: an HTML
 * page gives its title, anything else its first characters.
 */
export function quoteText(text: string): string {
	const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1];
	const plain = (title ?? text.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim();
	return plain.length > MAX_QUOTED_CHARS ? `${plain.slice(0, MAX_QUOTED_CHARS)}…` : plain;
}

function safeHost(location: string): string {
	try {
		return new URL(location).host;
	} catch {
		return quoteText(location);
	}
}

/** n8n wraps network failures in NodeApiError; the socket error code sits on the wrapped error. */
export function networkErrorCode(error: unknown): string | undefined {
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

/**
 * A success answer without what the operation needs (no images, no profile_id, no job_id): the
 * item fails with what was missing and the answer itself, so nothing paid turns silently into null.
 */
export function incompleteAnswerError(
	node: INode,
	missing: string,
	answer: unknown,
	itemIndex: number,
	processed: string,
): NodeApiError {
	return new NodeApiError(node, { answer: quoteAnswer(answer) } as JsonObject, {
		message: `Phota's answer has no ${missing}`,
		description: `${processed} Phota answered: ${quoteAnswer(answer)}`,
		httpCode: '200',
		itemIndex,
	});
}

/** An answer as JSON for a message: image bytes as their size, at most 500 characters. */
export function quoteAnswer(answer: unknown): string {
	const text = JSON.stringify(bytesAsSizes(answer)) ?? String(answer);
	return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

/** A copy without Buffers (JSON.stringify would spell a decoded image out byte by byte). */
function bytesAsSizes(value: unknown): unknown {
	if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
	if (Array.isArray(value)) return value.map(bytesAsSizes);
	if (value && typeof value === 'object') {
		return Object.fromEntries(
			Object.entries(value).map(([key, entry]) => [key, bytesAsSizes(entry)]),
		);
	}
	return value;
}

/**
 * An error as n8n expects a node to throw it: n8n's own error types pass through unchanged, its
 * cancellation too (n8n then reports the execution as cancelled, not failed).
 */
export function asNodeError(node: INode, error: unknown): Error {
	if (
		error instanceof NodeApiError ||
		error instanceof NodeOperationError ||
		error instanceof ExecutionCancelledError
	) {
		return error;
	}
	return new NodeOperationError(node, error as Error);
}
