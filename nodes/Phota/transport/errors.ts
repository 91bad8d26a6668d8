import type { INode } from 'n8n-workflow';
import { ExecutionCancelledError, NodeApiError, NodeOperationError } from 'n8n-workflow';

import {
	isObject,
	messageOf,
	NETWORK_FAILURES,
	decodeBody,
	describeDetail,
	hintForStatus,
	quoteAnswer,
	quoteText,
	safeHost,
	statusSummary,
} from './errorWording';
import { MAX_SAME_ORIGIN_REDIRECTS } from './attempt';
import type { RefusedRedirectReason } from './types';
import type { FailureFacts } from './retryPolicy';
import type { RequestFacts } from './errorWording';

export { networkErrorCode } from './errorWording';

/**
 * Why a request failed, carried in the error's context for callers with their own rules (the Wait
 * node's poll loop retries transient failures; Get Many treats a 404 as "deleted meanwhile").
 */
export function failureOf(error: unknown): FailureFacts | undefined {
	if (!(error instanceof Error) || !('context' in error)) return undefined;
	const { context } = error;
	if (!isObject(context) || !('failure' in context)) return undefined;
	return isFailureFacts(context.failure) ? context.failure : undefined;
}

function isFailureFacts(value: unknown): value is FailureFacts {
	return isObject(value) && ('status' in value || 'code' in value);
}

export function withFailure<E extends NodeApiError>(error: E, failure: FailureFacts): E {
	error.context.failure = { ...failure };
	return error;
}

/** Phota's own words for a failed request: `detail` (string or validation list), `code`, `request_id`. */
export function photaHttpError(
	node: INode,
	status: number,
	answer: { errorBody: Buffer; headers: Record<string, string>; errorBodyUnread?: unknown },
	request: RequestFacts,
): NodeApiError {
	const { headers } = answer;
	const body = decodeBody(answer.errorBody);
	const payload = isObject(body) ? body : {};
	const detail =
		typeof body === 'string' ? quoteText(body) : describeDetail(payload.detail ?? payload.message);
	const code = typeof payload.code === 'string' ? payload.code : undefined;
	const requestId =
		(typeof payload.request_id === 'string' ? payload.request_id : undefined) ??
		headers['x-request-id'];

	const message = `Phota ${statusSummary(status)}${detail ? `: ${detail}` : ''}`;
	const notes = [
		code ? `Phota error code: ${code}.` : undefined,
		hintForStatus(status, headers, request),
		requestId ? `Request ID: ${requestId} (quote it to Phota support).` : undefined,
		answer.errorBodyUnread === undefined
			? undefined
			: `The rest of Phota's answer could not be read (${messageOf(answer.errorBodyUnread)}).`,
	].filter(Boolean);

	return new NodeApiError(
		node,
		{
			status,
			code: code ?? null,
			detail: detail ?? null,
			request_id: requestId ?? null,
		},
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
	refused: { location?: string; reason: RefusedRedirectReason },
	request: RequestFacts,
): NodeApiError {
	const target = refused.location ? safeHost(refused.location) : 'an unnamed location';
	const why: Record<RefusedRedirectReason, { message: string; description: string }> = {
		otherOrigin: {
			message: `Phota answered with a redirect (${status}) to ${target}, which the node does not follow`,
			description:
				"The node sends your API key only to the Base URL's own host, so it does not follow redirects to other hosts. Check the Base URL in the Phota credential (a proxy may be redirecting).",
		},
		changesMethod: {
			message: `Phota answered a ${request.method} with a redirect (${status}), which would resend it as a GET`,
			description:
				'Only 307 and 308 redirects keep the request as it was. Check the Base URL in the Phota credential (a proxy may be redirecting).',
		},
		tooManyHops: {
			message: `Phota redirected more than ${MAX_SAME_ORIGIN_REDIRECTS} times within ${target}; the node stopped following`,
			description:
				'The redirects go round in a loop. Check the Base URL in the Phota credential (a proxy may be redirecting).',
		},
	};
	const { message, description } = why[refused.reason];
	return new NodeApiError(
		node,
		{ status, location: refused.location ?? null },
		{
			message,
			description: `${description} ${request.method} ${request.endpoint}.`,
			httpCode: String(status),
			itemIndex: request.itemIndex,
		},
	);
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
		{ network_error_code: code ?? null, message: reason },
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
	return new NodeApiError(
		node,
		{ status, message: reason },
		{
			message: `Phota answered ${status} but the answer was cut off or unreadable`,
			description: `${quoteText(reason)}. ${processed}`,
			httpCode: String(status),
			itemIndex: request.itemIndex,
		},
	);
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
	return new NodeApiError(
		node,
		{ answer: quoteAnswer(answer) },
		{
			message: `Phota's answer has no ${missing}`,
			description: `${processed} Phota answered: ${quoteAnswer(answer)}`,
			httpCode: '200',
			itemIndex,
		},
	);
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
	return new NodeOperationError(node, error instanceof Error ? error : String(error));
}

/** Adds `text` to the end of an error's description (what n8n shows under the message). */
export function appendDescription<E extends Error>(error: E, text: string): E {
	const withDescription: Error & { description?: string | null } = error;
	withDescription.description = [withDescription.description, text].filter(Boolean).join(' ');
	return error;
}
