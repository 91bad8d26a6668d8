import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import type { ItemOperation } from '../../helpers/itemRunner';
import type { RunSettings } from '../../helpers/settings';
import { planItemIdentity } from '../../helpers/profileIds';
import { hintItemsWithoutProfile, sendImageRequest } from '../../helpers/images';
import type { ImageToolArgument } from './options';
import { imageOptions } from './optionFields';
import { readImageSettings } from './options';
import { profilesProperty, promptProperty } from './prompt';
import type { ImagePlan } from './shared';
import { withImageToolSetup } from './shared';

/** Options the AI Agent's model sets when the node is a tool. */
const toolArguments: ImageToolArgument[] = ['numberOfImages', 'aspectRatio'];

const nodeProperties: INodeProperties[] = [
	profilesProperty,
	promptProperty({
		required: true,
		placeholder: 'e.g. Studio headshot of [[profile]], grey backdrop, soft key light',
		description:
			'What to create. Write [[profile]] where the chosen person should appear ([[profile_2]] for the second one), or a profile ID as [[prof_a1]].',
	}),
	imageOptions({ chooseModel: true }),
];

const properties = withImageToolSetup(nodeProperties, {
	toolArguments,
	description: 'Makes new photos from a text prompt with Phota.',
	promptArgument: 'What the photo shows, e.g. "Studio headshot of [[profile]], grey backdrop"',
});

const displayOptions = { show: { resource: ['image'], operation: ['generate'] } };

export const description = updateDisplayOptions(displayOptions, properties);

/** Generate has no input image: the prompt, with the people named in it, is all it sends. */
export function prepare(this: IExecuteFunctions, settings: RunSettings): ItemOperation<ImagePlan> {
	return {
		async plan(itemIndex) {
			const options = readImageSettings.call(this, itemIndex, { chooseModel: true, toolArguments });
			const identity = planItemIdentity.call(this, itemIndex, {
				promptRequired: true,
				// Phota's /generate reads the people from the prompt's [[id]] tokens only.
				profilesOnlyInPrompt: true,
				allowOtherProfiles: options.allowOtherProfiles,
			});
			return { options, identity };
		},
		async run(plan, itemIndex) {
			const body = { ...plan.options.body, ...plan.identity.fields };
			return await sendImageRequest.call(
				this,
				'generate',
				body,
				plan,
				itemIndex,
				settings.requests,
			);
		},
		profileIdsOf: (plan) => plan.identity.usedProfileIds,
		plannedCharge: (plan) => ({ paidRequests: 1, images: plan.options.imageCount }),
		preview: (plan) => ({
			endpoint: '/generate',
			...plan.options.body,
			...plan.identity.fields,
		}),
		finish: hintItemsWithoutProfile,
	};
}
