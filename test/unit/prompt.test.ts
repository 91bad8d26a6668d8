/**
 * Profiles named in an image prompt (planIdentity): [[profile]] / [[profile_N]] placeholders, [[id]]
 * tokens, and the checks that refuse a prompt before anything is sent. test/badInput.test.ts runs
 * the main refusals through whole workflows; here every rule is checked on its own.
 */
import { identityFields, planIdentity } from '../../nodes/Phota/helpers/profileIds';
import { fakeContext, nodeErrorOf } from './fakeContext';

type Options = Parameters<typeof planIdentity>[1];

/** Edit/Enhance/Remix: the chosen profiles are sent in `profile_ids`. */
const EDIT: Omit<Options, 'chosenProfileIds' | 'rawPrompt'> = {
	promptRequired: false,
	profilesOnlyInPrompt: false,
	allowOtherProfiles: false,
};
/** Generate: the prompt's tokens are all Phota reads. */
const GENERATE: Omit<Options, 'chosenProfileIds' | 'rawPrompt'> = {
	promptRequired: true,
	profilesOnlyInPrompt: true,
	allowOtherProfiles: false,
};

function plan(
	chosenProfileIds: string[],
	rawPrompt: string,
	mode = EDIT,
	overrides: Partial<Options> = {},
	itemIndex = 0,
) {
	return planIdentity.call(fakeContext(), itemIndex, {
		...mode,
		chosenProfileIds,
		rawPrompt,
		...overrides,
	});
}

function refusal(...args: Parameters<typeof plan>) {
	return nodeErrorOf(() => plan(...args), args[4] ?? 0);
}

describe('placeholders and tokens', () => {
	test('[[profile]] is the first chosen profile, [[profile_N]] the Nth; spaces and case do not matter', () => {
		expect(
			plan(['prof_a', 'prof_b'], '[[profile]] meets [[ Profile_2 ]], then [[PROFILE_1]]'),
		).toEqual({
			prompt: '[[prof_a]] meets [[prof_b]], then [[prof_a]]',
			profileIds: ['prof_a', 'prof_b'],
			usedProfileIds: ['prof_a', 'prof_b'],
		});
	});

	test('a [[profile ID]] token stays as written; single brackets and other text are left alone', () => {
		const planned = plan(['prof_a'], 'A [sketch] of [[prof_a]] and [[ prof_a ]] at [10:00]');
		expect(planned.prompt).toBe('A [sketch] of [[prof_a]] and [[prof_a]] at [10:00]');
		expect(planned.usedProfileIds).toEqual(['prof_a']);
	});

	test('[[profile_0]] is refused: profiles are counted from 1', () => {
		expect(refusal(['prof_a'], '[[profile_0]] at work').message).toBe(
			'Prompt uses [[profile_0]], but profiles are counted from 1',
		);
	});

	test('a placeholder beyond the chosen profiles is refused, saying how many there are', () => {
		expect(refusal(['prof_a'], '[[profile]] and [[profile_2]]').message).toBe(
			'Prompt uses [[profile_2]] but only 1 profile(s) are chosen',
		);
		const none = refusal([], 'Portrait of [[profile]]');
		expect(none.message).toBe('Prompt uses [[profile]] but no profile is chosen');
		expect(none.description).toMatch(/\[\[profile_id\]\]/);
	});

	test.each(['', 'prof a', '-prof', 'prof/a'])(
		'[[%s]] is refused: not shaped like a profile ID',
		(inner) => {
			expect(refusal([], `Photo of [[${inner}]]`).message).toBe(
				`Prompt token [[${inner}]] is not a profile ID`,
			);
		},
	);

	test('the error names the item', () => {
		refusal(['prof_a'], '[[profile_3]]', EDIT, {}, 4);
	});
});

describe('profiles named beyond the chosen ones', () => {
	test('are refused by default, so text mapped into the prompt cannot bring in another person', () => {
		const error = refusal(
			['prof_mine'],
			'[[profile]] and [[prof_other]], [[prof_x]], [[prof_other]] again',
		);
		expect(error.message).toBe(
			'Prompt names [[prof_other]], [[prof_x]], which is not among the chosen profiles',
		);
		expect(error.description).toMatch(/Allow Other Profiles in Prompt/);
	});

	test('are taken with Allow Other Profiles: sent as tokens, listed among the profiles used', () => {
		expect(
			plan(['prof_mine'], '[[profile]] and [[prof_other]]', EDIT, { allowOtherProfiles: true }),
		).toEqual({
			prompt: '[[prof_mine]] and [[prof_other]]',
			profileIds: ['prof_mine'],
			usedProfileIds: ['prof_mine', 'prof_other'],
		});
	});

	test('are taken when no profile is chosen (By ID left empty: the prompt names the people)', () => {
		expect(plan([], '[[prof_x]] on a beach').usedProfileIds).toEqual(['prof_x']);
	});

	test('a placeholder for a chosen profile is not an outsider', () => {
		expect(plan(['prof_a', 'prof_b'], '[[profile_2]] alone').usedProfileIds).toEqual([
			'prof_a',
			'prof_b',
		]);
	});
});

describe('Generate (prompt only)', () => {
	test('sends no profile_ids: the prompt names the people; the profiles used are those it names', () => {
		expect(plan(['prof_a', 'prof_b'], '[[profile_2]] on a beach', GENERATE)).toEqual({
			prompt: '[[prof_b]] on a beach',
			profileIds: [],
			usedProfileIds: ['prof_b'],
		});
	});

	test('a prompt that names none of the chosen profiles is refused, with the token to write', () => {
		const error = refusal(['prof_a'], 'A beach at dawn', GENERATE);
		expect(error.message).toBe('The prompt does not mention the chosen profile');
		expect(error.description).toMatch(/\[\[prof_a\]\]/);
	});

	test('without chosen profiles a prompt without tokens is an image without a known person', () => {
		expect(plan([], 'A beach at dawn', GENERATE)).toEqual({
			prompt: 'A beach at dawn',
			profileIds: [],
			usedProfileIds: [],
		});
	});

	test('an empty or blank prompt is refused before its tokens are read', () => {
		expect(refusal(['prof_a'], '  \n ', GENERATE).message).toBe('Prompt is empty');
	});
});

test('without a prompt (optional for Edit), nothing is sent as prompt and the chosen profiles are used', () => {
	expect(plan(['prof_a'], '   ')).toEqual({
		prompt: undefined,
		profileIds: ['prof_a'],
		usedProfileIds: ['prof_a'],
	});
});

describe('the request fields of a plan (identityFields)', () => {
	test('the prompt if given, then the profile IDs if any', () => {
		expect(Object.entries(identityFields(plan(['prof_a'], '[[profile]] at work')))).toEqual([
			['prompt', '[[prof_a]] at work'],
			['profile_ids', ['prof_a']],
		]);
		expect(identityFields(plan(['prof_a'], '  '))).toEqual({ profile_ids: ['prof_a'] });
		expect(identityFields(plan([], ''))).toEqual({});
	});

	test('Generate sends the prompt alone', () => {
		expect(identityFields(plan(['prof_a'], '[[profile]] at work', GENERATE))).toEqual({
			prompt: '[[prof_a]] at work',
		});
	});
});
