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
const toolArguments: ImageToolArgument[] = ['numberOfImages'];

const nodeProperties: INodeProperties[] = [
	...singleImageProperties('image', 'Image', 'The photo to enhance'),
	profilesProperty,
	promptProperty({
		placeholder: 'e.g. brighten the faces a little',
		description: 'Optional guidance; leave empty for fully automatic enhancement',
	}),
	imageOptions({ chooseModel: false }),
];

const properties = withImageToolSetup(nodeProperties, {
	toolArguments,
	description: `Improves one photo with Phota (light, sharpness, faces), keeping the people in it recognisable: pass image_url (a public http(s) link) and optionally a prompt with guidance.`,
	promptArgument: 'Optional guidance, e.g. "brighten the faces a little", or an empty string',
	defaults: {
		imageSource: 'url',
		imageUrl: fromAI('image_url', 'Public http(s) link to the photo to enhance', 'string'),
	},
});

const displayOptions = { show: { resource: ['image'], operation: ['enhance'] } };

export const description = updateDisplayOptions(displayOptions, properties);

/** What one Enhance item sends, checked before any request; the photo is loaded when it runs. */
interface EnhancePlan extends ImagePlan {
	image: ImageSource;
}

/** Enhance runs on Phota's fixed model; the prompt is optional guidance. */
export function prepare(
	this: IExecuteFunctions,
	settings: RunSettings,
): ItemOperation<EnhancePlan> {
	return {
		async plan(itemIndex) {
			const options = readImageSettings.call(this, itemIndex, {
				chooseModel: false,
				operationName: 'enhance',
				toolArguments,
			});
			const identity = planItemIdentity.call(this, itemIndex, {
				promptRequired: false,
				profilesOnlyInPrompt: false,
				allowOtherProfiles: options.allowOtherProfiles,
			});
			const image = await readSingleImage.call(this, 'image', 'Image', itemIndex);
			return { options, identity, image };
		},
		async run(plan, itemIndex) {
			const body = {
				...plan.options.body,
				...plan.identity.fields,
				image: imageField.call(this, plan.image, itemIndex),
			};
			return await sendImageRequest.call(this, 'enhance', body, plan, itemIndex, settings.requests);
		},
		profileIdsOf: (plan) => plan.identity.usedProfileIds,
		plannedCharge: (plan) => ({ paidRequests: 1, images: plan.options.imageCount }),
		preview: (plan) => ({
			endpoint: '/enhance',
			...plan.options.body,
			...plan.identity.fields,
			image: describeSource(plan.image),
		}),
		finish: hintItemsWithoutProfile,
	};
}
