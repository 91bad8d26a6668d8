import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';

import type { ImageEndpoint, ImageRequestSettings } from '../../helpers/imageOptions';
import { readImageSettings } from '../../helpers/imageOptions';
import { sendImageRequest } from '../../helpers/imageResults';
import type { ImageSource } from '../../helpers/imageInputs';
import { loadImage } from '../../helpers/imageInputs';
import { runItems } from '../../helpers/itemRunner';
import type { IdentityPlan } from '../../helpers/prompt';
import { planIdentity } from '../../helpers/prompt';
import { resolveProfileLocator } from '../../helpers/profileIds';
import { requestOptions, profileLocator, requestSettings } from '../common.descriptions';
import { imageOptionsDescription } from '../../helpers/imageOptions';
import { fromAI } from '../../helpers/toolMode';

export const profilesProperty: INodeProperties = profileLocator({
	multiple: true,
	description:
		'The people whose identity the images keep. By default (By Field, empty) the IDs come from the input item\'s "profile_ids" (output by Create Profile and Wait for Profile Ready). Choose "By ID" and leave it empty to work without identity.',
});

/** The tool's default for Profiles: the model names the people by their profile IDs. */
export const profilesFromModel = {
	__rl: true,
	mode: 'id',
	value: fromAI(
		'profile_ids',
		'Phota profile IDs of the people to show, separated by commas (find them with the profile list tool), or an empty string for nobody in particular',
		'string',
	),
};

/** What every image tool description ends with: how to name people, what comes back, errors. */
export const IMAGE_TOOL_RESULT =
	'To keep a person\'s identity, pass their Phota profile ID in profile_ids and write [[profile]] in the prompt where they appear ([[profile_2]] for a second one). Returns one entry per image with download_url, a link valid for 24 hours: give it to the user as it is. On a mistake it returns "error" and "description" instead: fix the call and try again.';

export function promptProperty(overrides: Partial<INodeProperties>): INodeProperties {
	return {
		displayName: 'Prompt',
		name: 'prompt',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		...overrides,
	};
}

/** What one item of an image operation sends, decided in the plan phase (no request made yet). */
export interface ImagePlan {
	identity: IdentityPlan;
	settings: ImageRequestSettings;
	/** Image fields of the request body, loaded only when the item runs. */
	images: Record<string, ImageSource | ImageSource[]>;
}

interface ImageOperationSpec {
	endpoint: ImageEndpoint;
	promptRequired: boolean;
	/** Reads the item's input images (checked, not loaded). */
	readImages?: (this: IExecuteFunctions, itemIndex: number) => Promise<ImagePlan['images']>;
}

/** Plan and run logic shared by Edit, Generate, Enhance and Remix. */
export async function executeImageOperation(
	this: IExecuteFunctions,
	spec: ImageOperationSpec,
): Promise<INodeExecutionData[]> {
	const { parallelRequests, retryPolicy } = requestSettings.call(
		this,
		this.getNodeParameter('options', 0, {}) as IDataObject,
	);
	const promptOnly = spec.endpoint === 'generate';
	const itemsWithoutIdentity: number[] = [];

	const output = await runItems.call(
		this,
		{
			async plan(itemIndex: number): Promise<ImagePlan> {
				const settings = readImageSettings.call(this, spec.endpoint, itemIndex);
				const chosenProfileIds = resolveProfileLocator.call(this, 'profiles', itemIndex, {
					required: false,
					fieldLabel: 'Profiles',
				});
				const identity = planIdentity.call(this, itemIndex, {
					chosenProfileIds,
					rawPrompt: this.getNodeParameter('prompt', itemIndex, '') as string,
					promptRequired: spec.promptRequired,
					promptOnly,
					allowOtherProfiles: settings.allowOtherProfiles,
				});
				const images = spec.readImages ? await spec.readImages.call(this, itemIndex) : {};
				if (!identity.usedProfileIds.length) itemsWithoutIdentity.push(itemIndex);
				return { identity, settings, images };
			},
			async run(plan: ImagePlan, itemIndex: number) {
				const body: IDataObject = { ...plan.settings.body };
				if (plan.identity.prompt !== undefined) body.prompt = plan.identity.prompt;
				if (plan.identity.profileIds.length) body.profile_ids = plan.identity.profileIds;
				for (const [field, source] of Object.entries(plan.images)) {
					body[field] = Array.isArray(source)
						? await Promise.all(
								source.map(async (image) => await loadImage.call(this, image, itemIndex)),
							)
						: await loadImage.call(this, source, itemIndex);
				}
				return await sendImageRequest.call(
					this,
					spec.endpoint,
					body,
					plan.settings,
					plan.identity.usedProfileIds,
					itemIndex,
					retryPolicy,
				);
			},
			profileIdsOf: (plan: ImagePlan) => plan.identity.usedProfileIds,
		},
		parallelRequests,
	);
	if (itemsWithoutIdentity.length) {
		const items = itemsWithoutIdentity.length === 1 ? 'item' : 'items';
		this.addExecutionHints({
			message: `No profile was chosen for input ${items} ${itemsWithoutIdentity.join(', ')} (Profiles is empty), so those images keep no one's identity. To put a person in them, choose their profile in Profiles.`,
			type: 'info',
			location: 'outputPane',
		});
	}
	return output;
}

export function imageOptions(endpoint: ImageEndpoint): INodeProperties {
	return imageOptionsDescription(endpoint, requestOptions);
}
