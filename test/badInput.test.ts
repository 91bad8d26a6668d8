import type { INodeParameters } from 'n8n-workflow';

import { usePhotaEnvironment } from './harness/environment';
import type { FixtureItem } from './harness/testNodes';
import {
	NO_PROFILES,
	byId,
	chain,
	fixtureNode,
	photaNode,
	photoUrls,
	waitNode,
} from './harness/workflow';
import { makePng } from '../simulator';

/**
 * Bad input to either node is answered with a NodeOperationError that names the field and the
 * item, before a single request reaches Phota (nothing is paid for a typo).
 */
const env = usePhotaEnvironment();

const idFromField = byId('={{ $json.person_id }}');
const png = { base64: makePng('in').toString('base64'), fileName: 'in.png', mimeType: 'image/png' };
const pdf = {
	base64: Buffer.from('%PDF-1.4 not an image').toString('base64'),
	fileName: 'brief.pdf',
	mimeType: 'application/pdf',
};

interface BadInputCase {
	name: string;
	/** The node under test; the Phota node unless said. */
	node?: 'phota' | 'wait';
	items: FixtureItem[];
	parameters: INodeParameters;
	/** Expected error message (substring) and the item it names. */
	message: RegExp;
	/** Expected hint in the error's description, when the message alone would leave a user stuck. */
	description?: RegExp;
	itemIndex: number;
}

const badInputs: BadInputCase[] = [
	{
		name: 'edit with no binary field and no URL',
		items: [{ json: {} }],
		parameters: {
			resource: 'image',
			operation: 'edit',
			binaryProperties: '',
			profiles: NO_PROFILES,
			prompt: 'x',
		},
		message: /No input image/,
		itemIndex: 0,
	},
	{
		name: 'edit naming a binary field the item does not have',
		items: [{ json: {}, binary: { data: png } }, { json: {} }],
		parameters: { resource: 'image', operation: 'edit', profiles: NO_PROFILES, prompt: 'x' },
		message: /Binary Fields: input item 1 has no binary field "data"/,
		itemIndex: 1,
	},
	{
		name: 'edit with a PDF instead of an image',
		items: [{ json: {}, binary: { data: pdf } }],
		parameters: { resource: 'image', operation: 'edit', profiles: NO_PROFILES, prompt: 'x' },
		message: /not an image Phota accepts \(application\/pdf, brief\.pdf\)/,
		itemIndex: 0,
	},
	{
		name: 'edit with 11 images',
		items: [{ json: {}, binary: { data: png } }],
		parameters: {
			resource: 'image',
			operation: 'edit',
			imageUrls: photoUrls(10),
			profiles: NO_PROFILES,
			prompt: 'x',
		},
		message: /Too many input images: 11/,
		itemIndex: 0,
	},
	{
		name: 'edit with a URL that is not http(s)',
		items: [{ json: {} }],
		parameters: {
			resource: 'image',
			operation: 'edit',
			binaryProperties: '',
			imageUrls: ['ftp://x.org/a.jpg'],
			profiles: NO_PROFILES,
			prompt: 'x',
		},
		message: /Image URLs: "ftp:\/\/x.org\/a.jpg" is not an http\(s\) URL/,
		itemIndex: 0,
	},
	{
		name: 'generate with an empty prompt',
		items: [{ json: {} }, { json: {} }],
		parameters: {
			resource: 'image',
			operation: 'generate',
			profiles: NO_PROFILES,
			prompt: '={{ $itemIndex === 1 ? "" : "a cat" }}',
		},
		message: /^Prompt is empty$/,
		itemIndex: 1,
	},
	{
		name: 'generate with a [[token]] that is not a profile id',
		items: [{ json: {} }],
		parameters: {
			resource: 'image',
			operation: 'generate',
			profiles: NO_PROFILES,
			prompt: 'Photo of [[Ada Lovelace]]',
		},
		message: /Prompt token \[\[Ada Lovelace\]\] is not a profile ID/,
		itemIndex: 0,
	},
	{
		name: 'generate with [[profile_2]] but one profile chosen',
		items: [{ json: { profile_ids: ['prof_a'] } }],
		parameters: {
			resource: 'image',
			operation: 'generate',
			prompt: '[[profile]] and [[profile_2]]',
		},
		message: /Prompt uses \[\[profile_2\]\] but only 1 profile\(s\) are chosen/,
		itemIndex: 0,
	},
	{
		name: 'generate with 4K on Flux 2',
		items: [{ json: {} }],
		parameters: {
			resource: 'image',
			operation: 'generate',
			profiles: NO_PROFILES,
			prompt: 'x',
			options: { baseModel: 'flux-2', resolution: '4K' },
		},
		message: /Resolution 4K is not available with the base model flux-2/,
		itemIndex: 0,
	},
	{
		name: 'generate with quality on Nano Banana 2',
		items: [{ json: {} }],
		parameters: {
			resource: 'image',
			operation: 'generate',
			profiles: NO_PROFILES,
			prompt: 'x',
			options: { quality: 'high' },
		},
		message: /Quality only works with the GPT Image 2 base model/,
		itemIndex: 0,
	},
	{
		name: 'edit with an untyped binary that is not an image',
		items: [
			{
				json: {},
				binary: { data: { ...pdf, mimeType: 'application/octet-stream', fileName: 'blob' } },
			},
		],
		parameters: { resource: 'image', operation: 'edit', profiles: NO_PROFILES, prompt: 'x' },
		message: /not an image Phota accepts \(application\/octet-stream, blob\)/,
		itemIndex: 0,
	},
	{
		name: 'generate with an http callback URL',
		items: [{ json: {} }],
		parameters: {
			resource: 'image',
			operation: 'generate',
			profiles: NO_PROFILES,
			prompt: 'x',
			options: { async: true, callbackUrl: 'http://h.org/cb' },
		},
		message: /Callback URL must be an https:\/\/ URL/,
		itemIndex: 0,
	},
	{
		name: 'generate with 5 images',
		items: [{ json: {} }],
		parameters: {
			resource: 'image',
			operation: 'generate',
			profiles: NO_PROFILES,
			prompt: 'x',
			options: { numberOfImages: 5 },
		},
		message: /Number of Images must be a whole number from 1 to 4/,
		itemIndex: 0,
	},
	{
		name: 'a profile id with spaces in profile_ids',
		items: [{ json: { profile_ids: ['prof a1'] } }],
		parameters: { resource: 'image', operation: 'generate', prompt: '[[profile]]' },
		message: /^"prof a1" in Profiles is not a Phota profile ID$/,
		itemIndex: 0,
	},
	{
		name: 'enhance from a URL that is a file path',
		items: [{ json: {} }],
		parameters: {
			resource: 'image',
			operation: 'enhance',
			imageSource: 'url',
			imageUrl: '/home/me/photo.jpg',
			profiles: NO_PROFILES,
		},
		message: /Image URL: "\/home\/me\/photo.jpg" is not an http\(s\) URL/,
		itemIndex: 0,
	},
	{
		name: 'remix without the reference binary',
		items: [{ json: {}, binary: { data: png } }],
		parameters: {
			resource: 'image',
			operation: 'remix',
			profiles: NO_PROFILES,
			referenceBinaryProperty: 'style',
		},
		message: /Reference Image Binary Field: input item 0 has no binary field "style"/,
		itemIndex: 0,
	},
	{
		name: 'create profile with a non-URL photo',
		items: [{ json: {} }],
		parameters: {
			resource: 'profile',
			operation: 'create',
			imageUrls: [...photoUrls(9), 'photo10.jpg'],
		},
		message: /Photo URL 10 is not an http\(s\) URL/,
		itemIndex: 0,
	},
	{
		name: 'create profile with a 129-character tag',
		items: [{ json: {} }],
		parameters: {
			resource: 'profile',
			operation: 'create',
			imageUrls: photoUrls(10),
			tag: 'x'.repeat(129),
		},
		message: /Tag is 129 characters long/,
		itemIndex: 0,
	},
	{
		name: 'create profile from all items when one item has no URL',
		items: [...photoUrls(9).map((url) => ({ json: { url } })), { json: {} }],
		parameters: { resource: 'profile', operation: 'create', imageSource: 'allItems' },
		message: /Input item 9 has no photo URL in the field "url"/,
		itemIndex: 9,
	},
	{
		name: 'job get without a job id',
		items: [{ json: {} }],
		parameters: { resource: 'job', operation: 'get' },
		message: /Job ID is empty/,
		itemIndex: 0,
	},
];

badInputs.push(
	{
		name: 'create profile whose 12 URLs hold only 9 distinct photos',
		items: [{ json: {} }],
		parameters: {
			resource: 'profile',
			operation: 'create',
			imageUrls: [...photoUrls(9), ...photoUrls(3)],
		},
		message: /standard tier needs 10–50 distinct photos, got 9/,
		itemIndex: 0,
	},
	{
		name: 'create profile from a list field the item does not have',
		items: [{ json: { photos: [] } }],
		parameters: { resource: 'profile', operation: 'create', imageSource: 'field' },
		message: /Input item 0 has no "image_urls" field with photo URLs/,
		itemIndex: 0,
	},
	{
		name: 'edit with an empty prompt',
		items: [{ json: {}, binary: { data: png } }],
		parameters: { resource: 'image', operation: 'edit', profiles: NO_PROFILES, prompt: '  ' },
		message: /^Prompt is empty$/,
		itemIndex: 0,
	},
	{
		name: 'remix without the input binary',
		items: [{ json: {} }],
		parameters: {
			resource: 'image',
			operation: 'remix',
			profiles: NO_PROFILES,
			referenceSource: 'url',
			referenceUrl: 'https://x.org/r.jpg',
		},
		message: /Input Image Binary Field: input item 0 has no binary field "data"/,
		itemIndex: 0,
	},
	{
		name: 'generate with [[profile]] but no profile chosen',
		items: [{ json: {} }],
		parameters: {
			resource: 'image',
			operation: 'generate',
			profiles: NO_PROFILES,
			prompt: 'Portrait of [[profile]]',
		},
		message: /Prompt uses \[\[profile\]\] but no profile is chosen/,
		itemIndex: 0,
	},
);

badInputs.push(
	{
		name: 'create profile with 9 photos on the standard tier',
		items: [{ json: {} }],
		parameters: {
			resource: 'profile',
			operation: 'create',
			imageUrls: photoUrls(9),
			trainingTier: 'standard',
		},
		message: /standard tier needs 10–50 distinct photos, got 9/,
		itemIndex: 0,
	},
	{
		name: 'create profile with 11 photos on the fast tier',
		items: [{ json: {} }],
		parameters: {
			resource: 'profile',
			operation: 'create',
			imageUrls: photoUrls(11),
			trainingTier: 'fast',
		},
		message: /fast tier needs 5–10 distinct photos, got 11/,
		itemIndex: 0,
	},
	{
		name: 'create profile with 51 photos on the standard tier',
		items: [{ json: {} }],
		parameters: { resource: 'profile', operation: 'create', imageUrls: photoUrls(51) },
		message: /standard tier needs 10–50 distinct photos, got 51/,
		itemIndex: 0,
	},
	{
		name: 'get status of an item without profile_ids',
		items: [{ json: { profile_ids: ['prof_1'] } }, { json: { name: 'no id' } }],
		parameters: { resource: 'profile', operation: 'getStatus' },
		message: /^Input item 1 has no "profile_ids" field to take the profile ID from$/,
		itemIndex: 1,
	},
	{
		name: 'generate with a prompt that never names the chosen profile',
		items: [{ json: { profile_ids: ['prof_abc'] } }],
		parameters: { resource: 'image', operation: 'generate', prompt: 'A woman on a beach' },
		message: /^The prompt does not mention the chosen profile$/,
		description: /\[\[profile\]\]/,
		itemIndex: 0,
	},
	{
		name: 'delete with a profile ID expression that is empty for item 1',
		items: [{ json: { person_id: 'prof_a' } }, { json: {} }],
		parameters: { resource: 'profile', operation: 'deleteProfile', profile: idFromField },
		message: /^Profile is empty$/,
		itemIndex: 1,
	},
);

const waitParameters = { pollIntervalSeconds: 0.05, timeoutMinutes: 1 };

badInputs.push(
	{
		name: 'wait: an item without profile_ids',
		node: 'wait',
		items: [{ json: { profile_ids: ['prof_a'] } }, { json: { name: 'x' } }],
		parameters: waitParameters,
		message: /^Input item 1 has no "profile_ids" field to take the profile ID from$/,
		itemIndex: 1,
	},
	{
		name: 'wait: a profile id with spaces',
		node: 'wait',
		items: [{ json: { profile_ids: ['prof one'] } }],
		parameters: waitParameters,
		message: /^"prof one" in Profiles is not a Phota profile ID$/,
		itemIndex: 0,
	},
	{
		name: 'wait: profile_ids holding an object',
		node: 'wait',
		items: [{ json: { profile_ids: [{ name: 'Ada' }] } }],
		parameters: waitParameters,
		message: /^"\{"name":"Ada"\}" in Profiles is not a Phota profile ID$/,
		itemIndex: 0,
	},
	{
		name: 'wait: a custom profile field that is missing',
		node: 'wait',
		items: [{ json: { ids: ['prof_a'] } }],
		parameters: {
			...waitParameters,
			profiles: { __rl: true, mode: 'fromInput', value: 'profileList' },
		},
		message: /has no "profileList" field/,
		itemIndex: 0,
	},
	{
		name: 'wait: a profile ID expression that is empty',
		node: 'wait',
		items: [{ json: {} }],
		parameters: { ...waitParameters, profiles: idFromField },
		message: /^Profiles is empty$/,
		itemIndex: 0,
	},
	{
		name: 'check once: the third item has an invalid id',
		node: 'wait',
		items: [
			{ json: { profile_ids: ['prof_a'] } },
			{ json: { profile_ids: ['prof_b'] } },
			{ json: { profile_ids: ['prof/../c'] } },
		],
		parameters: { mode: 'checkOnce' },
		message: /^"prof\/\.\.\/c" in Profiles is not a Phota profile ID$/,
		itemIndex: 2,
	},
);

/** Numbers set by expressions reach the node unchecked by n8n: each is read by one checked reader. */
const generate = { resource: 'image', operation: 'generate', profiles: NO_PROFILES, prompt: 'x' };
badInputs.push(
	{
		name: 'Parallel Requests from an expression that is not a number',
		items: [{ json: { p: 'many' } }, { json: { p: 'many' } }],
		parameters: { ...generate, options: { parallelRequests: '={{ $json.p }}' } },
		message: /^Parallel Requests must be a whole number from 1 to 20, got "many"$/,
		itemIndex: 0,
	},
	{
		name: 'Parallel Requests above its range',
		items: [{ json: {} }],
		parameters: { ...generate, options: { parallelRequests: 500 } },
		message: /^Parallel Requests must be a whole number from 1 to 20, got 500$/,
		itemIndex: 0,
	},
	{
		// The run's settings are read in one order (readRunSettings): the request settings first.
		name: 'Parallel Requests and Max Images both invalid: Parallel Requests is named',
		items: [{ json: {} }],
		parameters: { ...generate, options: { maxImages: -1, parallelRequests: 500 } },
		message: /^Parallel Requests must be a whole number from 1 to 20, got 500$/,
		itemIndex: 0,
	},
	{
		name: 'Max Retries from an expression that is not a number',
		items: [{ json: { profile_ids: ['prof_a'], r: 'lots' } }],
		parameters: {
			resource: 'profile',
			operation: 'getStatus',
			options: { maxRetries: '={{ $json.r }}' },
		},
		message: /^Max Retries must be a whole number from 0 to 10, got "lots"$/,
		itemIndex: 0,
	},
	{
		name: 'a negative Request Timeout',
		items: [{ json: {} }],
		parameters: {
			resource: 'profile',
			operation: 'getMany',
			options: { requestTimeoutSeconds: -5 },
		},
		message: /^Request Timeout \(Seconds\) must be a number from 0 to 3600, got -5$/,
		itemIndex: 0,
	},
	{
		name: 'Rate Limit Wait that is not a number',
		items: [{ json: {} }],
		parameters: { ...generate, options: { rateLimitWaitMinutes: '={{ "long" }}' } },
		message: /^Rate Limit Wait \(Minutes\) must be a number from 0 to 1440, got "long"$/,
		itemIndex: 0,
	},
	{
		name: 'Number of Images out of range on the second item',
		items: [{ json: { n: 1 } }, { json: { n: 5 } }],
		parameters: { ...generate, options: { numberOfImages: '={{ $json.n }}' } },
		message: /^Number of Images must be a whole number from 1 to 4, got 5$/,
		itemIndex: 1,
	},
	{
		name: 'Number of Images that is not a number',
		items: [{ json: { n: 'two' } }],
		parameters: { ...generate, options: { numberOfImages: '={{ $json.n }}' } },
		message: /^Number of Images must be a whole number from 1 to 4, got "two"$/,
		itemIndex: 0,
	},
	{
		name: 'Get Many Limit that is not a number',
		items: [{ json: { limit: 'abc' } }],
		parameters: { resource: 'profile', operation: 'getMany', limit: '={{ $json.limit }}' },
		message: /^Limit must be a whole number from 1 to 100000, got "abc"$/,
		itemIndex: 0,
	},
	{
		name: 'wait: a Timeout that is not a number (would wait forever)',
		node: 'wait',
		items: [{ json: { profile_ids: ['prof_a'], t: 'soon' } }],
		parameters: { ...waitParameters, timeoutMinutes: '={{ $json.t }}' },
		message: /^Timeout \(Minutes\) must be a number from 0.001 to 1440, got "soon"$/,
		itemIndex: 0,
	},
	{
		name: 'wait: a Poll Interval that is not a number',
		node: 'wait',
		items: [{ json: { profile_ids: ['prof_a'], i: 'often' } }],
		parameters: { ...waitParameters, pollIntervalSeconds: '={{ $json.i }}' },
		message: /^Poll Interval \(Seconds\) must be a number from 0.05 to 3600, got "often"$/,
		itemIndex: 0,
	},
	{
		name: 'wait: zero Parallel Status Requests',
		node: 'wait',
		items: [{ json: { profile_ids: ['prof_a'] } }],
		parameters: { ...waitParameters, options: { parallelRequests: 0 } },
		message: /^Parallel Status Requests must be a whole number from 1 to 50, got 0$/,
		itemIndex: 0,
	},
	{
		name: 'check once: Parallel Status Requests from an expression that is not a number',
		node: 'wait',
		items: [{ json: { profile_ids: ['prof_a'], p: 'x' } }],
		parameters: { mode: 'checkOnce', options: { parallelRequests: '={{ $json.p }}' } },
		message: /^Parallel Status Requests must be a whole number from 1 to 50, got "x"$/,
		itemIndex: 0,
	},
	{
		name: 'prompt text naming a profile that is not chosen',
		items: [{ json: { profile_ids: ['prof_mine'], caption: 'me and [[prof_other]]' } }],
		parameters: {
			resource: 'image',
			operation: 'generate',
			prompt: '=[[profile]] {{ $json.caption }}',
		},
		message: /^Prompt names \[\[prof_other\]\], which is not among the chosen profiles$/,
		description: /Allow Other Profiles in Prompt/,
		itemIndex: 0,
	},
	{
		name: 'Profiles switched to "By ID" still holding a By Field field name (workflows saved before the empty default)',
		items: [{ json: { profile_ids: ['prof_a'] } }],
		parameters: { ...generate, profiles: byId('profile_ids') },
		message:
			/^Profiles is set to "By ID" but still holds "profile_ids", a field name for "By Field"$/,
		itemIndex: 0,
	},
	{
		name: 'Async from an expression giving neither true nor false',
		items: [{ json: { async: 'true' } }, { json: { async: 'yes' } }],
		parameters: { ...generate, options: { async: '={{ $json.async }}' } },
		message: /^Async Job must be true, false or "wait", got "yes"$/,
		itemIndex: 1,
	},
	{
		name: 'Allow Other Profiles in Prompt from an expression giving a number',
		items: [{ json: {} }],
		parameters: { ...generate, options: { allowOtherProfilesInPrompt: '={{ 1 }}' } },
		message: /^Allow Other Profiles in Prompt must be true or false, got 1$/,
		itemIndex: 0,
	},
	{
		name: 'Job → Get with Download Images from an expression giving "maybe"',
		items: [{ json: { job_id: 'job_1' } }],
		parameters: { resource: 'job', operation: 'get', options: { download: '=maybe' } },
		message: /^Download Images must be true or false, got "maybe"$/,
		itemIndex: 0,
	},
	{
		name: 'Get Many with Include Training Status from an expression giving "on"',
		items: [{ json: {} }],
		parameters: { resource: 'profile', operation: 'getMany', options: { includeStatus: '=on' } },
		message: /^Include Training Status must be true or false, got "on"$/,
		itemIndex: 0,
	},
	{
		name: 'Get Many with Return All from an expression giving "all"',
		items: [{ json: {} }],
		parameters: { resource: 'profile', operation: 'getMany', returnAll: '=all' },
		message: /^Return All must be true or false, got "all"$/,
		itemIndex: 0,
	},
	{
		name: 'prompt placeholder [[profile_0]]',
		items: [{ json: { profile_ids: ['prof_mine'] } }],
		parameters: { resource: 'image', operation: 'generate', prompt: '[[profile_0]] at work' },
		message: /^Prompt uses \[\[profile_0\]\], but profiles are counted from 1$/,
		itemIndex: 0,
	},
);

describe('bad input is refused before any request, naming the field and the item', () => {
	test.each(badInputs.map((badInput) => [badInput.name, badInput] as const))(
		'%s',
		async (_name, badInput) => {
			const node =
				badInput.node === 'wait'
					? waitNode(badInput.parameters, { name: 'Node' })
					: photaNode(badInput.parameters, { name: 'Node' });
			const result = await env.run(chain(fixtureNode(badInput.items), node));

			expect(result.status).toBe('error');
			expect(result.error?.name).toBe('NodeOperationError');
			expect(result.error?.message).toMatch(badInput.message);
			if (badInput.description) expect(result.error?.description).toMatch(badInput.description);
			expect(
				(result.error as unknown as { context: { itemIndex?: number } }).context.itemIndex,
			).toBe(badInput.itemIndex);
			expect(env.sim.log.count()).toBe(0);
		},
	);
});

test('Async set by an expression to the string "true" runs async (a job, no binary)', async () => {
	const result = await env.runPhota([{ json: { async: 'true' } }], {
		...generate,
		options: { async: '={{ $json.async }}' },
	});
	expect(result.status).toBe('success');
	const [request] = env.sim.log.forRoute('POST /generate');
	expect((request.body as { async?: boolean }).async).toBe(true);
	const [item] = result.output('Phota');
	expect(item.json.job_id).toEqual(expect.any(String));
	expect(item.binary).toBeUndefined();
});
