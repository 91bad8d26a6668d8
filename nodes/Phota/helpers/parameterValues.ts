import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

export interface NumberRule {
	/** The field's name in the editor, for the error. */
	label: string;
	min: number;
	max: number;
	/** Whole numbers only. */
	integer?: boolean;
	/** Used when the field is not set. */
	fallback: number;
}

/**
 * Reads a number field the way every option of both nodes is read: an expression may give a string
 * or nothing at all, and n8n passes either through unchecked. A value that is not a number, or is
 * out of range, fails with the field and the item named, before any request is made.
 */
export function readNumber(
	this: IExecuteFunctions,
	value: unknown,
	rule: NumberRule,
	itemIndex: number,
): number {
	if (value === undefined || value === null || value === '') return rule.fallback;
	const number = typeof value === 'string' ? Number(value.trim()) : value;
	const range = `${rule.integer ? 'a whole number' : 'a number'} from ${rule.min} to ${rule.max}`;
	if (
		typeof number !== 'number' ||
		!Number.isFinite(number) ||
		(rule.integer && !Number.isInteger(number)) ||
		number < rule.min ||
		number > rule.max
	) {
		throw invalidValue(this, rule.label, range, value, itemIndex);
	}
	return number;
}

/**
 * Reads an on/off field the same way: an expression may give `true`/`false` or the strings
 * "true"/"false" (any case); anything else fails with the field, the value and the item named,
 * before any request is made, instead of quietly counting as off.
 */
export function readBoolean(
	this: IExecuteFunctions,
	value: unknown,
	rule: { label: string; fallback: boolean },
	itemIndex: number,
): boolean {
	if (value === undefined || value === null || value === '') return rule.fallback;
	if (typeof value === 'boolean') return value;
	const text = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
	if (text === 'true') return true;
	if (text === 'false') return false;
	throw invalidValue(this, rule.label, 'true or false', value, itemIndex);
}

function invalidValue(
	context: IExecuteFunctions,
	label: string,
	expected: string,
	value: unknown,
	itemIndex: number,
): NodeOperationError {
	const shown =
		typeof value === 'string'
			? `"${value}"`
			: typeof value === 'number'
				? String(value)
				: JSON.stringify(value);
	return new NodeOperationError(context.getNode(), `${label} must be ${expected}, got ${shown}`, {
		itemIndex,
		description: `Set ${label} to ${expected}; if it comes from an expression, check what the expression gives for item ${itemIndex}.`,
	});
}
