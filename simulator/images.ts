import { deflateSync } from 'node:zlib';

import { encodeFlatBlockJpeg, toYCbCr } from './jpegEncoder';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
	let c = n;
	for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	return c >>> 0;
});

function crc32(bytes: Buffer): number {
	let crc = 0xffffffff;
	for (let index = 0; index < bytes.length; index++)
		crc = CRC_TABLE[(crc ^ bytes[index]) & 0xff] ^ (crc >>> 8);
	return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
	const length = Buffer.alloc(4);
	length.writeUInt32BE(data.length);
	const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(body));
	return Buffer.concat([length, body, crc]);
}

export interface Dimensions {
	width: number;
	height: number;
}

/**
 * A real palette PNG of the placeholder picture (see pictureOf) in a colour derived from `seed`,
 * `size` pixels square or `{ width, height }`, optionally padded to `targetBytes`. Only the palette
 * depends on the seed: the compressed pixels are made once per size, so a 4K image costs a
 * palette, not a 4K encoding.
 */
export function makePng(seed: string, size: number | Dimensions = 32, targetBytes = 0): Buffer {
	const { width, height } = dimensionsOf(size);
	const header = Buffer.alloc(13);
	header.writeUInt32BE(width, 0);
	header.writeUInt32BE(height, 4);
	header[8] = 8; // bit depth
	header[9] = 3; // palette
	const parts = [
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		pngChunk('IHDR', header),
		pngChunk('PLTE', Buffer.from(paletteFor(colourFor(seed)).flat())),
		pngPixelChunk(width, height),
	];
	const current = parts.reduce((sum, part) => sum + part.length, 0) + 12;
	if (targetBytes > current + 12) {
		// Private ancillary chunk: decoders skip it, so the file stays a valid image of the wanted size.
		parts.push(pngChunk('phPd', Buffer.alloc(targetBytes - current - 12, seed.length & 0xff)));
	}
	parts.push(pngChunk('IEND', Buffer.alloc(0)));
	return Buffer.concat(parts);
}

/**
 * A real baseline JPEG of the placeholder picture in a colour derived from `seed` (8×8 blocks of
 * flat colour, see jpegEncoder.ts), `size` pixels square or `{ width, height }`, padded with COM
 * segments to `targetBytes`.
 */
export function makeJpeg(seed: string, size: number | Dimensions = 16, targetBytes = 0): Buffer {
	const { width, height } = dimensionsOf(size);
	const encoded = encodeFlatBlockJpeg({
		width,
		height,
		indexAt: pictureOf(width, height),
		colours: paletteFor(colourFor(seed)).map(toYCbCr),
	});
	const segments = [commentSegment(Buffer.from(`phota-sim ${seed}`))];
	let total = encoded.length + segments[0].length;
	while (targetBytes > total + 4) {
		const segment = commentSegment(Buffer.alloc(Math.min(65_000, targetBytes - total - 4), 0x20));
		segments.push(segment);
		total += segment.length;
	}
	return Buffer.concat([encoded.subarray(0, 2), ...segments, encoded.subarray(2)]);
}

function commentSegment(payload: Buffer): Buffer {
	const header = Buffer.from([0xff, 0xfe, 0, 0]);
	header.writeUInt16BE(payload.length + 2, 2);
	return Buffer.concat([header, payload]);
}

export function sniffImage(bytes: Buffer): 'png' | 'jpeg' | 'webp' | 'heic' | undefined {
	if (bytes.length > 8 && bytes.readUInt32BE(0) === 0x89504e47) return 'png';
	if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)
		return 'jpeg';
	if (
		bytes.length > 12 &&
		bytes.toString('ascii', 0, 4) === 'RIFF' &&
		bytes.toString('ascii', 8, 12) === 'WEBP'
	)
		return 'webp';
	if (bytes.length > 12 && bytes.toString('ascii', 4, 8) === 'ftyp') return 'heic';
	return undefined;
}

/** Width and height of a PNG or baseline/progressive JPEG (undefined for other files). */
export function imageDimensions(bytes: Buffer): Dimensions | undefined {
	const kind = sniffImage(bytes);
	if (kind === 'png' && bytes.length >= 24)
		return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
	if (kind !== 'jpeg') return undefined;
	let offset = 2;
	while (offset + 9 <= bytes.length && bytes[offset] === 0xff) {
		const marker = bytes[offset + 1];
		if (marker === 0xff) {
			offset++;
			continue;
		}
		// SOF0–SOF15 carry the size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
		if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker))
			return { height: bytes.readUInt16BE(offset + 5), width: bytes.readUInt16BE(offset + 7) };
		offset += 2 + bytes.readUInt16BE(offset + 2);
	}
	return undefined;
}

/** The bytes of an inline image input (raw base64 or a data: URI); undefined for anything else. */
export function inlineImageBytes(
	value: unknown,
	maxChars = Infinity,
): { bytes: Buffer; dataUri: boolean } | undefined {
	if (typeof value !== 'string' || /^https?:\/\/\S+$/.test(value)) return undefined;
	const dataUri = /^data:image\/[a-z+]+;base64,/i.exec(value);
	const base64 = dataUri ? value.slice(dataUri[0].length) : value;
	const chars = Math.min(base64.length, Math.floor(maxChars / 4) * 4);
	return { bytes: Buffer.from(base64.slice(0, chars), 'base64'), dataUri: dataUri !== null };
}

function dimensionsOf(size: number | Dimensions): Dimensions {
	return typeof size === 'number' ? { width: size, height: size } : size;
}

/** Per width×height: the IDAT chunk, made once (the sizes a simulator answers with are few). */
const pngPixelChunks = new Map<string, Buffer>();

function pngPixelChunk(width: number, height: number): Buffer {
	const key = `${width}x${height}`;
	let chunk = pngPixelChunks.get(key);
	if (!chunk) {
		if (pngPixelChunks.size >= 64) pngPixelChunks.clear();
		chunk = pngChunk('IDAT', pngPixels(width, height));
		pngPixelChunks.set(key, chunk);
	}
	return chunk;
}

const SUBJECT = 255;

/**
 * The placeholder picture, so outputs look like pictures: a soft diagonal gradient (palette index
 * 0–254 along x + y) with a round "subject" (index 255) in the middle. Plain arithmetic, no Math
 * calls: those are 80 times slower inside Jest, and this runs for every pixel of a new size.
 */
function pictureOf(width: number, height: number): (x: number, y: number) => number {
	const radiusSquared = (Math.min(width, height) * 0.22) ** 2;
	return (x, y) => {
		const dx = x - width / 2;
		const dy = y - height * 0.45;
		return dx * dx + dy * dy < radiusSquared ? SUBJECT : (((x + y) * 255) / (width + height)) | 0;
	};
}

/** The picture's PNG pixel data: each row Sub-filtered (mostly zeros), then deflated. */
function pngPixels(width: number, height: number): Buffer {
	const indexAt = pictureOf(width, height);
	const rows = Buffer.alloc(height * (width + 1));
	for (let y = 0; y < height; y++) {
		const start = y * (width + 1);
		rows[start] = 1; // filter type Sub: each byte minus the one to its left
		let left = 0;
		for (let x = 0; x < width; x++) {
			const index = indexAt(x, y);
			rows[start + 1 + x] = (index - left) & 0xff;
			left = index;
		}
	}
	return deflateSync(rows, { level: 9 });
}

/** Palette entries 0–254: the gradient's shades of `colour`; 255: the subject. */
function paletteFor(colour: [number, number, number]): Array<[number, number, number]> {
	const shades = Array.from(
		{ length: SUBJECT },
		(_, index) =>
			colour.map((channel) => Math.round(channel * (0.55 + 0.45 * (index / SUBJECT)))) as [
				number,
				number,
				number,
			],
	);
	const subject = colour.map((channel) => Math.round(255 - channel * 0.6)) as [
		number,
		number,
		number,
	];
	return [...shades, subject];
}

function colourFor(seed: string): [number, number, number] {
	let hash = 2166136261;
	for (const char of seed) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
	return [hash & 0xff, (hash >>> 8) & 0xff, (hash >>> 16) & 0xff];
}
