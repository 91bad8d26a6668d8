import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { outputBinaryField } from '../../helpers/binary';
import type { ImageEndpoint } from '../../helpers/interfaces';
import { isHttpsUrl } from '../../helpers/lists';
import { readBoolean, readNumber } from '../../helpers/parameterValues';
import { isToolRun } from '../../helpers/toolMode';

export type Delivery = 'binary' | 'urlsThenBinary' | 'urls';
import {
	ASPECT_RATIOS,
	BASE_MODEL_RESOLUTIONS,
	imageToolArguments,
	MODEL_ENDPOINTS,
	NUMBER_OF_IMAGES,
	QUALITY_MODEL,
} from './optionFields';

export { imageOptionsDescription, imageToolArguments } from './optionFields';

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
		binaryPropertyOutput: outputBinaryField(options),
		allowOtherProfiles: readBoolean.call(
			this,
			options.allowOtherProfilesInPrompt,
			{ label: 'Allow Other Profiles in Prompt', fallback: false },
			itemIndex,
		),
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
