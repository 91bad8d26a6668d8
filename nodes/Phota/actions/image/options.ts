/**
 * Reading an image operation's Options (and, as a tool, the arguments the model set) into the
 * request's fields, checked before any request is made. The fields themselves: optionFields.ts.
 */

import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { JobMode } from '../../helpers/imageJobs';
import { isCallbackUrl } from '../../helpers/lists';
import type { NumberRule } from '../../helpers/settings';
import {
	invalidValue,
	isToolRun,
	outputBinaryField,
	readBoolean,
	readNumber,
} from '../../helpers/settings';

export const NUMBER_OF_IMAGES: NumberRule = {
	label: 'Number of Images',
	min: 1,
	max: 4,
	integer: true,
	fallback: 1,
};

export type Delivery = 'binary' | 'urlsThenBinary' | 'urls';

export const JOB_POLL_SECONDS: NumberRule = {
	label: 'Job Poll Interval (Seconds)',
	min: 1,
	max: 300,
	fallback: 5,
};
export const JOB_MAX_WAIT_MINUTES: NumberRule = {
	label: 'Job Max Wait (Minutes)',
	min: 0.1,
	max: 24 * 60,
	fallback: 30,
};
const DELIVERIES: Delivery[] = ['binary', 'urlsThenBinary', 'urls'];

function isDelivery(value: unknown): value is Delivery {
	return DELIVERIES.some((delivery) => delivery === value);
}

/** Resolutions each base model supports (Phota guides/base-models). */
const BASE_MODEL_RESOLUTIONS: Record<string, string[]> = {
	nb2: ['1K', '2K', '4K'],
	'gpt-image-2': ['1K', '2K', '4K'],
	'qwen-image-2': ['1K', '2K'],
	'flux-2': ['1K', '2K'],
	reve: ['1K'],
};
export const ASPECT_RATIOS = ['auto', '1:1', '3:4', '4:3', '9:16', '16:9'];
const QUALITY_MODEL = 'gpt-image-2';

/** The model's options, refused by an operation on a fixed model (in the order checked). */
export const MODEL_OPTION_NAMES = ['baseModel', 'resolution', 'aspectRatio', 'quality'];

/** Options the AI Agent's model sets, as tool arguments, when the node is a tool. */
export type ImageToolArgument = 'numberOfImages' | 'aspectRatio';

/** The top-level parameter of each tool argument (see optionFields.ts). */
export const TOOL_ARGUMENT_PARAMETERS: Record<ImageToolArgument, string> = {
	numberOfImages: 'toolNumberOfImages',
	aspectRatio: 'toolAspectRatio',
};

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
	/** How many images the request asks for (Number of Images). */
	imageCount: number;
	delivery: Delivery;
	job: JobMode;
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

	const jobMode = readJobMode.call(this, options, itemIndex);
	const callbackUrl = String(options.callbackUrl ?? '').trim();
	if (callbackUrl && jobMode.kind !== 'returnJobId') {
		throw fail(
			'Callback URL only works when Async Job is "Submit and Return the Job ID"',
			'Set Async Job to return the job ID (a Phota Trigger then receives the result), or remove the Callback URL.',
		);
	}
	if (callbackUrl && !isCallbackUrl(callbackUrl)) {
		throw fail(
			`Callback URL must be an https:// URL, got "${callbackUrl}"`,
			"Paste the Production URL of a Phota Trigger node. If n8n runs on plain http behind an https proxy, set n8n's WEBHOOK_URL environment variable to the public https address so that the URL shown is the one to paste.",
		);
	}
	// A job's images always come as URLs; unless asked for URLs only, they are downloaded.
	const delivery =
		jobMode.kind === 'returnJobId' ? 'urls' : readDelivery(options.delivery, asTool, fail);

	const body: IDataObject = {
		num_output_images: numberOfImages,
		output_format: outputFormat,
		response_mode: delivery === 'binary' && jobMode.kind === 'off' ? 'bytes' : 'urls',
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
	if (jobMode.kind !== 'off') {
		body.async = true;
		if (callbackUrl) body.callback_url = callbackUrl;
	}

	return {
		body,
		imageCount: numberOfImages,
		delivery,
		job: jobMode,
		binaryPropertyOutput: outputBinaryField(options),
		allowOtherProfiles: readBoolean.call(
			this,
			options.allowOtherProfilesInPrompt,
			{ label: 'Allow Other Profiles in Prompt', fallback: false },
			itemIndex,
		),
	};
}

/**
 * Async Job's values: false and true are those of the boolean option it replaced ("Async (Return
 * Job ID)"), so that saved workflows keep their meaning; "wait" waits for the job here.
 */
function readJobMode(this: IExecuteFunctions, options: IDataObject, itemIndex: number): JobMode {
	const seconds = readNumber.call(this, options.jobPollInterval, JOB_POLL_SECONDS, itemIndex);
	const minutes = readNumber.call(this, options.jobMaxWait, JOB_MAX_WAIT_MINUTES, itemIndex);
	const wait = { pollIntervalMs: seconds * 1000, maxWaitMs: minutes * 60_000 };
	const value = typeof options.async === 'string' ? options.async.trim() : options.async;
	if (value === 'wait') return { kind: 'waitHere', wait };
	if (value === undefined || value === null || value === '' || value === false || value === 'false')
		return { kind: 'off', wait };
	if (value === true || value === 'true') return { kind: 'returnJobId', wait };
	throw invalidValue(this, 'Async Job', 'true, false or "wait"', options.async, itemIndex);
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
			TOOL_ARGUMENT_PARAMETERS[option],
			itemIndex,
			'',
		) as IDataObject[string];
		if (value !== '' && value !== undefined && value !== null) values[option] = value;
	}
	return values;
}

/** The request fields of the model options, checked against each other. */
export function readModelSettings(
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
