import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
	NodeParameterValueType,
} from 'n8n-workflow';
import { randomString } from 'n8n-workflow';

import { imageResultItems } from '../../helpers/images';
import type { ImageEndpoint, ImageResponse, JobHandle } from '../../helpers/interfaces';
import type { RunSettings } from '../../helpers/settings';
import { fromAI, profileIdsFromModel, withToolSetup } from '../../helpers/toolMode';
import { photaApiRequest } from '../../transport';
import { incompleteAnswerError } from '../../transport/errors';
import type { ImageRequestSettings, ImageToolArgument } from './options';
import { imageToolArguments } from './optionFields';
import type { IdentityPlan } from '../../helpers/profileIds';

/*
 * What the four image operations share beyond their Options (options.ts), their people (prompt.ts)
 * and their input images (inputs.ts): the tool setup, the plan every item starts from, the hint
 * about items without a profile, and the request itself.
 */

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

/** What every image operation plans for an item before any request: its Options and its people. */
export interface ImagePlan {
	options: ImageRequestSettings;
	identity: IdentityPlan;
}

/**
 * After the run: an execution hint naming the input items planned without a profile, whose images
 * therefore keep no one's identity.
 */
export function hintItemsWithoutProfile(this: IExecuteFunctions, itemIndexes: number[]): void {
	if (!itemIndexes.length) return;
	const items = itemIndexes.length === 1 ? 'item' : 'items';
	this.addExecutionHints({
		message: `No profile was chosen for input ${items} ${itemIndexes.join(', ')} (Profiles is empty), so those images keep no one's identity. To put a person in them, choose their profile in Profiles.`,
		type: 'info',
		location: 'outputPane',
	});
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
export async function sendImageRequest(
	this: IExecuteFunctions,
	endpoint: ImageEndpoint,
	body: IDataObject,
	plan: ImagePlan,
	itemIndex: number,
	settings: RunSettings,
): Promise<INodeExecutionData[]> {
	const { requests } = settings;
	const { options } = plan;
	const profileIds = plan.identity.usedProfileIds;
	const notFoundHint =
		body.profile_ids || String(body.prompt ?? '').includes('[[')
			? 'A profile named in this request may still be training, have failed, or have been deleted. Check it with Profile → Get Status, or put a "Wait for Profile Ready" node before this one.'
			: undefined;
	if (options.async) {
		const clientRequestId = newClientRequestId.call(this);
		const { body: handle } = await (photaApiRequest<JobHandle>).call(this, {
			method: 'POST',
			endpoint: `/${endpoint}`,
			body: { ...body, client_request_id: clientRequestId },
			safety: 'deduplicated',
			itemIndex,
			requests,
			notFoundHint,
		});
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

	const { body: result } = await (photaApiRequest<ImageResponse>).call(this, {
		method: 'POST',
		endpoint: `/${endpoint}`,
		body,
		safety: 'paid',
		encoding: 'jsonWithBlobs',
		itemIndex,
		requests,
		notFoundHint,
	});

	return await imageResultItems.call(this, result, {
		operation: endpoint,
		profileIds,
		outputFormat: String(body.output_format ?? 'png'),
		binaryPropertyOutput: options.binaryPropertyOutput,
		downloadUrls: options.delivery === 'urlsThenBinary',
		itemIndex,
		requests,
	});
}
