/**
 * An image operation's Options as read and checked before the request (readImageSettings): what is
 * sent to Phota, and what is refused. test/badInput.test.ts and test/phota.image.test.ts run a few
 * of these through whole workflows; here every base model × resolution pair and every rule is
 * checked on its own.
 */
import type { IDataObject } from 'n8n-workflow';

import type { ImageOptionRules } from '../../nodes/Phota/actions/image/options';
import { readImageSettings } from '../../nodes/Phota/actions/image/options';
import { fakeContext, nodeErrorOf, PHOTA_TOOL_TYPE } from './fakeContext';

/** What each image operation declares in its .operation.ts. */
const RULES: Record<'edit' | 'generate' | 'enhance' | 'remix', ImageOptionRules> = {
	edit: { chooseModel: true, toolArguments: ['numberOfImages', 'aspectRatio'] },
	generate: { chooseModel: true, toolArguments: ['numberOfImages', 'aspectRatio'] },
	enhance: { chooseModel: false, operationName: 'enhance', toolArguments: ['numberOfImages'] },
	remix: { chooseModel: false, operationName: 'remix', toolArguments: [] },
};
type Operation = keyof typeof RULES;

function read(
	options: IDataObject,
	operation: Operation = 'generate',
	{ tool = false, toolArguments = {} as IDataObject } = {},
) {
	const context = fakeContext({
		parameters: { options, ...toolArguments },
		nodeType: tool ? PHOTA_TOOL_TYPE : undefined,
	});
	return readImageSettings.call(context, 0, RULES[operation]);
}

function refusal(options: IDataObject, operation: Operation = 'generate') {
	return nodeErrorOf(() => read(options, operation)).message;
}

test('defaults: one PNG image in the answer, Nano Banana 2 at 1K, aspect ratio auto', () => {
	expect(read({})).toEqual({
		body: {
			num_output_images: 1,
			output_format: 'png',
			response_mode: 'bytes',
			base_model: 'nb2',
			resolution: '1K',
			aspect_ratio: 'auto',
		},
		imageCount: 1,
		delivery: 'binary',
		job: { kind: 'off', wait: { pollIntervalMs: 5000, maxWaitMs: 1_800_000 } },
		binaryPropertyOutput: 'data',
		allowOtherProfiles: false,
	});
});

describe('base model × resolution', () => {
	// From Phota's guide to base models, written out here rather than read from the module.
	const supported: Record<string, string[]> = {
		nb2: ['1K', '2K', '4K'],
		'gpt-image-2': ['1K', '2K', '4K'],
		'qwen-image-2': ['1K', '2K'],
		'flux-2': ['1K', '2K'],
		reve: ['1K'],
	};
	const pairs = Object.keys(supported).flatMap((model) =>
		['1K', '2K', '4K'].map((resolution) => [model, resolution] as const),
	);

	test.each(pairs)('%s at %s', (baseModel, resolution) => {
		if (supported[baseModel].includes(resolution)) {
			expect(read({ baseModel, resolution }, 'edit').body).toMatchObject({
				base_model: baseModel,
				resolution,
			});
		} else {
			expect(refusal({ baseModel, resolution }, 'edit')).toBe(
				`Resolution ${resolution} is not available with the base model ${baseModel}`,
			);
		}
	});

	test('an unknown base model or aspect ratio is refused, listing the valid ones', () => {
		expect(refusal({ baseModel: 'dall-e' })).toBe(
			'Base Model "dall-e" is not one of nb2, gpt-image-2, qwen-image-2, flux-2, reve',
		);
		expect(refusal({ aspectRatio: '2:1' })).toBe(
			'Aspect Ratio "2:1" is not one of auto, 1:1, 3:4, 4:3, 9:16, 16:9',
		);
		expect(read({ aspectRatio: '9:16' }).body.aspect_ratio).toBe('9:16');
	});
});

describe('quality', () => {
	test.each(['auto', 'low', 'medium', 'high'])('%s is sent with GPT Image 2', (quality) => {
		expect(read({ baseModel: 'gpt-image-2', quality }).body.quality).toBe(quality);
	});

	test('is refused with any other base model, and outside its values', () => {
		expect(refusal({ quality: 'high' })).toBe(
			'Quality only works with the GPT Image 2 base model, not nb2',
		);
		expect(refusal({ baseModel: 'flux-2', quality: 'low' })).toBe(
			'Quality only works with the GPT Image 2 base model, not flux-2',
		);
		expect(refusal({ baseModel: 'gpt-image-2', quality: 'ultra' })).toBe(
			'Quality "ultra" is not one of auto, low, medium, high',
		);
	});

	test('is not sent when not set', () => {
		expect(read({ baseModel: 'gpt-image-2' }).body).not.toHaveProperty('quality');
	});
});

test.each(['enhance', 'remix'] as const)(
	'%s runs on a fixed model: no model settings are sent, and setting one is refused',
	(endpoint) => {
		const { body } = read({}, endpoint);
		for (const field of ['base_model', 'resolution', 'aspect_ratio', 'quality'])
			expect(body).not.toHaveProperty(field);
		for (const option of ['baseModel', 'resolution', 'aspectRatio', 'quality']) {
			expect(refusal({ [option]: 'x' }, endpoint)).toBe(
				`The ${endpoint} operation does not take the option "${option}"`,
			);
		}
	},
);

describe('Async Job and the callback URL', () => {
	test('returning the job ID (true, as the old boolean option) asks for a job and URLs, whatever the delivery chosen; the callback URL is sent', () => {
		expect(
			read({ async: true, delivery: 'binary', callbackUrl: ' https://n8n.example.com/hook ' }),
		).toMatchObject({
			body: { async: true, callback_url: 'https://n8n.example.com/hook', response_mode: 'urls' },
			delivery: 'urls',
			job: { kind: 'returnJobId' },
		});
		expect(read({ async: true }).body).not.toHaveProperty('callback_url');
		expect(read({ async: 'true' }).job.kind).toBe('returnJobId');
		expect(read({ async: 'false' }).job.kind).toBe('off');
		expect(read({}).body).not.toHaveProperty('async');
	});

	test('waiting here asks for a job and URLs but keeps the delivery chosen (the URLs are downloaded); poll interval and max wait', () => {
		expect(read({ async: 'wait', jobPollInterval: 2, jobMaxWait: 0.5 })).toMatchObject({
			body: { async: true, response_mode: 'urls' },
			delivery: 'binary',
			job: { kind: 'waitHere', wait: { pollIntervalMs: 2000, maxWaitMs: 30_000 } },
		});
		expect(read({ async: 'wait' }).job.wait).toEqual({
			pollIntervalMs: 5000,
			maxWaitMs: 1_800_000,
		});
		expect(refusal({ async: 'wait', jobPollInterval: 0 })).toMatch(
			/^Job Poll Interval \(Seconds\)/,
		);
		expect(refusal({ async: 'later' })).toBe(
			'Async Job must be true, false or "wait", got "later"',
		);
	});

	test('a callback URL needs a job whose ID is returned, and https (plain http only to this machine); a blank one is ignored', () => {
		expect(refusal({ callbackUrl: 'https://n8n.example.com/hook' })).toBe(
			'Callback URL only works when Async Job is "Submit and Return the Job ID"',
		);
		expect(refusal({ async: 'wait', callbackUrl: 'https://n8n.example.com/hook' })).toBe(
			'Callback URL only works when Async Job is "Submit and Return the Job ID"',
		);
		expect(refusal({ async: true, callbackUrl: 'http://n8n.example.com/hook' })).toBe(
			'Callback URL must be an https:// URL, got "http://n8n.example.com/hook"',
		);
		expect(refusal({ async: true, callbackUrl: 'http://n8n.localhost/hook' })).toMatch(
			/^Callback URL must be an https:\/\/ URL/,
		);
		expect(
			read({ async: true, callbackUrl: 'http://127.0.0.1:40123/webhook/x/phota' }).body
				.callback_url,
		).toBe('http://127.0.0.1:40123/webhook/x/phota');
		expect(read({ callbackUrl: '  ' }).body).not.toHaveProperty('callback_url');
	});
});

describe('delivery, format, count and output field', () => {
	test.each([
		['binary', 'bytes'],
		['urlsThenBinary', 'urls'],
		['urls', 'urls'],
	])('delivery %s asks Phota for %s', (delivery, responseMode) => {
		const settings = read({ delivery });
		expect(settings.delivery).toBe(delivery);
		expect(settings.body.response_mode).toBe(responseMode);
	});

	test('values outside the lists are refused', () => {
		expect(refusal({ delivery: 'zip' })).toBe('Image Delivery "zip" is not supported');
		expect(refusal({ delivery: 5 })).toBe('Image Delivery "5" is not supported');
		// Async always answers with URLs: the delivery is not read.
		expect(read({ async: true, delivery: 'zip' }).delivery).toBe('urls');
		expect(refusal({ outputFormat: 'webp' })).toBe('Output Format "webp" is not one of png, jpg');
	});

	test('JPEG, a count from an expression, another output field, other profiles allowed', () => {
		expect(
			read({
				outputFormat: 'jpg',
				numberOfImages: '3',
				binaryPropertyOutput: 'image',
				allowOtherProfilesInPrompt: true,
			}),
		).toMatchObject({
			body: { output_format: 'jpg', num_output_images: 3 },
			binaryPropertyOutput: 'image',
			allowOtherProfiles: true,
		});
	});
});

describe("as an AI Agent's tool", () => {
	test('images come back as URLs: binary delivery also keeps the URL, the default is URLs only', () => {
		expect(read({}, 'generate', { tool: true }).delivery).toBe('urls');
		expect(read({ delivery: 'binary' }, 'generate', { tool: true })).toMatchObject({
			delivery: 'urlsThenBinary',
			body: { response_mode: 'urls' },
		});
		expect(read({ delivery: 'urlsThenBinary' }, 'generate', { tool: true }).delivery).toBe(
			'urlsThenBinary',
		);
	});

	test("the model's arguments replace the Options; empty ones leave them as set", () => {
		const toolArguments = { toolNumberOfImages: '2', toolAspectRatio: '16:9' };
		expect(
			read({ numberOfImages: 4, aspectRatio: '1:1' }, 'generate', { tool: true, toolArguments })
				.body,
		).toMatchObject({ num_output_images: 2, aspect_ratio: '16:9' });
		const unset = { toolNumberOfImages: '', toolAspectRatio: '' };
		expect(
			read({ numberOfImages: 4, aspectRatio: '1:1' }, 'generate', {
				tool: true,
				toolArguments: unset,
			}).body,
		).toMatchObject({ num_output_images: 4, aspect_ratio: '1:1' });
	});

	test("the model's arguments are checked like the Options", () => {
		expect(
			nodeErrorOf(() =>
				read({}, 'generate', { tool: true, toolArguments: { toolAspectRatio: 'wide' } }),
			).message,
		).toBe('Aspect Ratio "wide" is not one of auto, 1:1, 3:4, 4:3, 9:16, 16:9');
	});

	test('outside a tool, and for Enhance (no aspect ratio argument), they are not read', () => {
		const toolArguments = { toolNumberOfImages: '2', toolAspectRatio: '16:9' };
		expect(read({}, 'generate', { toolArguments }).body).toMatchObject({
			num_output_images: 1,
			aspect_ratio: 'auto',
		});
		expect(read({}, 'enhance', { tool: true, toolArguments }).body).toMatchObject({
			num_output_images: 2,
		});
	});

	test('Remix takes no tool arguments: its Options stand', () => {
		const toolArguments = { toolNumberOfImages: '2' };
		expect(read({ numberOfImages: 3 }, 'remix', { tool: true, toolArguments }).body).toMatchObject({
			num_output_images: 3,
		});
	});
});

test('a refusal names the item it is about', () => {
	const context = fakeContext({ parameters: { options: { outputFormat: 'gif' } } });
	nodeErrorOf(() => readImageSettings.call(context, 7, RULES.generate), 7);
});
