import type { IDataObject, INodeProperties } from 'n8n-workflow';

/**
 * Base Model, Resolution, Aspect Ratio and Quality: the Options of an operation that lets the user
 * choose the model (Edit, Generate). Phota runs the others (Enhance, Remix) on a fixed model.
 */

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

export const modelOptions: INodeProperties[] = [
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
