/** The wording of Phota's errors: status summaries, hints, and quotes of what Phota answered. */

import type { IDataObject } from 'n8n-workflow';
import { jsonParse } from 'n8n-workflow';

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

const MAX_QUOTED_CHARS = 200;

export const NETWORK_FAILURES: Record<string, string> = {
	ECONNRESET: 'the connection was reset',
	ECONNREFUSED: 'the connection was refused',
	ETIMEDOUT: 'the request timed out',
	ECONNABORTED: 'the request timed out',
	ENOTFOUND: 'the host name was not found',
	EAI_AGAIN: 'the host name could not be resolved',
	EPIPE: 'the connection was closed',
};

export function statusSummary(status: number): string {
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

export function hintForStatus(
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
			return request.notFoundHint;
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

/** What an error says, whatever was thrown. */
export function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

/** A JSON object (not an array): what Phota's error bodies and n8n's error contexts are. */
export function isObject(value: unknown): value is IDataObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describeDetail(detail: unknown): string | undefined {
	if (detail === undefined || detail === null || detail === '') return undefined;
	if (typeof detail === 'string') return quoteText(detail);
	if (Array.isArray(detail)) {
		// FastAPI validation errors: [{ loc: ['body', 'field'], msg: '...' }]
		return detail
			.map((entry) => {
				const loc = isObject(entry) && Array.isArray(entry.loc) ? entry.loc : [];
				const msg = isObject(entry) && typeof entry.msg === 'string' ? entry.msg : undefined;
				const field = loc.filter((part) => part !== 'body').join('.');
				return field ? `${field}: ${msg ?? 'invalid'}` : (msg ?? JSON.stringify(entry));
			})
			.join('; ');
	}
	return quoteText(JSON.stringify(detail));
}

/** An error body as JSON, or as its text when it is not JSON (a gateway's HTML page). */
export function decodeBody(body: Buffer): unknown {
	const text = body.toString('utf8');
	return jsonParse<unknown>(text, { fallbackValue: text });
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

export function safeHost(location: string): string {
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
		const field = (name: string): unknown => Reflect.get(current, name);
		// NodeApiError keeps a socket error's code in httpCode (e.g. "ECONNRESET").
		for (const code of [field('code'), field('httpCode')]) {
			if (typeof code === 'string' && /^(E[A-Z_]+|UND_ERR\w*|ERR_\w+)$/.test(code)) return code;
		}
		pending.push(field('cause'), field('errorResponse'), field('reason'));
	}
	return undefined;
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
