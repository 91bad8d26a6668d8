/**
 * A minimal baseline JPEG encoder for the simulator's placeholder pictures: every 8×8 block is one
 * flat colour (only DC coefficients, each block ends at once), 4:2:0 chroma, Huffman tables where
 * "same as the block before" takes one bit. A 4096×2304 picture takes a few milliseconds and about
 * 55 KB, where jpeg-js's full encoder takes seconds and 280 KB.
 */

/** The picture: `colours` (YCbCr, see toYCbCr), the one at (x, y) being colours[indexAt(x, y)]. */
export interface IndexedPicture {
	width: number;
	height: number;
	indexAt: (x: number, y: number) => number;
	colours: Array<[number, number, number]>;
}

// DC categories 0–11: category 0 (no change) is '0'; the rest get 3, 5, 7 and 9 bit codes.
const DC_BITS = [1, 0, 3, 0, 3, 0, 3, 0, 2, 0, 0, 0, 0, 0, 0, 0];
// AC: only end-of-block (symbol 0x00), code '0'.
const AC_BITS = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/** Canonical Huffman codes of symbols 0, 1, … in order, as [code, length]. */
function canonicalCodes(bits: number[]): Array<[number, number]> {
	const codes: Array<[number, number]> = [];
	let code = 0;
	bits.forEach((count, index) => {
		for (let n = 0; n < count; n++) codes.push([code++, index + 1]);
		code <<= 1;
	});
	return codes;
}

const DC_CODES = canonicalCodes(DC_BITS);

class BitWriter {
	private bytes = Buffer.allocUnsafe(64 * 1024);
	private length = 0;
	private current = 0;
	private used = 0;

	/** Appends the low `length` bits (at most 24) of `value`. */
	write(value: number, length: number): void {
		this.current = (this.current << length) | (value & ((1 << length) - 1));
		this.used += length;
		while (this.used >= 8) {
			this.used -= 8;
			const byte = (this.current >> this.used) & 0xff;
			this.push(byte);
			if (byte === 0xff) this.push(0); // byte stuffing
		}
		this.current &= (1 << this.used) - 1;
	}

	finish(): Buffer {
		if (this.used > 0) this.write(0xff, 8 - this.used); // pad with 1-bits
		return this.bytes.subarray(0, this.length);
	}

	private push(byte: number): void {
		if (this.length === this.bytes.length) {
			const bigger = Buffer.allocUnsafe(this.bytes.length * 2);
			this.bytes.copy(bigger);
			this.bytes = bigger;
		}
		this.bytes[this.length++] = byte;
	}
}

function segment(marker: number, payload: number[]): Buffer {
	return Buffer.from([
		0xff,
		marker,
		(payload.length + 2) >> 8,
		(payload.length + 2) & 0xff,
		...payload,
	]);
}

/** JFIF's RGB → YCbCr. */
export function toYCbCr([r, g, b]: [number, number, number]): [number, number, number] {
	return [
		0.299 * r + 0.587 * g + 0.114 * b,
		128 - 0.168736 * r - 0.331264 * g + 0.5 * b,
		128 + 0.5 * r - 0.418688 * g - 0.081312 * b,
	];
}

/** Each 8×8 block (4:2:0 chroma: each 16×16) takes the colour of the pixel at its centre. */
export function encodeFlatBlockJpeg({ width, height, indexAt, colours }: IndexedPicture): Buffer {
	const out = new BitWriter();
	const previous = [0, 0, 0];
	// Quantiser 8 for DC: coefficient = sample − 128, so one step is one level.
	const coefficients = colours.map((colour) =>
		colour.map((sample) => Math.max(-128, Math.min(127, Math.round(sample) - 128))),
	);
	const writeBlock = (component: number, x: number, y: number) => {
		// No Math calls per block: inside Jest they are 80 times slower.
		const index = indexAt(x < width ? x : width - 1, y < height ? y : height - 1);
		const coefficient = coefficients[index][component];
		const diff = coefficient - previous[component];
		previous[component] = coefficient;
		if (diff === 0) {
			out.write(0b00, 2); // category 0, then end of block ('0')
			return;
		}
		let category = 0;
		for (let magnitude = diff < 0 ? -diff : diff; magnitude > 0; magnitude >>= 1) category++;
		const [code, length] = DC_CODES[category];
		out.write(code, length);
		out.write(diff > 0 ? diff : diff + (1 << category) - 1, category);
		out.write(0, 1); // end of block
	};
	for (let mcuY = 0; mcuY < height; mcuY += 16) {
		for (let mcuX = 0; mcuX < width; mcuX += 16) {
			writeBlock(0, mcuX + 4, mcuY + 4);
			writeBlock(0, mcuX + 12, mcuY + 4);
			writeBlock(0, mcuX + 4, mcuY + 12);
			writeBlock(0, mcuX + 12, mcuY + 12);
			writeBlock(1, mcuX + 8, mcuY + 8);
			writeBlock(2, mcuX + 8, mcuY + 8);
		}
	}
	const table = (classAndId: number, bits: number[]) => [
		classAndId,
		...bits,
		...Array.from({ length: bits.reduce((sum, count) => sum + count, 0) }, (_, symbol) => symbol),
	];
	return Buffer.concat([
		Buffer.from([0xff, 0xd8]),
		segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]), // JFIF 1.1
		segment(0xdb, [0, ...new Array<number>(64).fill(8)]),
		segment(0xc0, [
			8,
			height >> 8,
			height & 0xff,
			width >> 8,
			width & 0xff,
			3,
			...[1, 0x22, 0, 2, 0x11, 0, 3, 0x11, 0],
		]),
		segment(0xc4, [...table(0x00, DC_BITS), ...table(0x10, AC_BITS)]),
		segment(0xda, [3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]),
		out.finish(),
		Buffer.from([0xff, 0xd9]),
	]);
}
