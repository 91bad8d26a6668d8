import type { INodeProperties } from 'n8n-workflow';

import { binaryPropertyOption } from '../../helpers/binary';
import { optionsCollection } from '../../helpers/descriptions';
import type { ImageEndpoint } from '../../helpers/interfaces';
import type { NumberRule } from '../../helpers/parameterValues';
import { fromAI } from '../../helpers/toolMode';

/** Resolutions each base model supports (Phota guides/base-models). */
export const BASE_MODEL_RESOLUTIONS: Record<string, string[]> = {
	nb2: ['1K', '2K', '4K'],
	'gpt-image-2': ['1K', '2K', '4K'],
	'qwen-image-2': ['1K', '2K'],
	'flux-2': ['1K', '2K'],
	reve: ['1K'],
};
export const ASPECT_RATIOS = ['auto', '1:1', '3:4', '4:3', '9:16', '16:9'];
export const QUALITY_MODEL = 'gpt-image-2';

/** Endpoints that let the caller pick model, aspect ratio and resolution (enhance/remix are pinned). */
export const MODEL_ENDPOINTS: ImageEndpoint[] = ['edit', 'generate'];

export const NUMBER_OF_IMAGES: NumberRule = {
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
