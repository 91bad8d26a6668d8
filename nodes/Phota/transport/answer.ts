import { jsonParse } from 'n8n-workflow';

import { isBodyStream, readAll, readHead, toBuffer } from './bodyStreams';
import type { StoreBlob } from './streamedImages';
import { parseJsonWithBase64Blobs } from './streamedImages';
import type { Answer, AnswerEncoding, RawResponse } from './types';

const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** JSON answers other than images (profiles, jobs) are small; a runaway answer is cut here. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;
const MAX_PICTURE_BYTES = 64 * 1024 * 1024;

/** Redirects followed within the Base URL's origin for one attempt, at most. */
export const MAX_SAME_ORIGIN_REDIRECTS = 5;

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
