/**
 * Request bodies that carry input images. An image's bytes are read from n8n's binary data only
 * when its request is about to be sent, and written as base64 straight into the body's JSON bytes:
 * no base64 string of a whole image is made, nor JSON text of the whole body. Built as a JSON
 * object with base64 strings, ten 20 MB photos took 5.26× their size in n8n's memory
 * (BENCHMARKS.md, 7b): the strings, then the JSON text, then its bytes.
 */
import type { IDataObject } from 'n8n-workflow';
import { NodeOperationError, randomString } from 'n8n-workflow';

import type { PhotaContext } from './types';

/** An input image in a request body: how to read its bytes, and how many there are if known. */
export class ImageBytes {
	constructor(
		readonly read: () => Promise<Buffer>,
		readonly byteLength: number | undefined,
		/** Where it comes from, for errors and for `JSON.stringify` (e.g. a binary field's name). */
		readonly origin: string,
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

/**
 * The body as it is sent: unchanged when it holds no ImageBytes (n8n writes the JSON), otherwise
 * its JSON bytes with each image's base64 in place. Images may stand as top-level values or in
 * top-level arrays (`image`, `images`).
 */
export async function encodeJsonBody(
	this: PhotaContext,
	body: IDataObject | undefined,
	itemIndex: number | undefined,
): Promise<IDataObject | Buffer | undefined> {
	const holdsImage = (value: unknown) =>
		isImageBytes(value) || (Array.isArray(value) && value.some(isImageBytes));
	// Most requests carry no input image: those go out as they are, with nothing built.
	if (!body || !Object.values(body).some(holdsImage)) return body;
	const images: ImageBytes[] = [];
	const marker = `@@phota-image-${randomString(16)}-`;
	const placeholder = <V>(value: V): V | string =>
		isImageBytes(value) ? `${marker}${images.push(value) - 1}@@` : value;
	const withPlaceholders: IDataObject = {};
	for (const [key, value] of Object.entries(body)) {
		withPlaceholders[key] = Array.isArray(value) ? value.map(placeholder) : placeholder(value);
	}

	// "…@@phota-image-<nonce>-<n>@@…": text, image 0, text, image 1, …, text.
	const parts = JSON.stringify(withPlaceholders).split(new RegExp(`${marker}(\\d+)@@`));
	const sizes: number[] = [];
	for (const image of images) sizes.push(image.byteLength ?? (await image.read()).length);
	let total = 0;
	for (let index = 0; index < parts.length; index++) {
		total +=
			index % 2 === 0
				? Buffer.byteLength(parts[index], 'utf8')
				: 4 * Math.ceil(sizes[Number(parts[index])] / 3);
	}
	const encoded = Buffer.allocUnsafe(total);
	let offset = 0;
	for (let index = 0; index < parts.length; index++) {
		if (index % 2 === 0) {
			offset += encoded.write(parts[index], offset, 'utf8');
			continue;
		}
		const number = Number(parts[index]);
		const bytes = await images[number].read();
		if (bytes.length !== sizes[number]) {
			throw new NodeOperationError(
				this.getNode(),
				`The input image ${images[number].origin} is ${bytes.length} bytes, but its binary data says ${sizes[number]}`,
				{ itemIndex },
			);
		}
		for (let start = 0; start < bytes.length; start += SLICE_BYTES) {
			const slice = bytes.toString('base64', start, Math.min(start + SLICE_BYTES, bytes.length));
			offset += encoded.write(slice, offset, 'latin1');
		}
	}
	return encoded;
}
