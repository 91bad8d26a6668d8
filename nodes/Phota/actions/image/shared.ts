import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
	NodeParameterValueType,
} from 'n8n-workflow';
import { randomString } from 'n8n-workflow';

import { imageResultItems } from '../../helpers/imageResults';
import type { ImageEndpoint, ImageResponse, JobHandle } from '../../helpers/interfaces';
import type { ItemOperation, RunSettings } from '../../helpers/itemRunner';
import { fromAI, profileIdsFromModel, withToolSetup } from '../../helpers/toolMode';
import type { PhotaResponse } from '../../transport';
import { photaApiRequest } from '../../transport';
import { incompleteAnswerError } from '../../transport/errors';
import type { RetryPolicy } from '../../transport/retryPolicy';
import type { ImageSource } from './inputs';
import { loadImage } from './inputs';
import type { ImageOptionRules, ImageRequestSettings, ImageToolArgument } from './options';
import { imageToolArguments, readImageSettings } from './options';
import type { IdentityPlan } from './prompt';
import { identityFields, planIdentity, readChosenProfiles, readPrompt } from './prompt';

/** The tool's default for Profiles: the model names the people by their profile IDs. */
const profilesFromModel = profileIdsFromModel(
	'Phota profile IDs of the people to show, separated by commas (find them with the profile list tool), or an empty string for nobody in particular',
);

/** What every image tool description ends with: how to name people, what comes back, errors. */
const IMAGE_TOOL_RESULT =
	'To keep a person\'s identity, pass their Phota profile ID in profile_ids and write [[profile]] in the prompt where they appear ([[profile_2]] for a second one). Returns one entry per image with download_url, a link valid for 24 hours: give it to the user as it is. On a mistake it returns "error" and "description" instead: fix the call and try again.';

/**
 * An image operation's parameters with its AI Agent tool setup: the model writes the prompt, names
 * the people (profile_ids), and sets the operation's tool arguments (number of images, aspect ratio).
 */
export function withImageToolSetup(
	properties: INodeProperties[],
	tool: {
		description: string;
		promptArgument: string;
		defaults?: Record<string, NodeParameterValueType>;
		toolArguments: ImageToolArgument[];
	},
): INodeProperties[] {
	return withToolSetup(properties, {
		description: `${tool.description} ${IMAGE_TOOL_RESULT}`,
		defaults: {
			...tool.defaults,
			profiles: profilesFromModel,
			prompt: fromAI('prompt', tool.promptArgument, 'string'),
		},
		extra: imageToolArguments(tool.toolArguments),
	});
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
	profilesOnlyInPrompt: boolean;
	options: ImageOptionRules;
	/** Reads the item's input images (checked, not loaded). */
	readImages?: (this: IExecuteFunctions, itemIndex: number) => Promise<ImagePlan['images']>;
}

/**
 * The plan and run shared by Edit, Generate, Enhance and Remix: each operation file exports
 * `prepare = imageOperation({...})`.
 */
export function imageOperation(spec: ImageOperationSpec) {
	return function prepare(
		this: IExecuteFunctions,
		{ retryPolicy }: RunSettings,
	): ItemOperation<ImagePlan> {
		const itemsWithoutIdentity: number[] = [];
		return {
			async plan(itemIndex) {
				const settings = readImageSettings.call(this, itemIndex, spec.options);
				const identity = planIdentity.call(this, itemIndex, {
					chosenProfileIds: readChosenProfiles.call(this, itemIndex),
					rawPrompt: readPrompt.call(this, itemIndex),
					promptRequired: spec.promptRequired,
					profilesOnlyInPrompt: spec.profilesOnlyInPrompt,
					allowOtherProfiles: settings.allowOtherProfiles,
				});
				const images = spec.readImages ? await spec.readImages.call(this, itemIndex) : {};
				if (!identity.usedProfileIds.length) itemsWithoutIdentity.push(itemIndex);
				return { identity, settings, images };
			},
			async run(plan, itemIndex) {
				const body: IDataObject = { ...plan.settings.body, ...identityFields(plan.identity) };
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
			profileIdsOf: (plan) => plan.identity.usedProfileIds,
			finish() {
				if (!itemsWithoutIdentity.length) return;
				const items = itemsWithoutIdentity.length === 1 ? 'item' : 'items';
				this.addExecutionHints({
					message: `No profile was chosen for input ${items} ${itemsWithoutIdentity.join(', ')} (Profiles is empty), so those images keep no one's identity. To put a person in them, choose their profile in Profiles.`,
					type: 'info',
					location: 'outputPane',
				});
			},
		};
	};
}

/**
 * Identifies one logical request: random per call, reused only by the transport's resends of that
 * same request. A node that runs again in the same execution (a loop, an agent's second tool call)
 * therefore never gets an earlier run's job back.
 */
function newClientRequestId(this: IExecuteFunctions): string {
	const executionId = this.getExecutionId();
	const prefix = typeof executionId === 'string' && executionId ? `n8n-${executionId}` : 'n8n';
	return `${prefix}-${randomString(16).toLowerCase()}`;
}

/**
 * Sends one image request. Sync requests return one output item per image; async requests return
 * the job handle at once, with a client_request_id so that a resend after a dropped connection
 * is deduplicated by Phota instead of billed twice.
 */
async function sendImageRequest(
	this: IExecuteFunctions,
	endpoint: ImageEndpoint,
	body: IDataObject,
	settings: ImageRequestSettings,
	profileIds: string[],
	itemIndex: number,
	retryPolicy: RetryPolicy,
): Promise<INodeExecutionData[]> {
	const notFoundHint =
		body.profile_ids || String(body.prompt ?? '').includes('[[')
			? 'A profile named in this request may still be training, have failed, or have been deleted. Check it with Profile → Get Status, or put a "Wait for Profile Ready" node before this one.'
			: undefined;
	if (settings.async) {
		const clientRequestId = newClientRequestId.call(this);
		const { body: handle } = (await photaApiRequest.call(this, {
			method: 'POST',
			endpoint: `/${endpoint}`,
			body: { ...body, client_request_id: clientRequestId },
			safety: 'deduplicated',
			itemIndex,
			retryPolicy,
			notFoundHint,
		})) as PhotaResponse<JobHandle>;
		if (typeof handle.job_id !== 'string' || handle.job_id === '') {
			throw incompleteAnswerError(
				this.getNode(),
				'job_id',
				handle,
				itemIndex,
				`The job was queued; look it up by its client_request_id ${clientRequestId}.`,
			);
		}
		return [
			{
				json: {
					operation: endpoint,
					job_id: handle.job_id,
					poll_url: handle.poll_url ?? null,
					status: 'queued',
					client_request_id: clientRequestId,
					profile_ids: profileIds,
				},
			},
		];
	}

	const { body: result } = (await photaApiRequest.call(this, {
		method: 'POST',
		endpoint: `/${endpoint}`,
		body,
		safety: 'paid',
		encoding: 'jsonWithBlobs',
		itemIndex,
		retryPolicy,
		notFoundHint,
	})) as PhotaResponse<ImageResponse>;

	return await imageResultItems.call(this, result, {
		operation: endpoint,
		profileIds,
		outputFormat: String(body.output_format ?? 'png'),
		binaryPropertyOutput: settings.binaryPropertyOutput,
		downloadUrls: settings.delivery === 'urlsThenBinary',
		itemIndex,
		retryPolicy,
	});
}
