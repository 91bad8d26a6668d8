/**
 * Profile IDs as typed, mapped or passed on by earlier nodes (normaliseProfileIds), and the Profile
 * picker's three modes (resolveProfileLocator). test/badInput.test.ts runs the picker's main
 * refusals through whole workflows (no such field, malformed IDs); here are the shapes each mode
 * accepts, the fall-back to "profile_id", dotted field paths, a field name left in By ID, and an
 * empty picker where a profile is needed or optional.
 */
import type { IDataObject } from 'n8n-workflow';

import { normaliseProfileIds, resolveProfileLocator } from '../../nodes/Phota/helpers/profileIds';
import { fakeContext, nodeErrorOf } from './fakeContext';

describe('normaliseProfileIds', () => {
	test.each<[string, unknown, string[]]>([
		[
			'a list, trimmed, repeats dropped',
			[' prof_a ', 'prof_b', 'prof_a', ''],
			['prof_a', 'prof_b'],
		],
		[
			'a text split at commas, spaces and new lines',
			'prof_a, prof_b  prof_c\nprof_a,,',
			['prof_a', 'prof_b', 'prof_c'],
		],
		['one id', 'prof_a', ['prof_a']],
		['a number', 42, ['42']],
		['Get Many items', [{ profile_id: 'prof_a' }, { profile_id: ' prof_b' }], ['prof_a', 'prof_b']],
		['items without an id', [{ profile_id: null }, { profile_id: undefined }, null], []],
		['nothing', undefined, []],
		['an empty text', '', []],
	])('%s', (_name, value, expected) => {
		expect(normaliseProfileIds(value)).toEqual(expected);
	});

	test('an object that is no profile stays visible (as JSON), so the ID check can name it', () => {
		expect(normaliseProfileIds([{ name: 'Ada' }])).toEqual(['{"name":"Ada"}']);
	});
});

describe('resolveProfileLocator', () => {
	const FIELD = { required: true, fieldLabel: 'Profile' };
	const OPTIONAL = { required: false, fieldLabel: 'Profiles' };

	function resolve(
		locator: unknown,
		items: IDataObject[] = [],
		options = FIELD,
		itemIndex = 0,
	): string[] {
		const parameters = locator === undefined ? {} : { profile: locator };
		return resolveProfileLocator.call(
			fakeContext({ parameters, items }),
			'profile',
			itemIndex,
			options,
		);
	}

	describe('By Field', () => {
		test('reads "profile_ids" of the item by default (also when the parameter is not set)', () => {
			const items = [{ profile_ids: ['prof_a', 'prof_b'] }, { profile_ids: 'prof_c' }];
			expect(resolve({ mode: 'fromInput', value: '' }, items)).toEqual(['prof_a', 'prof_b']);
			expect(resolve(undefined, items, FIELD, 1)).toEqual(['prof_c']);
		});

		test('falls back to "profile_id" when the item has no "profile_ids"', () => {
			expect(resolve({ mode: 'fromInput', value: '' }, [{ profile_id: 'prof_a' }])).toEqual([
				'prof_a',
			]);
		});

		test('reads a named field, dotted paths included', () => {
			const items = [{ person: { profile: 'prof_a' }, profile_ids: ['prof_other'] }];
			expect(resolve({ mode: 'fromInput', value: 'person.profile' }, items)).toEqual(['prof_a']);
		});

		test('refuses an item without the field, naming item and field', () => {
			const locator = { mode: 'fromInput', value: 'who' };
			const items = [{ who: 'prof_a' }, { someone: 'prof_b' }];
			const required = nodeErrorOf(() => resolve(locator, items, FIELD, 1), 1);
			expect(required.message).toBe('Input item 1 has no "who" field to take the profile ID from');
			expect(required.description).not.toMatch(/without identity/);
			const optional = nodeErrorOf(() => resolve(locator, items, OPTIONAL, 1), 1);
			expect(optional.description).toMatch(/leave it empty to work without identity/);
		});
	});

	describe('From list and By ID', () => {
		test('take the chosen ids, several separated by commas', () => {
			expect(resolve({ mode: 'list', value: 'prof_a' })).toEqual(['prof_a']);
			expect(resolve({ mode: 'id', value: 'prof_a, prof_b' })).toEqual(['prof_a', 'prof_b']);
		});

		test('refuse a field name left over from By Field (n8n keeps the value when the mode changes)', () => {
			expect(nodeErrorOf(() => resolve({ mode: 'id', value: 'profile_ids' })).message).toBe(
				'Profile is set to "By ID" but still holds "profile_ids", a field name for "By Field"',
			);
			expect(
				nodeErrorOf(() => resolve({ mode: 'list', value: 'profile_id' }, [], OPTIONAL)).message,
			).toBe(
				'Profiles is set to "From list" but still holds "profile_id", a field name for "By Field"',
			);
		});

		test('empty: refused where a profile is needed, no profile where it is optional', () => {
			expect(nodeErrorOf(() => resolve({ mode: 'id', value: '' })).message).toBe(
				'Profile is empty',
			);
			expect(resolve({ mode: 'id', value: ' ' }, [], OPTIONAL)).toEqual([]);
		});
	});
});
