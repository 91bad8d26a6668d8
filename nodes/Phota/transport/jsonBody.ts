/**
 * Request bodies that carry input images. An image's bytes are read from n8n's binary data only
 * when its request is sent, and written as base64 straight into the body's JSON bytes: no base64
 * string of a whole image is made, nor JSON text of the whole body. Images in n8n's binary store
 * (filesystem, database, S3) are streamed from it while the body is sent, so the body is never
 * whole in memory. Built as a JSON object with base64 strings, ten 20 MB photos took 5.26× their
 * size in n8n's memory (BENCHMARKS.md, 7b): the strings, then the JSON text, then its bytes.
 */
import type { IDataObject } from 'n8n-workflow';
import { NodeOperationError, randomString } from 'n8n-workflow';

import type { NodeReadable } from './bodyStreams';
import { streamFromOf, toBuffer } from './bodyStreams';
import type { PhotaContext } from './types';

/** An input image in a request body: how to read its bytes, and how many there are if known. */
export class ImageBytes {
	constructor(
		readonly read: () => Promise<Buffer>,
		readonly byteLength: number | undefined,
		/** Where it comes from, for errors and for `JSON.stringify` (e.g. a binary field's name). */
		readonly origin: string,
		/** When the image is in n8n's binary store: its bytes as a stream, in chunks of `chunkBytes`. */
		readonly openStream?: (chunkBytes: number) => Promise<NodeReadable>,
	) {}

	toJSON(): string {
		return `<image bytes of ${this.origin}>`;
	}
}

function isImageBytes(value: unknown): value is ImageBytes {
	return value instanceof ImageBytes;
}

/** Base64 is written from slices of this many bytes (a multiple of 3): 256 KB strings at a time. */
const SLICE_BYTES = 3 * 64 * 1024;

/** A body's JSON text around its images: text, image 0, text, image 1, …, text. */
interface BodyParts {
	texts: string[];
	images: ImageBytes[];
	/** Each image's byte length, checked against the bytes read. */
	sizes: number[];
	byteLength: number;
	/** The error for an image whose bytes are not as many as its binary data said. */
	wrongSize: (image: ImageBytes, bytesRead: number, bytesExpected: number) => Error;
}

/**
 * A body sent as a stream, made afresh for each attempt (a stream is read once): its JSON text,
 * with each image's base64 written as the image is read from n8n's binary store.
 */
export class StreamedJsonBody {
	constructor(private readonly parts: BodyParts) {}

	get byteLength(): number {
		return this.parts.byteLength;
	}

	/** The body as a stream; the images are opened only when the body reaches them. */
	async open(): Promise<NodeReadable> {
		const parts = this.parts;
		const first = parts.images.find((image) => image.openStream);
		if (!first?.openStream) throw new Error('a streamed body needs an image in the binary store');
		const firstStream = await first.openStream(SLICE_BYTES);
		const streamFrom = streamFromOf(firstStream);
		if (!streamFrom) {
			firstStream.destroy();
			throw new Error('the binary store did not return a Node stream');
		}
		const body = writeBody(parts, async (image) =>
			image === first
				? firstStream
				: image.openStream
					? await image.openStream(SLICE_BYTES)
					: [await image.read()],
		);
		const upload = streamFrom(body);
		// Closed early (an early answer, a failure): the first image's file is closed even if unread.
		upload.once('close', () => firstStream.destroy());
		return upload;
	}
}

/**
 * Whether a request body holds input images (ImageBytes), as top-level values or in top-level
 * arrays (`image`, `images`). Most requests carry none: those go out as they are (n8n writes the
 * JSON), and encodeJsonBody is not needed.
 */
export function holdsImageBytes(body: IDataObject | undefined): body is IDataObject {
	const holdsImage = (value: unknown) =>
		isImageBytes(value) || (Array.isArray(value) && value.some(isImageBytes));
	return body !== undefined && Object.values(body).some(holdsImage);
}

/**
 * A body that holds input images (holdsImageBytes), as it is sent: streamed when an image is in
 * n8n's binary store, otherwise its JSON bytes with each image's base64 in place.
 */
export async function encodeJsonBody(
	this: PhotaContext,
	body: IDataObject,
	itemIndex: number | undefined,
): Promise<Buffer | StreamedJsonBody> {
	const wrongSize = (image: ImageBytes, bytesRead: number, bytesExpected: number) =>
		new NodeOperationError(
			this.getNode(),
			`The input image ${image.origin} is ${bytesRead} bytes, but its binary data says ${bytesExpected}`,
			{ itemIndex },
		);
	const parts = await splitAroundImages(body, wrongSize);
	if (parts.images.some((image) => image.openStream)) return new StreamedJsonBody(parts);
	const encoded = Buffer.allocUnsafe(parts.byteLength);
	let offset = 0;
	for await (const piece of writeBody(parts, async (image) => [await image.read()])) {
		offset += encoded.write(piece, offset, 'utf8');
	}
	return encoded;
}

async function splitAroundImages(
	body: IDataObject,
	wrongSize: BodyParts['wrongSize'],
): Promise<BodyParts> {
	const images: ImageBytes[] = [];
	const marker = `@@phota-image-${randomString(16)}-`;
	const placeholder = <V>(value: V): V | string =>
		isImageBytes(value) ? `${marker}${images.push(value) - 1}@@` : value;
	const withPlaceholders: IDataObject = {};
	for (const [key, value] of Object.entries(body)) {
		withPlaceholders[key] = Array.isArray(value) ? value.map(placeholder) : placeholder(value);
	}
	// The images stand in the text in the order they were numbered.
	const texts = JSON.stringify(withPlaceholders).split(new RegExp(`${marker}\\d+@@`));
	const sizes: number[] = [];
	for (const image of images) sizes.push(image.byteLength ?? (await image.read()).length);
	let byteLength = 0;
	for (const text of texts) byteLength += Buffer.byteLength(text, 'utf8');
	for (const size of sizes) byteLength += 4 * Math.ceil(size / 3);
	return { texts, images, sizes, byteLength, wrongSize };
}

/**
 * The body in order, as strings to write as UTF-8: its JSON text, and each image's base64 from
 * the chunks `read` gives.
 */
async function* writeBody(
	parts: BodyParts,
	read: (image: ImageBytes) => Promise<AsyncIterable<unknown> | Iterable<unknown>>,
): AsyncGenerator<string> {
	for (const [index, text] of parts.texts.entries()) {
		yield text;
		const image = parts.images[index];
		if (!image) continue;
		const expected = parts.sizes[index];
		// Base64 of 3-byte groups: up to 2 bytes of a chunk wait for the next one.
		let carried: Buffer = Buffer.alloc(0);
		let bytesRead = 0;
		for await (const chunk of await read(image)) {
			const bytes = carried.length ? Buffer.concat([carried, toBuffer(chunk)]) : toBuffer(chunk);
			bytesRead += bytes.length - carried.length;
			const whole = bytes.length - (bytes.length % 3);
			for (let start = 0; start < whole; start += SLICE_BYTES) {
				const end = Math.min(start + SLICE_BYTES, whole);
				yield bytes.toString('base64', start, end);
			}
			carried = bytes.subarray(whole);
		}
		if (carried.length) yield carried.toString('base64');
		if (bytesRead !== expected) throw parts.wrongSize(image, bytesRead, expected);
	}
}
