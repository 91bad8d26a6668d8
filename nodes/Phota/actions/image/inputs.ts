import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { sniffImageMimeType } from '../../helpers/mimeTypes';
import { isHttpUrl, splitList, splitUrls } from '../../helpers/lists';
import { ImageBytes } from '../../transport';

/** The image types Phota accepts as input. */
export const ACCEPTED_INPUT_MIME_TYPES = [
	'image/png',
	'image/jpeg',
	'image/webp',
	'image/heic',
	'image/heif',
];

/** Where one input image comes from; resolved to base64 or passed as a URL only when the item runs. */
export type ImageSource = { kind: 'binary'; property: string } | { kind: 'url'; url: string };

/** Where an input image comes from, as a dry run shows it (nothing is loaded). */
export function describeSource(source: ImageSource): string {
	return source.kind === 'url' ? source.url : `binary field "${source.property}"`;
}

const MAX_EDIT_IMAGES = 10;

/** "Binary field or URL" pair of parameters for one image (enhance input, remix input/reference). */
export function singleImageProperties(
	name: string,
	label: string,
	description: string,
): INodeProperties[] {
	return [
		{
			displayName: `${label} Source`,
			name: `${name}Source`,
			type: 'options',
			options: [
				{ name: 'Binary File', value: 'binary' },
				{ name: 'URL', value: 'url' },
			],
			default: 'binary',
			description,
		},
		{
			displayName: `${label} Binary Field`,
			name: `${name}BinaryProperty`,
			type: 'string',
			default: 'data',
			required: true,
			hint: 'The name of the input binary field holding the image',
			displayOptions: { show: { [`${name}Source`]: ['binary'] } },
		},
		{
			displayName: `${label} URL`,
			name: `${name}Url`,
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://example.com/photo.jpg',
			displayOptions: { show: { [`${name}Source`]: ['url'] } },
		},
	];
}

export async function readSingleImage(
	this: IExecuteFunctions,
	name: string,
	label: string,
	itemIndex: number,
): Promise<ImageSource> {
	const source = this.getNodeParameter(`${name}Source`, itemIndex) as string;
	if (source === 'url') {
		return checkUrl.call(
			this,
			this.getNodeParameter(`${name}Url`, itemIndex) as string,
			`${label} URL`,
			itemIndex,
		);
	}
	const property = (this.getNodeParameter(`${name}BinaryProperty`, itemIndex) as string).trim();
	return await checkBinary.call(this, property, `${label} Binary Field`, itemIndex);
}

/** Edit's inputs: any number of binary fields plus any number of URLs, 1–10 in total. */
export async function readEditImages(
	this: IExecuteFunctions,
	itemIndex: number,
): Promise<ImageSource[]> {
	const properties = splitList(this.getNodeParameter('binaryProperties', itemIndex, '') as string);
	const urls = this.getNodeParameter('imageUrls', itemIndex, []) as string[] | string;
	const sources: ImageSource[] = [];
	for (const property of properties)
		sources.push(await checkBinary.call(this, property, 'Binary Fields', itemIndex));
	sources.push(
		...(Array.isArray(urls) ? urls : splitUrls(urls))
			.map((url) => String(url).trim())
			.filter(Boolean)
			.map((url) => checkUrl.call(this, url, 'Image URLs', itemIndex)),
	);
	if (sources.length === 0) {
		throw new NodeOperationError(
			this.getNode(),
			'No input image: Binary Fields and Image URLs are both empty',
			{
				itemIndex,
				description:
					'Name the binary field(s) that hold the photo to edit (usually "data"), or add an image URL.',
			},
		);
	}
	if (sources.length > MAX_EDIT_IMAGES) {
		throw new NodeOperationError(
			this.getNode(),
			`Too many input images: ${sources.length}; Phota edits at most ${MAX_EDIT_IMAGES} per request`,
			{ itemIndex, description: 'Split the images across several input items.' },
		);
	}
	return sources;
}

/**
 * What goes in an image field of the request: the URL itself, or the file's bytes, read from the
 * binary data and sent as raw base64 when the request goes out (ImageBytes).
 */
export function imageField(
	this: IExecuteFunctions,
	source: ImageSource,
	itemIndex: number,
): string | ImageBytes {
	if (source.kind === 'url') return source.url;
	const { property } = source;
	const { bytes, id } = this.helpers.assertBinaryData(itemIndex, property);
	return new ImageBytes(
		async () => await this.helpers.getBinaryDataBuffer(itemIndex, property),
		typeof bytes === 'number' && bytes > 0 ? bytes : undefined,
		`binary field "${property}" of input item ${itemIndex}`,
		// In n8n's binary store (not in memory): streamed from there as the request is sent.
		id ? async (chunkBytes) => await this.helpers.getBinaryStream(id, chunkBytes) : undefined,
	);
}

/** Files typed as generic binaries (e.g. application/octet-stream) are recognised by their bytes. */
const UNTYPED_MIME_TYPES = ['', 'application/octet-stream', 'binary/octet-stream'];

async function checkBinary(
	this: IExecuteFunctions,
	property: string,
	fieldLabel: string,
	itemIndex: number,
): Promise<ImageSource> {
	const item = this.getInputData()[itemIndex];
	if (!property || !item?.binary?.[property]) {
		const available = Object.keys(item?.binary ?? {});
		throw new NodeOperationError(
			this.getNode(),
			`${fieldLabel}: input item ${itemIndex} has no binary field "${property}"`,
			{
				itemIndex,
				description: available.length
					? `This item has the binary field(s): ${available.join(', ')}.`
					: 'This item has no binary data. Read the image first (e.g. with Read/Write Files from Disk or HTTP Request), or use a URL.',
			},
		);
	}
	const metadata = this.helpers.assertBinaryData(itemIndex, property);
	let mimeType = (metadata.mimeType ?? '').toLowerCase();
	// Untyped files, and image types under a non-standard name (image/jpg), are told by their bytes.
	if (
		UNTYPED_MIME_TYPES.includes(mimeType) ||
		(mimeType.startsWith('image/') && !ACCEPTED_INPUT_MIME_TYPES.includes(mimeType))
	) {
		mimeType =
			sniffImageMimeType(await this.helpers.getBinaryDataBuffer(itemIndex, property)) ?? mimeType;
	}
	if (!ACCEPTED_INPUT_MIME_TYPES.includes(mimeType)) {
		throw new NodeOperationError(
			this.getNode(),
			`${fieldLabel}: the file in "${property}" of item ${itemIndex} is not an image Phota accepts (${mimeType || 'unknown type'}${metadata.fileName ? `, ${metadata.fileName}` : ''})`,
			{ itemIndex, description: 'Phota accepts JPEG, PNG, WebP and HEIC/HEIF images.' },
		);
	}
	return { kind: 'binary', property };
}

function checkUrl(
	this: IExecuteFunctions,
	url: string,
	fieldLabel: string,
	itemIndex: number,
): ImageSource {
	const trimmed = url.trim();
	if (!isHttpUrl(trimmed)) {
		throw new NodeOperationError(
			this.getNode(),
			`${fieldLabel}: "${trimmed}" is not an http(s) URL`,
			{
				itemIndex,
				description: 'Give a publicly reachable image URL, or pass the image as binary data.',
			},
		);
	}
	return { kind: 'url', url: trimmed };
}
