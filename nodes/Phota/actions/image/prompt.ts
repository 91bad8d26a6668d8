import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { profileLocator } from '../../helpers/descriptions';
import { PROFILE_ID_PATTERN, resolveProfileLocator } from '../../helpers/profileIds';

/** Who is in the images: every image operation's Profiles parameter. */
export const profilesProperty: INodeProperties = profileLocator({
	multiple: true,
	description:
		'The people whose identity the images keep. By default (By Field, empty) the IDs come from the input item\'s "profile_ids" (output by Create Profile and Wait for Profile Ready). Choose "By ID" and leave it empty to work without identity.',
});

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

/** The profiles chosen in Profiles for item `itemIndex` (none under an empty "By ID"). */
export function readChosenProfiles(this: IExecuteFunctions, itemIndex: number): string[] {
	return resolveProfileLocator.call(this, 'profiles', itemIndex, {
		required: false,
		fieldLabel: 'Profiles',
	});
}

export function readPrompt(this: IExecuteFunctions, itemIndex: number): string {
	return this.getNodeParameter('prompt', itemIndex, '') as string;
}

const TOKEN = /\[\[([^[\]]*)\]\]/g;
/** `[[profile]]` is the first chosen profile, `[[profile_2]]` the second, and so on. */
const PLACEHOLDER = /^profile(?:_(\d+))?$/i;

export interface ResolvedPrompt {
	prompt: string;
	/** Profile ids the prompt names as `[[id]]` after placeholders were filled in. */
	tokenIds: string[];
}

/**
 * Fills `[[profile]]` / `[[profile_N]]` placeholders with the chosen profile ids and checks that every
 * other `[[...]]` token is shaped like a profile id, so a typo is caught before Phota bills the request.
 */
export function resolvePrompt(
	this: IExecuteFunctions,
	rawPrompt: string,
	profileIds: string[],
	itemIndex: number,
): ResolvedPrompt {
	const tokenIds: string[] = [];
	const prompt = rawPrompt.replace(TOKEN, (_match, inner: string) => {
		const content = inner.trim();
		const placeholder = PLACEHOLDER.exec(content);
		if (placeholder) {
			const position = placeholder[1] ? Number(placeholder[1]) : 1;
			const id = profileIds[position - 1];
			if (position < 1) {
				throw new NodeOperationError(
					this.getNode(),
					`Prompt uses [[${content}]], but profiles are counted from 1`,
					{
						itemIndex,
						description:
							'Write [[profile]] or [[profile_1]] for the first chosen profile, [[profile_2]] for the second.',
					},
				);
			}
			if (!id) {
				throw new NodeOperationError(
					this.getNode(),
					`Prompt uses [[${content}]] but ${profileIds.length === 0 ? 'no profile is' : `only ${profileIds.length} profile(s) are`} chosen`,
					{
						itemIndex,
						description:
							'Choose the profiles in the Profiles field, or write the profile ID itself as [[profile_id]].',
					},
				);
			}
			tokenIds.push(id);
			return `[[${id}]]`;
		}
		if (!PROFILE_ID_PATTERN.test(content)) {
			throw new NodeOperationError(
				this.getNode(),
				`Prompt token [[${inner}]] is not a profile ID`,
				{
					itemIndex,
					description:
						'Inside [[ ]] write a profile ID (e.g. [[prof_a1]]) or [[profile]] for the chosen profile. Use plain words for everything else.',
				},
			);
		}
		tokenIds.push(content);
		return `[[${content}]]`;
	});
	return { prompt, tokenIds: [...new Set(tokenIds)] };
}

export interface IdentityPlan {
	/** Prompt with placeholders filled in; undefined when no prompt was given. */
	prompt?: string;
	/** Ids for the request's `profile_ids` field (none when `profilesOnlyInPrompt`). */
	profileIds: string[];
	/** Every profile the request names; goes to the output items' `profile_ids`. */
	usedProfileIds: string[];
}

/** Combines the Profiles field and the prompt of one item into what Phota is sent. */
export function planIdentity(
	this: IExecuteFunctions,
	itemIndex: number,
	options: {
		chosenProfileIds: string[];
		rawPrompt: string;
		promptRequired: boolean;
		/**
		 * Phota reads the people only from the prompt's `[[id]]` tokens (Generate): no `profile_ids`
		 * is sent, the profiles used are those the prompt names, and chosen profiles it leaves out
		 * are refused.
		 */
		profilesOnlyInPrompt: boolean;
		/** Let `[[id]]` name profiles beyond the chosen ones (off: text mapped into the prompt cannot). */
		allowOtherProfiles: boolean;
	},
): IdentityPlan {
	const { chosenProfileIds, rawPrompt, promptRequired, profilesOnlyInPrompt, allowOtherProfiles } =
		options;
	if (promptRequired && rawPrompt.trim() === '') {
		throw new NodeOperationError(this.getNode(), 'Prompt is empty', {
			itemIndex,
			description:
				'Describe the image you want, e.g. "Studio headshot of [[profile]], grey backdrop".',
		});
	}
	const { prompt, tokenIds } = resolvePrompt.call(this, rawPrompt, chosenProfileIds, itemIndex);
	const outsiders = tokenIds.filter((id) => !chosenProfileIds.includes(id));
	if (chosenProfileIds.length > 0 && outsiders.length > 0 && !allowOtherProfiles) {
		throw new NodeOperationError(
			this.getNode(),
			`Prompt names ${outsiders.map((id) => `[[${id}]]`).join(', ')}, which is not among the chosen profiles`,
			{
				itemIndex,
				description:
					'A prompt may only name the profiles chosen in the Profiles field, so text mapped into it (a caption, a form answer) cannot bring in another person. Pass only the profiles of the person whose images these are; to name others on purpose, add them to Profiles or turn on Options → Allow Other Profiles in Prompt.',
			},
		);
	}

	if (
		profilesOnlyInPrompt &&
		chosenProfileIds.length > 0 &&
		!chosenProfileIds.some((id) => tokenIds.includes(id))
	) {
		throw new NodeOperationError(this.getNode(), 'The prompt does not mention the chosen profile', {
			itemIndex,
			description: `Generate only puts people in the image where the prompt names them. Write [[profile]] where the person should appear (it becomes [[${chosenProfileIds[0]}]]), or set Profiles to "By ID" and leave it empty for an image without a known person.`,
		});
	}

	const usedProfileIds = [
		...new Set(profilesOnlyInPrompt ? tokenIds : [...chosenProfileIds, ...tokenIds]),
	];
	return {
		prompt: rawPrompt.trim() === '' ? undefined : prompt,
		profileIds: profilesOnlyInPrompt ? [] : chosenProfileIds,
		usedProfileIds,
	};
}

/** The request fields of an identity plan: the prompt if given, the profile IDs if any. */
export function identityFields(identity: IdentityPlan): IDataObject {
	const fields: IDataObject = {};
	if (identity.prompt !== undefined) fields.prompt = identity.prompt;
	if (identity.profileIds.length) fields.profile_ids = identity.profileIds;
	return fields;
}
