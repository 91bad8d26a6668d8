import { jsonParse } from 'n8n-workflow';

import type { StoreBlob } from './imageDestinations';
import { imageDestination } from './imageDestinations';
import { SkeletonParser } from './streamedJson/skeleton';

const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** JSON answers other than images (profiles, jobs) are small; a runaway answer is cut here. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;
const MAX_PICTURE_BYTES = 64 * 1024 * 1024;

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

/** Redirects followed within the Base URL's origin for one attempt, at most. */
export const MAX_SAME_ORIGIN_REDIRECTS = 5;

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

/** A response body n8n hands over as a stream (`encoding: 'stream'`). */
export interface BodyStream extends AsyncIterable<unknown> {
	destroy(error?: Error): unknown;
}

export function isBodyStream(body: unknown): body is BodyStream {
	return (
		!!body &&
		typeof body === 'object' &&
		Symbol.asyncIterator in body &&
		'destroy' in body &&
		typeof body.destroy === 'function'
	);
}

/** Frees the connection behind a response whose body nobody will read. */
export function discardBody(response: unknown): void {
	if (typeof response !== 'object' || response === null || !('body' in response)) return;
	if (isBodyStream(response.body)) response.body.destroy();
}

/** Reads a whole body stream into one Buffer, failing once it grows past `limitBytes`. */
export async function readAll(body: unknown, limitBytes: number): Promise<Buffer> {
	if (!isBodyStream(body)) return toBuffer(body);
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of body) {
		const buffer = toBuffer(chunk);
		size += buffer.length;
		if (size > limitBytes) {
			body.destroy();
			throw new Error(`the answer is larger than ${Math.round(limitBytes / 1048576)} MB`);
		}
		chunks.push(buffer);
	}
	return Buffer.concat(chunks);
}

/** The first `limitBytes` of a body (error answers are quoted, never held whole). */
export async function readHead(body: unknown, limitBytes: number): Promise<Buffer> {
	if (!isBodyStream(body)) return toBuffer(body).subarray(0, limitBytes);
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of body) {
		const buffer = toBuffer(chunk);
		chunks.push(buffer);
		size += buffer.length;
		if (size >= limitBytes) {
			body.destroy();
			break;
		}
	}
	return Buffer.concat(chunks).subarray(0, limitBytes);
}

/** A body or one chunk of it as a Buffer; a Uint8Array or ArrayBuffer is wrapped, not copied. */
export function toBuffer(body: unknown): Buffer {
	if (Buffer.isBuffer(body)) return body;
	if (typeof body === 'string') return Buffer.from(body, 'utf8');
	if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
	if (body instanceof ArrayBuffer) return Buffer.from(body);
	if (body === undefined || body === null) return Buffer.alloc(0);
	return Buffer.from(JSON.stringify(body));
}

/**
 * Parses a JSON answer as it streams in, decoding the base64 strings of its top-level `images` array
 * while they arrive. Four 4K images arrive as ~128 MB of base64 text; buffering, converting and
 * parsing that text would hold it three times over, so none of it is held: each image's bytes go
 * to `storeBlob` (n8n's binary store) as a stream while they are decoded, and what it returns takes
 * the image's place; without `storeBlob` the images are Buffers. Everything else is what
 * `JSON.parse` gives for the whole answer, however it is split into chunks: it is parsed by
 * JSON.parse at the end, from a skeleton of the answer with `null` for each image
 * (streamedJson/skeleton.ts; the base64 in base64Blob.ts; the images' way out in
 * imageDestinations.ts). Rejects with a clear message when the answer is truncated, is not JSON,
 * or holds an image that is not base64. Nothing from Node's 'stream' module: n8n's verified-node
 * scanner rejects it, so the input is an async iterable (a Node Readable is one).
 */
export async function parseJsonWithBase64Blobs(
	stream: AsyncIterable<unknown> | Iterable<unknown>,
	{ storeBlob }: { storeBlob?: StoreBlob } = {},
): Promise<unknown> {
	const images = imageDestination(stream, storeBlob);
	const parser = new SkeletonParser((bytes, path) => images.add(bytes, path));
	try {
		for await (const chunk of stream) {
			const bytes = toBuffer(chunk);
			// The parser stops after each image: it is stored before the next one is decoded.
			for (let position = 0; position < bytes.length; ) {
				position = parser.write(bytes, position);
				await images.roomForMore();
				const blob = parser.takeFinishedBlob();
				if (blob) blob.replaceWith(await images.finish(blob.path));
			}
		}
		return parser.end();
	} finally {
		// An image cut short by a failure fails in the store too (nothing when all went well).
		images.abort();
	}
}
