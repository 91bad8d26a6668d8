/**
 * Where a run's profile IDs come from: the Profile(s) locator (the input item's field, the list, an
 * ID), and for image operations the Prompt's [[tokens]], combined into what Phota is sent.
 */
import type { IDataObject, IExecuteFunctions, INodeParameterResourceLocator } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { splitList } from './lists';

/**
 * Phota does not publish an id format; ids seen are short tokens of letters, digits, `_` and `-`
 * (`.` and `:` are let through too, in case other id schemes appear).
 */
export const PROFILE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
export const FROM_INPUT_MODE = 'fromInput';
export const DEFAULT_PROFILE_FIELD = 'profile_ids';

/** Accepts an array, a comma/space separated string or a single id; returns distinct trimmed ids. */
export function normaliseProfileIds(value: unknown): string[] {
	const raw: unknown[] = Array.isArray(value)
		? value
		: typeof value === 'string'
			? splitList(value, /[\s,]+/)
			: [value];
	const ids = raw
		.map((entry) => {
			if (entry && typeof entry === 'object' && 'profile_id' in entry) {
				const id = entry.profile_id;
				return id === undefined || id === null ? '' : String(id).trim();
			}
			if (entry === undefined || entry === null) return '';
			return typeof entry === 'object' ? JSON.stringify(entry) : String(entry).trim();
		})
		.filter((id) => id !== '');
	return [...new Set(ids)];
}

/**
 * Profile ids from the item's field (default `profile_ids`, falling back to `profile_id`; a dotted
 * name is a path into the item). Returns undefined when the item holds neither.
 */
function profileIdsFromItem(json: IDataObject, field: string): string[] | undefined {
	const fieldName = field.trim() || DEFAULT_PROFILE_FIELD;
	const atPath = fieldName
		.split('.')
		.reduce<unknown>(
			(value, key) => (value && typeof value === 'object' ? Reflect.get(value, key) : undefined),
			json,
		);
	const value = atPath ?? (fieldName === DEFAULT_PROFILE_FIELD ? json.profile_id : undefined);
	if (value === undefined || value === null || value === '') return undefined;
	return normaliseProfileIds(value);
}

function assertProfileIds(
	this: IExecuteFunctions,
	ids: string[],
	fieldLabel: string,
	itemIndex: number,
): string[] {
	for (const id of ids) {
		if (!PROFILE_ID_PATTERN.test(id)) {
			throw new NodeOperationError(
				this.getNode(),
				`"${id}" in ${fieldLabel} is not a Phota profile ID`,
				{
					itemIndex,
					description:
						'Profile IDs are the profile_id values returned by Profile → Create or Profile → Get Many (letters, digits, _ and -).',
				},
			);
		}
	}
	return ids;
}

/**
 * Resolves the profile resource locator of item `itemIndex`:
 * "By Field" reads the named input field ("profile_ids" when empty), "From list" / "By ID" use the
 * chosen id(s).
 */
export function resolveProfileLocator(
	this: IExecuteFunctions,
	parameterName: string,
	itemIndex: number,
	options: { required: boolean; fieldLabel: string },
): string[] {
	const locator = this.getNodeParameter(parameterName, itemIndex, {
		mode: FROM_INPUT_MODE,
		value: DEFAULT_PROFILE_FIELD,
	}) as INodeParameterResourceLocator;

	if (locator.mode === FROM_INPUT_MODE) {
		const field = String(locator.value ?? '') || DEFAULT_PROFILE_FIELD;
		const ids = profileIdsFromItem(this.getInputData()[itemIndex]?.json ?? {}, field);
		if (!ids?.length) {
			throw new NodeOperationError(
				this.getNode(),
				`Input item ${itemIndex} has no "${field}" field to take the profile ID from`,
				{
					itemIndex,
					description: options.required
						? `Connect this node after Phota → Create Profile or Wait for Profile Ready (they output "${DEFAULT_PROFILE_FIELD}"), or switch ${options.fieldLabel} to "From list" or "By ID".`
						: `Connect this node after Phota → Create Profile or Wait for Profile Ready (they output "${DEFAULT_PROFILE_FIELD}"), switch ${options.fieldLabel} to "From list" or "By ID", or choose "By ID" and leave it empty to work without identity.`,
				},
			);
		}
		return assertProfileIds.call(this, ids, options.fieldLabel, itemIndex);
	}

	const ids = normaliseProfileIds(locator.value);
	// n8n keeps the value when the mode is switched: "profile_ids" is a "By Field" field name (the
	// default value of workflows saved before that default became empty).
	const leftover = ids.find((id) => id === DEFAULT_PROFILE_FIELD || id === 'profile_id');
	if (leftover) {
		const mode = locator.mode === 'list' ? 'From list' : 'By ID';
		throw new NodeOperationError(
			this.getNode(),
			`${options.fieldLabel} is set to "${mode}" but still holds "${leftover}", a field name for "By Field"`,
			{
				itemIndex,
				description: `Replace it with a profile ID (or pick one from the list)${options.required ? '' : ', leave it empty to work without identity'}, or switch ${options.fieldLabel} back to "By Field".`,
			},
		);
	}
	if (!ids.length && options.required) {
		throw new NodeOperationError(this.getNode(), `${options.fieldLabel} is empty`, {
			itemIndex,
			description: 'Choose a profile from the list or enter its ID.',
		});
	}
	return assertProfileIds.call(this, ids, options.fieldLabel, itemIndex);
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

/** What an image operation states about who is in its images. */
export interface IdentityRules {
	promptRequired: boolean;
	/**
	 * Phota reads the people only from the prompt's `[[id]]` tokens (Generate): no `profile_ids`
	 * is sent, the profiles used are those the prompt names, and chosen profiles it leaves out
	 * are refused.
	 */
	profilesOnlyInPrompt: boolean;
	/** Let `[[id]]` name profiles beyond the chosen ones (off: text mapped into the prompt cannot). */
	allowOtherProfiles: boolean;
}

/** Reads one item's Profiles and Prompt: what Phota is sent of them, as a plan and as fields. */
export function planItemIdentity(
	this: IExecuteFunctions,
	itemIndex: number,
	rules: IdentityRules,
): IdentityPlan & { fields: IDataObject } {
	const identity = planIdentity.call(this, itemIndex, {
		...rules,
		chosenProfileIds: resolveProfileLocator.call(this, 'profiles', itemIndex, {
			required: false,
			fieldLabel: 'Profiles',
		}),
		rawPrompt: this.getNodeParameter('prompt', itemIndex, '') as string,
	});
	return { ...identity, fields: identityFields(identity) };
}

/** Combines the Profiles field and the prompt of one item into what Phota is sent. */
export function planIdentity(
	this: IExecuteFunctions,
	itemIndex: number,
	options: IdentityRules & { chosenProfileIds: string[]; rawPrompt: string },
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
