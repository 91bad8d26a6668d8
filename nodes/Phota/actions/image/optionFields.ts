import type { INodeProperties } from 'n8n-workflow';

import {
	binaryPropertyOption,
	optionsCollection,
	requestOptions,
} from '../../helpers/descriptions';
import { spendingOptions } from '../../helpers/spending';
import { fromAI } from '../../helpers/toolMode';
import type { ImageToolArgument } from './options';
import {
	ASPECT_RATIOS,
	JOB_MAX_WAIT_MINUTES,
	JOB_POLL_SECONDS,
	NUMBER_OF_IMAGES,
	TOOL_ARGUMENT_PARAMETERS,
} from './options';

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
			displayName: 'Async Job',
			name: 'async',
			type: 'options',
			// false and true are the values of the boolean option this replaced: saved workflows keep their meaning.
			options: [
				{
					name: "Off: Wait for Phota's Answer",
					value: false,
					description:
						'One request that answers with the images. If Phota ends it at its time limit (504, refunded), the node sends it again as a job and waits for it.',
				},
				{
					name: 'Submit and Wait Here (Recommended)',
					value: 'wait',
					description:
						'For slow models, 4K and large batches: each item becomes a Phota job that this node polls until its images are ready. A resend after a lost answer is never billed twice.',
				},
				{
					name: 'Submit and Return the Job ID',
					value: true,
					description:
						'Fire and forget: outputs job_id at once. A Phota Trigger receives the images (set Callback URL), or read them later with Job → Get.',
				},
			],
			default: false,
		},
		{
			displayName: 'Callback URL',
			name: 'callbackUrl',
			type: 'string',
			default: '',
			placeholder: 'https://your-n8n.example.com/webhook/…/phota',
			description:
				'Where Phota POSTs the finished job: paste the Production URL of a Phota Trigger node (open the trigger, Webhook URLs → Production URL). Job → Get stays the record if a callback is lost.',
			displayOptions: { show: { async: [true] } },
		},
		{
			displayName: 'Job Max Wait (Minutes)',
			name: 'jobMaxWait',
			type: 'number',
			typeOptions: {
				minValue: JOB_MAX_WAIT_MINUTES.min,
				maxValue: JOB_MAX_WAIT_MINUTES.max,
				numberPrecision: 1,
			},
			default: 30,
			description:
				'How long to wait for a job before the item fails with its job_id (the job may still finish: read it with Job → Get)',
			displayOptions: { show: { async: ['wait'] } },
		},
		{
			displayName: 'Job Poll Interval (Seconds)',
			name: 'jobPollInterval',
			type: 'number',
			typeOptions: { minValue: JOB_POLL_SECONDS.min, maxValue: JOB_POLL_SECONDS.max },
			default: 5,
			description: 'How often to ask Phota whether a job has finished',
			displayOptions: { show: { async: ['wait'] } },
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
				'How the images come back. A job always answers with URLs, which are downloaded unless you choose URLs only.',
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
