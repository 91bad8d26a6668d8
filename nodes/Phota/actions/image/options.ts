import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { binaryPropertyOption } from '../../helpers/descriptions';
import { optionsCollection, requestOptions } from '../../helpers/descriptions';
import type { NumberRule } from '../../helpers/settings';
import {
	isHttpsUrl,
	isToolRun,
	outputBinaryField,
	readBoolean,
	readNumber,
} from '../../helpers/settings';
import { fromAI } from '../../helpers/toolMode';
import { ASPECT_RATIOS, MODEL_OPTION_NAMES, modelOptions, readModelSettings } from './model';

export const NUMBER_OF_IMAGES: NumberRule = {
	label: 'Number of Images',
	min: 1,
	max: 4,
	integer: true,
	fallback: 1,
};

export type Delivery = 'binary' | 'urlsThenBinary' | 'urls';
const DELIVERIES: Delivery[] = ['binary', 'urlsThenBinary', 'urls'];

function isDelivery(value: unknown): value is Delivery {
	return DELIVERIES.some((delivery) => delivery === value);
}

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
		...requestOptions,
	]);
}

/** Options the AI Agent's model sets, as tool arguments, when the node is a tool. */
export type ImageToolArgument = 'numberOfImages' | 'aspectRatio';

/**
 * Each tool argument's parameter. Top-level parameters, because the editor offers "let the model
 * define this" on neither a collection's entries nor dropdowns.
 */
const TOOL_ARGUMENTS: Record<ImageToolArgument, INodeProperties> = {
	numberOfImages: {
		displayName: 'Number of Images',
		name: 'toolNumberOfImages',
		type: 'string',
		default: fromAI('number_of_images', 'How many images to make, 1 to 4', 'number'),
		description: 'Set by the model by default; replaces Options → Number of Images',
	},
	aspectRatio: {
		displayName: 'Aspect Ratio',
		name: 'toolAspectRatio',
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

/**
 * What an operation offers among its Options beyond what all four share: the model options
 * (`chooseModel`; on a fixed model they are refused, naming the operation), and the tool arguments.
 */
export type ImageOptionRules = { toolArguments: ImageToolArgument[] } & (
	| { chooseModel: true }
	| { chooseModel: false; operationName: string }
);

export interface ImageRequestSettings {
	/** Fields sent to Phota as they are. */
	body: IDataObject;
	delivery: Delivery;
	async: boolean;
	binaryPropertyOutput: string;
	allowOtherProfiles: boolean;
}

/** Reads and checks the Options collection of item `itemIndex`; throws before any request is made. */
export function readImageSettings(
	this: IExecuteFunctions,
	itemIndex: number,
	rules: ImageOptionRules,
): ImageRequestSettings {
	const asTool = isToolRun(this);
	const options = {
		...(this.getNodeParameter('options', itemIndex, {}) as IDataObject),
		...(asTool ? readToolArguments.call(this, rules.toolArguments, itemIndex) : {}),
	};
	const fail = (message: string, description?: string) =>
		new NodeOperationError(this.getNode(), message, { itemIndex, description });

	const numberOfImages = readNumber.call(this, options.numberOfImages, NUMBER_OF_IMAGES, itemIndex);
	const outputFormat = String(options.outputFormat ?? 'png');
	if (!['png', 'jpg'].includes(outputFormat))
		throw fail(`Output Format "${outputFormat}" is not one of png, jpg`);

	const isAsync = readBoolean.call(
		this,
		options.async,
		{ label: 'Async (Return Job ID)', fallback: false },
		itemIndex,
	);
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
	const delivery = isAsync ? 'urls' : readDelivery(options.delivery, asTool, fail);

	const body: IDataObject = {
		num_output_images: numberOfImages,
		output_format: outputFormat,
		response_mode: delivery === 'binary' ? 'bytes' : 'urls',
	};
	if (rules.chooseModel) {
		Object.assign(body, readModelSettings(options, fail));
	} else {
		for (const pinned of MODEL_OPTION_NAMES) {
			if (options[pinned] !== undefined) {
				throw fail(
					`The ${rules.operationName} operation does not take the option "${pinned}"`,
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
		binaryPropertyOutput: outputBinaryField(options),
		allowOtherProfiles: readBoolean.call(
			this,
			options.allowOtherProfilesInPrompt,
			{ label: 'Allow Other Profiles in Prompt', fallback: false },
			itemIndex,
		),
	};
}

/** Image Delivery when not async (async always answers with URLs). */
function readDelivery(value: unknown, asTool: boolean, fail: (message: string) => Error): Delivery {
	const delivery = value ?? (asTool ? 'urls' : 'binary');
	if (!isDelivery(delivery)) throw fail(`Image Delivery "${String(delivery)}" is not supported`);
	// Binary data never reaches an AI Agent's model: a tool keeps the download URL in what it returns.
	return asTool && delivery === 'binary' ? 'urlsThenBinary' : delivery;
}

/** The tool arguments the model set, as the Options they replace (unset ones leave those as set). */
function readToolArguments(
	this: IExecuteFunctions,
	toolArguments: ImageToolArgument[],
	itemIndex: number,
): IDataObject {
	const values: IDataObject = {};
	for (const option of toolArguments) {
		const value = this.getNodeParameter(
			TOOL_ARGUMENTS[option].name,
			itemIndex,
			'',
		) as IDataObject[string];
		if (value !== '' && value !== undefined && value !== null) values[option] = value;
	}
	return values;
}
