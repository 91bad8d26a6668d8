/**
 * Reading an answer the way its request asks for it (readAnswer): JSON, bytes, or JSON carrying
 * base64 images (`jsonWithBlobs`), read as it streams in (parseJsonWithBase64Blobs) with each image
 * going where it goes as it is decoded, piece by piece: streamed to n8n's binary store while the
 * answer still arrives, so no image is ever whole in this process; or gathered into one Buffer per
 * image when nothing stores them (or there is no Node stream to make a stream with).
 */
import { jsonParse } from 'n8n-workflow';

import type { StreamFrom } from './bodyStreams';
import { isBodyStream, readAll, readHead, streamFromOf, toBuffer } from './bodyStreams';
import { PIECE_BYTES } from './streamedJson/base64Blob';
import type { JsonPath } from './streamedJson/paths';
import { SkeletonParser } from './streamedJson/skeleton';
import type { Answer, AnswerEncoding, RawResponse, StoreBlob } from './types';

const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** JSON answers other than images (profiles, jobs) are small; a runaway answer is cut here. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;
const MAX_PICTURE_BYTES = 64 * 1024 * 1024;

export interface ImageDestination {
	/** The next decoded piece of the image at `path`. */
	add(bytes: Buffer, path: JsonPath): void;
	/** Settles once few enough pieces wait for the store to read more of the answer. */
	roomForMore(): Promise<void>;
	/** The image at `path` has ended: what takes its place in the answer. */
	finish(path: JsonPath): Promise<unknown>;
	/** The answer failed: an image on its way to the store fails too. */
	abort(): void;
}

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

/**
 * Parses a JSON answer as it streams in, decoding the base64 strings of its top-level `images` array
 * while they arrive. Four 4K images arrive as ~128 MB of base64 text; buffering, converting and
 * parsing that text would hold it three times over, so none of it is held: each image's bytes go
 * to `storeBlob` (n8n's binary store) as a stream while they are decoded, and what it returns takes
 * the image's place; without `storeBlob` the images are Buffers. Everything else is what
 * `JSON.parse` gives for the whole answer, however it is split into chunks: it is parsed by
 * JSON.parse at the end, from a skeleton of the answer with `null` for each image
 * (streamedJson/skeleton.ts; the base64 in base64Blob.ts; the images' way out below). Rejects with a clear message when the answer is truncated, is not JSON,
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

/** Streamed to `storeBlob` when `answer` is a Node stream (n8n's response body); else gathered. */
export function imageDestination(answer: unknown, storeBlob?: StoreBlob): ImageDestination {
	const streamFrom = storeBlob && streamFromOf(answer);
	return streamFrom ? new StreamedImages(streamFrom, storeBlob) : new GatheredImages(storeBlob);
}

class GatheredImages implements ImageDestination {
	private pieces: Buffer[] = [];

	constructor(private readonly storeBlob?: StoreBlob) {}

	add(bytes: Buffer): void {
		this.pieces.push(bytes);
	}

	async roomForMore(): Promise<void> {}

	async finish(path: JsonPath): Promise<unknown> {
		const bytes = Buffer.concat(this.pieces);
		this.pieces = [];
		return this.storeBlob ? await this.storeBlob({ data: bytes, head: bytes }, path) : bytes;
	}

	abort(): void {
		this.pieces = [];
	}
}

class StreamedImages implements ImageDestination {
	private upload: ImageUpload | undefined;

	constructor(
		private readonly streamFrom: StreamFrom,
		private readonly storeBlob: StoreBlob,
	) {}

	add(bytes: Buffer, path: JsonPath): void {
		// The store starts with the image's first piece, which tells its type.
		this.upload ??= new ImageUpload(this.streamFrom, { head: bytes, path }, this.storeBlob);
		this.upload.push(bytes);
	}

	async roomForMore(): Promise<void> {
		await this.upload?.roomForMore();
	}

	async finish(path: JsonPath): Promise<unknown> {
		const upload = this.upload;
		this.upload = undefined;
		if (upload) return await upload.finish();
		const empty = Buffer.alloc(0);
		return await this.storeBlob({ data: empty, head: empty }, path);
	}

	abort(): void {
		this.upload?.abort();
		this.upload = undefined;
	}
}

/** Decoded bytes that may wait for the store before the answer is read on. */
const MAX_WAITING_BYTES = 2 * PIECE_BYTES;

/** One image streamed to the store: the pieces wait here until the store's stream reads them. */
class ImageUpload {
	private readonly waiting: Buffer[] = [];
	private waitingBytes = 0;
	private ended = false;
	private aborted = false;
	/** The store has stopped reading, or has settled: nothing more will be read. */
	private readerDone = false;
	private wakeReader = () => {};
	private wakeWriter = () => {};
	private readonly stored: Promise<unknown>;

	constructor(
		streamFrom: StreamFrom,
		{ head, path }: { head: Buffer; path: JsonPath },
		storeBlob: StoreBlob,
	) {
		this.stored = storeBlob({ data: streamFrom(this.read()), head }, path);
		const readerDone = () => {
			this.readerDone = true;
			this.wakeWriter();
		};
		// finish() awaits it; after an abort nobody does.
		this.stored.then(readerDone, readerDone);
	}

	push(piece: Buffer): void {
		// A store that stopped reading has failed, or will: finish() says why.
		if (this.readerDone) return;
		this.waiting.push(piece);
		this.waitingBytes += piece.length;
		this.wakeReader();
	}

	async roomForMore(): Promise<void> {
		while (this.waitingBytes > MAX_WAITING_BYTES && !this.readerDone) {
			await new Promise<void>((resolve) => (this.wakeWriter = resolve));
		}
	}

	async finish(): Promise<unknown> {
		this.ended = true;
		this.wakeReader();
		return await this.stored;
	}

	abort(): void {
		this.aborted = true;
		this.wakeReader();
	}

	private async *read(): AsyncGenerator<Buffer> {
		try {
			for (;;) {
				if (this.aborted) throw new Error('the answer ended before this image did');
				const piece = this.waiting.shift();
				if (piece) {
					this.waitingBytes -= piece.length;
					this.wakeWriter();
					yield piece;
				} else if (this.ended) {
					return;
				} else {
					await new Promise<void>((resolve) => (this.wakeReader = resolve));
				}
			}
		} finally {
			this.readerDone = true;
			this.wakeWriter();
		}
	}
}
