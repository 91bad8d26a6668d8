import type { Readable } from 'stream';

/** A string longer than this that is base64 is decoded while it streams in, never held as text. */
const LARGE_STRING_BYTES = 64 * 1024;
const BLOB_MARK = '\u0000phota-blob:';
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const BASE64_BYTE = /^[A-Za-z0-9+/=\\]*$/;

/**
 * Parses a JSON response as it streams in, turning every large base64 string (Phota's images in
 * bytes mode) into a Buffer. Four 4K images arrive as ~60 MB of base64 text; buffering, converting
 * and parsing that text would hold it three times over, while this holds only the decoded bytes.
 */
export async function parseJsonWithBase64Blobs(stream: Readable): Promise<unknown> {
	const skeleton: Buffer[] = [];
	const blobs: Buffer[] = [];
	let inString = false;
	let escaped = false;
	let text: Buffer[] = [];
	let textLength = 0;
	let blob: Base64Decoder | undefined;
	/** The current string was found to be large but not base64: it stays text. */
	let plainText = false;

	const addStringContent = (content: Buffer) => {
		if (blob) return blob.write(content);
		text.push(content);
		textLength += content.length;
		if (plainText || textLength <= LARGE_STRING_BYTES) return;
		const soFar = Buffer.concat(text);
		if (!BASE64_BYTE.test(soFar.toString('latin1'))) {
			plainText = true;
			return;
		}
		blob = new Base64Decoder();
		blob.write(soFar);
		text = [];
	};
	const endString = () => {
		if (blob) {
			blobs.push(blob.end());
			skeleton.push(Buffer.from(JSON.stringify(`${BLOB_MARK}${blobs.length - 1}`)));
		} else {
			skeleton.push(Buffer.from('"'), ...text, Buffer.from('"'));
		}
		text = [];
		textLength = 0;
		blob = undefined;
		plainText = false;
	};

	for await (const chunk of stream) {
		const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
		let position = 0;
		while (position < bytes.length) {
			if (!inString) {
				const quote = bytes.indexOf(QUOTE, position);
				skeleton.push(bytes.subarray(position, quote === -1 ? bytes.length : quote));
				if (quote === -1) break;
				inString = true;
				position = quote + 1;
				continue;
			}
			// Inside a string: find its closing quote, skipping escaped characters.
			let end = -1;
			let scan = position;
			while (scan < bytes.length) {
				if (escaped) {
					escaped = false;
					scan += 1;
					continue;
				}
				const quote = bytes.indexOf(QUOTE, scan);
				const backslash = bytes.indexOf(BACKSLASH, scan);
				if (backslash !== -1 && (quote === -1 || backslash < quote)) {
					escaped = true;
					scan = backslash + 1;
					continue;
				}
				end = quote;
				break;
			}
			addStringContent(bytes.subarray(position, end === -1 ? bytes.length : end));
			if (end === -1) break;
			endString();
			inString = false;
			position = end + 1;
		}
	}
	if (inString) throw new Error('The response ended in the middle of a string');

	const parsed = JSON.parse(Buffer.concat(skeleton).toString('utf8')) as unknown;
	return blobs.length ? restoreBlobs(parsed, blobs) : parsed;
}

function restoreBlobs(value: unknown, blobs: Buffer[]): unknown {
	if (typeof value === 'string' && value.startsWith(BLOB_MARK)) {
		return blobs[Number(value.slice(BLOB_MARK.length))];
	}
	if (Array.isArray(value)) return value.map((entry) => restoreBlobs(entry, blobs));
	if (value && typeof value === 'object') {
		return Object.fromEntries(
			Object.entries(value).map(([key, entry]) => [key, restoreBlobs(entry, blobs)]),
		);
	}
	return value;
}

/** Decodes base64 text that arrives in pieces of any length. JSON's `\/` escape is undone. */
class Base64Decoder {
	private parts: Buffer[] = [];
	private pending = '';

	write(content: Buffer) {
		const characters = this.pending + content.toString('latin1').replace(/\\/g, '');
		const whole = characters.length - (characters.length % 4);
		this.parts.push(Buffer.from(characters.slice(0, whole), 'base64'));
		this.pending = characters.slice(whole);
	}

	end(): Buffer {
		if (this.pending) this.parts.push(Buffer.from(this.pending, 'base64'));
		const decoded = Buffer.concat(this.parts);
		this.parts = [];
		return decoded;
	}
}
