import type { INodeProperties } from 'n8n-workflow';

import {
	binaryPropertyOption,
	optionsCollection,
	requestOptions,
} from '../../helpers/descriptions';
import { spendingOptions } from '../../helpers/spending';
import { fromAI } from '../../helpers/toolMode';
import type { ImageToolArgument } from './options';
import { ASPECT_RATIOS, NUMBER_OF_IMAGES, TOOL_ARGUMENT_PARAMETERS } from './options';

/** The fields of an image operation's Options and of its tool arguments (read by options.ts). */

/** Base Model, Resolution, Aspect Ratio and Quality, for an operation that lets the user choose. */
const modelOptions: INodeProperties[] = [
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
];

/**
 * An image operation's Options collection: with `chooseModel`, Base Model, Resolution, Aspect Ratio
 * and Quality first; then what all four share, ending with the request options of every operation.
 */
export function imageOptions({ chooseModel }: { chooseModel: boolean }): INodeProperties {
	return optionsCollection([
		...(chooseModel ? modelOptions : []),
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
		...spendingOptions({ images: true }),
		...requestOptions,
	]);
}

/**
 * Each tool argument's parameter. Top-level parameters, because the editor offers "let the model
 * define this" on neither a collection's entries nor dropdowns.
 */
const TOOL_ARGUMENTS: Record<ImageToolArgument, INodeProperties> = {
	numberOfImages: {
		displayName: 'Number of Images',
		name: TOOL_ARGUMENT_PARAMETERS.numberOfImages,
		type: 'string',
		default: fromAI('number_of_images', 'How many images to make, 1 to 4', 'number'),
		description: 'Set by the model by default; replaces Options → Number of Images',
	},
	aspectRatio: {
		displayName: 'Aspect Ratio',
		name: TOOL_ARGUMENT_PARAMETERS.aspectRatio,
		type: 'string',
		default: fromAI(
			'aspect_ratio',
			`The images' aspect ratio, one of ${ASPECT_RATIOS.join(', ')}`,
			'string',
		),
		description: 'Set by the model by default; replaces Options → Aspect Ratio',
	},
};

export function imageToolArguments(toolArguments: ImageToolArgument[]): INodeProperties[] {
	return toolArguments.map((option) => TOOL_ARGUMENTS[option]);
}
