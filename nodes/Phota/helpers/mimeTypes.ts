/** What type image bytes are: by their magic bytes first, then what a header declares. */

const SIGNATURES: Array<{ mimeType: string; matches: (bytes: Buffer) => boolean }> = [
	{ mimeType: 'image/png', matches: (b) => b.length > 8 && b.readUInt32BE(0) === 0x89504e47 },
	{
		mimeType: 'image/jpeg',
		matches: (b) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
	},
	{
		mimeType: 'image/webp',
		matches: (b) =>
			b.length > 12 &&
			b.toString('ascii', 0, 4) === 'RIFF' &&
			b.toString('ascii', 8, 12) === 'WEBP',
	},
	{
		mimeType: 'image/heic',
		matches: (b) =>
			b.length > 12 &&
			b.toString('ascii', 4, 8) === 'ftyp' &&
			/^(heic|heix|hevc|heim|heis|mif1|msf1)$/.test(b.toString('ascii', 8, 12)),
	},
];

/** The image type by its magic bytes, or undefined when the bytes are not an image Phota accepts. */
export function sniffImageMimeType(bytes: Buffer): string | undefined {
	return SIGNATURES.find((signature) => signature.matches(bytes))?.mimeType;
}

/** MIME type of a file Phota sent: the bytes decide, then the Content-Type header, then the fallback. */
export function outputMimeType(
	bytes: Buffer,
	contentType: string | undefined,
	fallback: string,
): string {
	return sniffImageMimeType(bytes) ?? declaredImageType(contentType) ?? fallback;
}

/** The image type a Content-Type header names, or undefined when it names no image. */
export function declaredImageType(contentType: string | undefined): string | undefined {
	const declared = contentType?.split(';')[0].trim();
	return declared?.startsWith('image/') ? declared : undefined;
}
