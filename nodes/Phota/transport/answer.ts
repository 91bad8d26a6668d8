import { jsonParse } from 'n8n-workflow';

import { isBodyStream, readAll, readHead, toBuffer } from './attempt';
import { parseJsonWithBase64Blobs } from './streamedJson';
import type { PhotaRequest } from './types';

const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** JSON answers other than images (profiles, jobs) are small; a runaway answer is cut here. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;
const MAX_PICTURE_BYTES = 64 * 1024 * 1024;

/** What n8n's request helper returns with `returnFullResponse` and a streamed body. */
export interface RawResponse {
	body: unknown;
	statusCode: number;
	headers: Record<string, string | string[] | undefined>;
}

/** The outcome of one attempt that got an answer. */
/** Redirects followed within the Base URL's origin for one attempt, at most. */
export const MAX_SAME_ORIGIN_REDIRECTS = 5;

export type RefusedRedirectReason = 'otherOrigin' | 'tooManyHops' | 'changesMethod';

export interface Answer<T> {
	statusCode: number;
	headers: Record<string, string>;
	/** Set when the status is a success. */
	body?: T;
	/** Set when the status is an error: the first bytes of the answer, for the message. */
	errorBody?: Buffer;
	/** Set when the status is a success but the answer could not be read: why. */
	unreadable?: unknown;
	/** Set for a redirect that is not followed (another origin): where it pointed. */
	/** A redirect the node does not follow, and why: the key would leave the origin, a loop, a POST turned into a GET. */
	refusedRedirect?: { location?: string; reason: RefusedRedirectReason };
}

/** Reads an answer's body the way the request asked for it; an error status keeps its first bytes. */
export async function readAnswer<T>(
	raw: RawResponse,
	headers: Record<string, string>,
	encoding: NonNullable<PhotaRequest['encoding']>,
): Promise<Answer<T>> {
	if (raw.statusCode >= 400) {
		return {
			statusCode: raw.statusCode,
			headers,
			// An unreadable error body is left out; the status still makes the error. Why it could not be
			// read is dropped: Answer has no field for that.
			errorBody: await readHead(raw.body, MAX_ERROR_BODY_BYTES).catch(() => Buffer.alloc(0)),
		};
	}
	try {
		let body: unknown;
		if (encoding === 'arraybuffer') {
			body = await readAll(raw.body, MAX_PICTURE_BYTES);
		} else if (encoding === 'jsonWithBlobs') {
			// n8n hands over a stream (`encoding: 'stream'`); a body already in memory is one chunk.
			const chunks = isBodyStream(raw.body) ? raw.body : [toBuffer(raw.body)];
			body = await parseJsonWithBase64Blobs(chunks);
		} else {
			body = parseJsonText(await readAll(raw.body, MAX_JSON_BYTES));
		}
		return { statusCode: raw.statusCode, headers, body: body as T };
	} catch (error) {
		return { statusCode: raw.statusCode, headers, unreadable: error };
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
