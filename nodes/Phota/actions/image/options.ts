import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { optionsCollection } from '../../helpers/descriptions';
import { binaryPropertyOption } from '../../helpers/binary';
import type { ImageEndpoint } from '../../helpers/interfaces';
import { isHttpsUrl } from '../../helpers/lists';
import type { NumberRule } from '../../helpers/numberParameter';
import { readNumber } from '../../helpers/numberParameter';
import { fromAI, isToolRun } from '../../helpers/toolMode';

export type Delivery = 'binary' | 'urlsThenBinary' | 'urls';

/** Resolutions each base model supports (Phota guides/base-models). */
export const BASE_MODEL_RESOLUTIONS: Record<string, string[]> = {
	nb2: ['1K', '2K', '4K'],
	'gpt-image-2': ['1K', '2K', '4K'],
	'qwen-image-2': ['1K', '2K'],
	'flux-2': ['1K', '2K'],
	reve: ['1K'],
};
const ASPECT_RATIOS = ['auto', '1:1', '3:4', '4:3', '9:16', '16:9'];
const QUALITY_MODEL = 'gpt-image-2';

/** Endpoints that let the caller pick model, aspect ratio and resolution (enhance/remix are pinned). */
const MODEL_ENDPOINTS: ImageEndpoint[] = ['edit', 'generate'];

export interface ImageRequestSettings {
	/** Fields sent to Phota as they are. */
	body: IDataObject;
	delivery: Delivery;
	async: boolean;
	binaryPropertyOutput: string;
	allowOtherProfiles: boolean;
}

const NUMBER_OF_IMAGES: NumberRule = {
	label: 'Number of Images',
	min: 1,
	max: 4,
	integer: true,
	fallback: 1,
};

/**
 * Arguments the model sets when the node is an AI Agent's tool. Top-level parameters, because the
 * editor offers "let the model define this" on neither a collection's entries nor dropdowns.
 */
export function imageToolArguments(endpoint: ImageEndpoint): INodeProperties[] {
	const toolArguments: INodeProperties[] = [
		{
			displayName: 'Number of Images',
			name: 'toolNumberOfImages',
			type: 'string',
			default: fromAI('number_of_images', 'How many images to make, 1 to 4', 'number'),
			description: 'Set by the model by default; replaces Options → Number of Images',
		},
	];
	if (MODEL_ENDPOINTS.includes(endpoint)) {
		toolArguments.push({
			displayName: 'Aspect Ratio',
			name: 'toolAspectRatio',
			type: 'string',
			default: fromAI(
				'aspect_ratio',
				`The images' aspect ratio, one of ${ASPECT_RATIOS.join(', ')}`,
				'string',
			),
			description: 'Set by the model by default; replaces Options → Aspect Ratio',
		});
	}
	return toolArguments;
}

export function imageOptionsDescription(
	endpoint: ImageEndpoint,
	extraOptions: INodeProperties[],
): INodeProperties {
	const modelOptions: INodeProperties[] = MODEL_ENDPOINTS.includes(endpoint)
		? [
				{
					displayName: 'Aspect Ratio',
					name: 'aspectRatio',
					type: 'options',
					options: ASPECT_RATIOS.map((ratio) => ({
						name: ratio === 'auto' ? 'Auto' : ratio,
						value: ratio,
					})),
					default: 'auto',
				},
				{
					displayName: 'Base Model',
					name: 'baseModel',
					type: 'options',
					options: [
						{ name: 'Flux 2 Dev (up to 2K)', value: 'flux-2' },
						{ name: 'GPT Image 2 (up to 4K, Token-Billed)', value: 'gpt-image-2' },
						{ name: 'Nano Banana 2 (up to 4K)', value: 'nb2' },
						{ name: 'Qwen Image 2 (up to 2K)', value: 'qwen-image-2' },
						{ name: 'Reve (1K Only)', value: 'reve' },
					],
					default: 'nb2',
				},
				{
					displayName: 'Quality',
					name: 'quality',
					type: 'options',
					options: [
						{ name: 'Auto', value: 'auto' },
						{ name: 'High', value: 'high' },
						{ name: 'Low', value: 'low' },
						{ name: 'Medium', value: 'medium' },
					],
					default: 'auto',
					description: 'Only for the GPT Image 2 base model',
				},
				{
					displayName: 'Resolution',
					name: 'resolution',
					type: 'options',
					options: [
						{ name: '1K', value: '1K' },
						{ name: '2K', value: '2K' },
						{ name: '4K', value: '4K' },
					],
					default: '1K',
					description: 'Output size. 4K needs Nano Banana 2 or GPT Image 2; Reve makes 1K only.',
				},
			]
		: [];

	return optionsCollection([
		...modelOptions,
		{
			displayName: 'Allow Other Profiles in Prompt',
			name: 'allowOtherProfilesInPrompt',
			type: 'boolean',
			default: false,
			description:
				"Whether the prompt may name profiles ([[profile_id]]) that are not chosen in Profiles. Off, text mapped into the prompt cannot bring in another person's profile.",
		},
		{
			displayName: 'Async (Return Job ID)',
			name: 'async',
			type: 'boolean',
			default: false,
			description:
				'Whether to queue the request and return its job ID at once instead of waiting for the images. Fetch the result with Job → Get. Useful for slow models or many images.',
		},
		{
			displayName: 'Callback URL',
			name: 'callbackUrl',
			type: 'string',
			default: '',
			placeholder: 'https://your-n8n.example.com/webhook/phota',
			description:
				'HTTPS URL Phota POSTs the finished job to (async only). Job → Get stays the reliable way to read it.',
			displayOptions: { show: { async: [true] } },
		},
		{
			displayName: 'Image Delivery',
			name: 'delivery',
			type: 'options',
			options: [
				{
					name: 'Binary Files',
					value: 'binary',
					description: 'Phota sends the images in its answer',
				},
				{
					name: 'Binary Files (Downloaded From URLs)',
					value: 'urlsThenBinary',
					description:
						'Phota answers with download URLs which the node downloads one by one; also outputs the URLs',
				},
				{
					name: 'Download URLs Only',
					value: 'urls',
					description: 'Output signed URLs (valid 24 hours) without downloading the images',
				},
			],
			default: 'binary',
			description:
				'How the images come back. In async mode Phota always answers with URLs, read later by Job → Get.',
		},
		{
			displayName: 'Number of Images',
			name: 'numberOfImages',
			type: 'number',
			typeOptions: { minValue: NUMBER_OF_IMAGES.min, maxValue: NUMBER_OF_IMAGES.max },
			default: 1,
			description:
				'How many variations to make for each input item (1–4); each becomes its own output item',
		},
		{
			displayName: 'Output Format',
			name: 'outputFormat',
			type: 'options',
			options: [
				{ name: 'PNG', value: 'png' },
				{ name: 'JPEG', value: 'jpg' },
			],
			default: 'png',
		},
		binaryPropertyOption,
		...extraOptions,
	]);
}

/** Reads and checks the Options collection of item `itemIndex`; throws before any request is made. */
export function readImageSettings(
	this: IExecuteFunctions,
	endpoint: ImageEndpoint,
	itemIndex: number,
): ImageRequestSettings {
	const asTool = isToolRun(this);
	const options = {
		...(this.getNodeParameter('options', itemIndex, {}) as IDataObject),
		...(asTool ? readToolArguments.call(this, endpoint, itemIndex) : {}),
	};
	const fail = (message: string, description?: string) =>
		new NodeOperationError(this.getNode(), message, { itemIndex, description });

	const numberOfImages = readNumber.call(this, options.numberOfImages, NUMBER_OF_IMAGES, itemIndex);
	const outputFormat = String(options.outputFormat ?? 'png');
	if (!['png', 'jpg'].includes(outputFormat))
		throw fail(`Output Format "${outputFormat}" is not one of png, jpg`);

	const isAsync = options.async === true;
	const callbackUrl = String(options.callbackUrl ?? '').trim();
	if (callbackUrl && !isAsync) {
		throw fail(
			'Callback URL only works with the Async option',
			'Turn on "Async (Return Job ID)" or remove the Callback URL.',
		);
	}
	if (callbackUrl && !isHttpsUrl(callbackUrl)) {
		throw fail(`Callback URL must be an https:// URL, got "${callbackUrl}"`);
	}
	let delivery = (
		isAsync ? 'urls' : ((options.delivery as Delivery | undefined) ?? (asTool ? 'urls' : 'binary'))
	) as Delivery;
	// Binary data never reaches an AI Agent's model: a tool keeps the download URL in what it returns.
	if (asTool && delivery === 'binary') delivery = 'urlsThenBinary';
	if (!['binary', 'urlsThenBinary', 'urls'].includes(delivery))
		throw fail(`Image Delivery "${delivery}" is not supported`);

	const body: IDataObject = {
		num_output_images: numberOfImages,
		output_format: outputFormat,
		response_mode: delivery === 'binary' ? 'bytes' : 'urls',
	};
	if (MODEL_ENDPOINTS.includes(endpoint)) {
		Object.assign(body, readModelSettings(options, fail));
	} else {
		for (const pinned of ['baseModel', 'resolution', 'aspectRatio', 'quality']) {
			if (options[pinned] !== undefined) {
				throw fail(
					`The ${endpoint} operation does not take the option "${pinned}"`,
					'Phota runs it on Nano Banana 2 at 2K.',
				);
			}
		}
	}
	if (isAsync) {
		body.async = true;
		if (callbackUrl) body.callback_url = callbackUrl;
	}

	return {
		body,
		delivery,
		async: isAsync,
		binaryPropertyOutput: String(options.binaryPropertyOutput ?? '') || 'data',
		allowOtherProfiles: options.allowOtherProfilesInPrompt === true,
	};
}

function readModelSettings(
	options: IDataObject,
	fail: (message: string, description?: string) => Error,
): IDataObject {
	const baseModel = String(options.baseModel ?? 'nb2');
	const resolutions = BASE_MODEL_RESOLUTIONS[baseModel];
	if (!resolutions) {
		throw fail(
			`Base Model "${baseModel}" is not one of ${Object.keys(BASE_MODEL_RESOLUTIONS).join(', ')}`,
		);
	}
	const resolution = String(options.resolution ?? '1K');
	if (!resolutions.includes(resolution)) {
		throw fail(
			`Resolution ${resolution} is not available with the base model ${baseModel}`,
			`${baseModel} supports ${resolutions.join(', ')}. Choose a lower resolution or another base model.`,
		);
	}
	const aspectRatio = String(options.aspectRatio ?? 'auto');
	if (!ASPECT_RATIOS.includes(aspectRatio))
		throw fail(`Aspect Ratio "${aspectRatio}" is not one of ${ASPECT_RATIOS.join(', ')}`);

	const settings: IDataObject = { base_model: baseModel, resolution, aspect_ratio: aspectRatio };
	if (options.quality !== undefined) {
		if (baseModel !== QUALITY_MODEL) {
			throw fail(
				`Quality only works with the GPT Image 2 base model, not ${baseModel}`,
				'Remove the Quality option or switch Base Model to GPT Image 2.',
			);
		}
		if (!['auto', 'low', 'medium', 'high'].includes(String(options.quality))) {
			throw fail(`Quality "${String(options.quality)}" is not one of auto, low, medium, high`);
		}
		settings.quality = options.quality;
	}
	return settings;
}

/** Where each tool argument goes among the Options. */
const OPTION_OF_TOOL_ARGUMENT: Record<string, string> = {
	toolNumberOfImages: 'numberOfImages',
	toolAspectRatio: 'aspectRatio',
};

function readToolArguments(
	this: IExecuteFunctions,
	endpoint: ImageEndpoint,
	itemIndex: number,
): IDataObject {
	const toolArguments: IDataObject = {};
	for (const { name } of imageToolArguments(endpoint)) {
		const value = this.getNodeParameter(name, itemIndex, '') as IDataObject[string];
		if (value !== '' && value !== undefined && value !== null)
			toolArguments[OPTION_OF_TOOL_ARGUMENT[name]] = value;
	}
	return toolArguments;
}
