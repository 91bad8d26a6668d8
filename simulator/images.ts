import { deflateSync } from 'node:zlib';

import jpeg from 'jpeg-js';

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

/** A real RGB PNG filled with a colour derived from `seed`, optionally padded to `targetBytes`. */
export function makePng(seed: string, size = 32, targetBytes = 0): Buffer {
	const header = Buffer.alloc(13);
	header.writeUInt32BE(size, 0);
	header.writeUInt32BE(size, 4);
	header[8] = 8; // bit depth
	header[9] = 2; // truecolour
	const rowBytes = 1 + size * 3;
	const pixels = Buffer.alloc(size * rowBytes);
	paint(colourFor(seed), size, pixels, { rowBytes, rowStart: 1, stride: 3 });
	const parts = [
		Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		pngChunk('IHDR', header),
		pngChunk('IDAT', deflateSync(pixels)),
	];
	const current = parts.reduce((sum, part) => sum + part.length, 0) + 12;
	if (targetBytes > current + 12) {
		// Private ancillary chunk: decoders skip it, so the file stays a valid image of the wanted size.
		parts.push(pngChunk('phPd', Buffer.alloc(targetBytes - current - 12, seed.length & 0xff)));
	}
	parts.push(pngChunk('IEND', Buffer.alloc(0)));
	return Buffer.concat(parts);
}

/** A real baseline JPEG (encoded by jpeg-js) in a colour derived from `seed`, padded with COM segments. */
export function makeJpeg(seed: string, size = 16, targetBytes = 0): Buffer {
	const pixels = Buffer.alloc(size * size * 4, 255);
	paint(colourFor(seed), size, pixels, { rowBytes: size * 4, rowStart: 0, stride: 4 });
	const encoded = Buffer.from(jpeg.encode({ data: pixels, width: size, height: size }, 80).data);
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

/**
 * A soft diagonal gradient with a round "subject" in the middle, so outputs look like pictures: per
 * pixel of a `size` square, row by row, its diagonal (x + y), or −1 inside the subject. Worked out
 * once per size: a simulated API draws fresh images for every image request, and drawing must not
 * add to the latency it simulates.
 */
const patternBySize = new Map<number, Int32Array>();

function patternOf(size: number): Int32Array {
	let pattern = patternBySize.get(size);
	if (pattern) return pattern;
	pattern = new Int32Array(size * size);
	for (let y = 0; y < size; y++) {
		for (let x = 0; x < size; x++) {
			const dx = x - size / 2;
			const dy = y - size * 0.45;
			pattern[y * size + x] = dx * dx + dy * dy < (size * 0.22) ** 2 ? -1 : x + y;
		}
	}
	patternBySize.set(size, pattern);
	return pattern;
}

/**
 * Writes the picture's RGB in `colour` into `target`: row y starts at `y * rowBytes + rowStart`,
 * and pixels are `stride` bytes apart.
 */
function paint(
	colour: [number, number, number],
	size: number,
	target: Buffer,
	layout: { rowBytes: number; rowStart: number; stride: number },
): void {
	const pattern = patternOf(size);
	const subject = colour.map((channel) => Math.round(255 - channel * 0.6));
	// Each channel's value on each diagonal.
	const diagonals = colour.map((channel) =>
		Array.from({ length: 2 * size }, (_, diagonal) =>
			Math.round(channel * (0.55 + 0.45 * (diagonal / (2 * size)))),
		),
	);
	for (let y = 0; y < size; y++) {
		let offset = y * layout.rowBytes + layout.rowStart;
		for (let x = 0; x < size; x++, offset += layout.stride) {
			const diagonal = pattern[y * size + x];
			for (let channel = 0; channel < 3; channel++) {
				target[offset + channel] = diagonal < 0 ? subject[channel] : diagonals[channel][diagonal];
			}
		}
	}
}

function colourFor(seed: string): [number, number, number] {
	let hash = 2166136261;
	for (const char of seed) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
	return [hash & 0xff, (hash >>> 8) & 0xff, (hash >>> 16) & 0xff];
}
