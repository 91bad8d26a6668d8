import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import type { ItemOperation } from '../../helpers/itemRunner';
import type { RunSettings } from '../../helpers/settings';
import { fromAI } from '../../helpers/toolMode';
import { planItemIdentity } from '../../helpers/profileIds';
import { hintItemsWithoutProfile, sendImageRequest } from '../../helpers/images';
import type { ImageSource } from './inputs';
import { describeSource, imageField, readEditImages } from './inputs';
import type { ImageToolArgument } from './options';
import { imageOptions } from './optionFields';
import { readImageSettings } from './options';
import { profilesProperty, promptProperty } from './prompt';
import type { ImagePlan } from './shared';
import { withImageToolSetup } from './shared';

/** Options the AI Agent's model sets when the node is a tool. */
const toolArguments: ImageToolArgument[] = ['numberOfImages', 'aspectRatio'];

const nodeProperties: INodeProperties[] = [
	{
		displayName: 'Binary Fields',
		name: 'binaryProperties',
		type: 'string',
		default: 'data',
		placeholder: 'e.g. data, photo2',
		hint: 'Input binary field(s) with the photos to edit, separated by commas. Leave empty to use only URLs.',
	},
	{
		displayName: 'Image URLs',
		name: 'imageUrls',
		type: 'string',
		typeOptions: { multipleValues: true, multipleValueButtonText: 'Add Image URL' },
		default: [],
		placeholder: 'https://example.com/photo.jpg',
		description:
			'Publicly reachable photos to edit, in addition to the binary fields (1–10 images in total)',
	},
	profilesProperty,
	promptProperty({
		required: true,
		placeholder: 'e.g. Put [[profile]] on a sunny beach, keep the outfit',
		description:
			'The edit to make. Refer to the chosen person as [[profile]] ([[profile_2]] for the second), or by ID as [[prof_a1]].',
	}),
	imageOptions({ chooseModel: true }),
];

const properties = withImageToolSetup(nodeProperties, {
	toolArguments,
	description: `Edits existing photos with Phota: pass image_urls (public http(s) links to 1–10 photos, separated by commas) and a prompt saying what to change.`,
	promptArgument: 'The edit to make, e.g. "Put [[profile]] on a sunny beach, keep the outfit"',
	defaults: {
		// A tool's input is the model's arguments, which hold no binary data.
		binaryProperties: '',
		imageUrls: fromAI(
			'image_urls',
			'Public http(s) links to the photos to edit (1 to 10), separated by commas',
			'string',
		),
	},
});

const displayOptions = { show: { resource: ['image'], operation: ['edit'] } };

export const description = updateDisplayOptions(displayOptions, properties);

/** What one Edit item sends, checked before any request; the photos are loaded when it runs. */
interface EditPlan extends ImagePlan {
	images: ImageSource[];
}

export function prepare(this: IExecuteFunctions, settings: RunSettings): ItemOperation<EditPlan> {
	return {
		async plan(itemIndex) {
			const options = readImageSettings.call(this, itemIndex, { chooseModel: true, toolArguments });
			const identity = planItemIdentity.call(this, itemIndex, {
				promptRequired: true,
				profilesOnlyInPrompt: false,
				allowOtherProfiles: options.allowOtherProfiles,
			});
			const images = await readEditImages.call(this, itemIndex);
			return { options, identity, images };
		},
		async run(plan, itemIndex) {
			const body = {
				...plan.options.body,
				...plan.identity.fields,
				images: plan.images.map((image) => imageField.call(this, image, itemIndex)),
			};
			return await sendImageRequest.call(this, 'edit', body, plan, itemIndex, settings.requests);
		},
		profileIdsOf: (plan) => plan.identity.usedProfileIds,
		plannedCharge: (plan) => ({ paidRequests: 1, images: plan.options.imageCount }),
		preview: (plan) => ({
			endpoint: '/edit',
			...plan.options.body,
			...plan.identity.fields,
			images: plan.images.map(describeSource),
		}),
		finish: hintItemsWithoutProfile,
	};
}
