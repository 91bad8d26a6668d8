import type { IDataObject, INodeProperties, NodeParameterValueType } from 'n8n-workflow';

import { executionLimitProperty } from '../../helpers/spending';
import { fromAI, profileIdsFromModel, withToolSetup } from '../../helpers/toolMode';
import type { ImageRequestSettings, ImageToolArgument } from './options';
import { imageToolArguments } from './optionFields';
import type { IdentityPlan } from '../../helpers/profileIds';

/*
 * What the four image operations share beyond their Options (options.ts), their people
 * (helpers/profileIds.ts), their input images (inputs.ts) and the request itself (helpers/images.ts):
 * the tool setup, and the plan every item starts from.
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
		extra: [...imageToolArguments(tool.toolArguments), executionLimitProperty],
	});
}

/** What every image operation plans for an item before any request: its Options and its people. */
export interface ImagePlan {
	options: ImageRequestSettings;
	identity: IdentityPlan & { fields: IDataObject };
}
