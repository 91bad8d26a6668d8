import type { IDataObject, IExecuteFunctions, INodeParameterResourceLocator } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { splitList } from './settings';

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
 * Profile ids from the item's field (default `profile_ids`, falling back to `profile_id`).
 * Returns undefined when the item holds neither.
 */
function profileIdsFromItem(json: IDataObject, field: string): string[] | undefined {
	const fieldName = field.trim() || DEFAULT_PROFILE_FIELD;
	const value =
		getPath(json, fieldName) ?? (fieldName === DEFAULT_PROFILE_FIELD ? json.profile_id : undefined);
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

function getPath(json: IDataObject, path: string): unknown {
	return path.split('.').reduce<unknown>((value, key) => {
		if (value && typeof value === 'object') return Reflect.get(value, key);
		return undefined;
	}, json);
}
