import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import type { ItemOperation } from '../../helpers/itemRunner';
import type { RunSettings } from '../../helpers/settings';
import { fromAI } from '../../helpers/toolMode';
import { planItemIdentity } from '../../helpers/profileIds';
import { hintItemsWithoutProfile, sendImageRequest } from '../../helpers/images';
import type { ImageSource } from './inputs';
import { describeSource, imageField, readSingleImage, singleImageProperties } from './inputs';
import type { ImageToolArgument } from './options';
import { imageOptions } from './optionFields';
import { readImageSettings } from './options';
import { profilesProperty, promptProperty } from './prompt';
import type { ImagePlan } from './shared';
import { withImageToolSetup } from './shared';

/** Options the AI Agent's model sets when the node is a tool. */
const toolArguments: ImageToolArgument[] = [];

const nodeProperties: INodeProperties[] = [
	...singleImageProperties('input', 'Input Image', 'The photo whose content is kept'),
	...singleImageProperties(
		'reference',
		'Reference Image',
		'The photo whose style and look are applied',
	),
	profilesProperty,
	promptProperty({
		placeholder: 'e.g. keep the red scarf',
		description: 'Optional: what to keep or emphasise',
	}),
	imageOptions({ chooseModel: false }),
];

const properties = withImageToolSetup(nodeProperties, {
	toolArguments,
	description: `Restyles a photo after a reference photo with Phota, keeping its content: pass input_image_url and reference_image_url (public http(s) links) and optionally a prompt.`,
	promptArgument: 'Optional: what to keep or emphasise, or an empty string',
	defaults: {
		inputSource: 'url',
		inputUrl: fromAI('input_image_url', 'Public http(s) link to the photo to restyle', 'string'),
		referenceSource: 'url',
		referenceUrl: fromAI(
			'reference_image_url',
			'Public http(s) link to the photo whose style to apply',
			'string',
		),
	},
});

const displayOptions = { show: { resource: ['image'], operation: ['remix'] } };

export const description = updateDisplayOptions(displayOptions, properties);

/** What one Remix item sends, checked before any request; the photos are loaded when it runs. */
interface RemixPlan extends ImagePlan {
	inputImage: ImageSource;
	referenceImage: ImageSource;
}

/** Remix runs on Phota's fixed model and makes as many images as the Options say, even as a tool. */
export function prepare(this: IExecuteFunctions, settings: RunSettings): ItemOperation<RemixPlan> {
	return {
		async plan(itemIndex) {
			const options = readImageSettings.call(this, itemIndex, {
				chooseModel: false,
				operationName: 'remix',
				toolArguments,
			});
			const identity = planItemIdentity.call(this, itemIndex, {
				promptRequired: false,
				profilesOnlyInPrompt: false,
				allowOtherProfiles: options.allowOtherProfiles,
			});
			const inputImage = await readSingleImage.call(this, 'input', 'Input Image', itemIndex);
			const referenceImage = await readSingleImage.call(
				this,
				'reference',
				'Reference Image',
				itemIndex,
			);
			return { options, identity, inputImage, referenceImage };
		},
		async run(plan, itemIndex) {
			const body = {
				...plan.options.body,
				...plan.identity.fields,
				input_image: imageField.call(this, plan.inputImage, itemIndex),
				reference_image: imageField.call(this, plan.referenceImage, itemIndex),
			};
			return await sendImageRequest.call(this, 'remix', body, plan, itemIndex, settings.requests);
		},
		profileIdsOf: (plan) => plan.identity.usedProfileIds,
		plannedCharge: (plan) => ({ paidRequests: 1, images: plan.options.imageCount }),
		preview: (plan) => ({
			endpoint: '/remix',
			...plan.options.body,
			...plan.identity.fields,
			input_image: describeSource(plan.inputImage),
			reference_image: describeSource(plan.referenceImage),
		}),
		finish: hintItemsWithoutProfile,
	};
}
