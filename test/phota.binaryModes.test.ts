import { usePhotaEnvironment } from './harness/environment';
import {
	NO_PROFILES,
	chain,
	fixtureNode,
	photaCredentials,
	photaNode,
	photoUrls,
} from './harness/workflow';
import { TEST_API_KEY } from './harness/environment';
import { makePng, sniffImage } from '../simulator';

// n8n's filesystem binary mode keeps binaries on disk and leaves item.binary.data empty: input
// images must be read through the binary helpers and outputs stored through prepareBinaryData.
const env = usePhotaEnvironment({ binaryMode: 'filesystem' });

test('Edit reads a filesystem-mode binary and writes its outputs to disk', async () => {
	const input = makePng('filesystem-input');
	const result = await env.run(
		chain(
			fixtureNode([
				{
					json: {},
					binary: {
						photo: { base64: input.toString('base64'), fileName: 'me.png', mimeType: 'image/png' },
					},
				},
			]),
			photaNode({
				resource: 'image',
				operation: 'edit',
				binaryProperties: 'photo',
				profiles: NO_PROFILES,
				prompt: 'warmer light',
				options: { numberOfImages: 2, binaryPropertyOutput: 'edited' },
			}),
		),
	);

	expect(result.status).toBe('success');
	const inputItem = result.output('Input')[0];
	expect(inputItem.binary?.photo.id).toMatch(/^filesystem/);
	expect(inputItem.binary?.photo.data).not.toBe(input.toString('base64'));
	expect((env.sim.log.forRoute('POST /edit')[0].body as { images: string[] }).images).toEqual([
		input.toString('base64'),
	]);

	const outputs = result.output('Phota');
	expect(outputs).toHaveLength(2);
	for (const item of outputs) {
		expect(item.binary?.edited.id).toMatch(/^filesystem/);
		expect(sniffImage(await env.n8n.binaryBuffer(item.binary!.edited))).toBe('png');
	}
});

test('the profile list search shows each profile with its status (and tag when known)', async () => {
	const created = await env.run(
		chain(
			fixtureNode([{ json: { image_urls: photoUrls(10) } }]),
			photaNode({ resource: 'profile', operation: 'create', imageSource: 'field', tag: 'ada' }),
		),
	);
	const id = created.output('Phota')[0].json.profile_id as string;

	const node = photaNode({ resource: 'image', operation: 'generate' });
	const all = await env.n8n.listSearch(
		node,
		'searchProfiles',
		photaCredentials(env.sim.baseUrl, TEST_API_KEY),
	);
	expect(all.results).toEqual([{ name: `${id} (VALIDATING)`, value: id }]);

	// The list gives bare ids: the search text is tried as a tag, and the tag then shows.
	const byTagOfBareIds = await env.n8n.listSearch(
		node,
		'searchProfiles',
		photaCredentials(env.sim.baseUrl, TEST_API_KEY),
		'ada',
	);
	expect(byTagOfBareIds.results).toEqual([{ name: `${id} (VALIDATING, tag ada)`, value: id }]);

	// When the list answers with objects, the tag is shown and searchable too.
	env.sim.settings.listFormat = 'objects';
	const byTag = await env.n8n.listSearch(
		node,
		'searchProfiles',
		photaCredentials(env.sim.baseUrl, TEST_API_KEY),
		'ADA',
	);
	expect(byTag.results).toEqual([{ name: `${id} (VALIDATING, tag ada)`, value: id }]);

	const none = await env.n8n.listSearch(
		node,
		'searchProfiles',
		photaCredentials(env.sim.baseUrl, TEST_API_KEY),
		'zzz',
	);
	expect(none.results).toEqual([]);
});

test('208 MB of images stored on disk: no warning about files in memory (that is for binary data mode "default")', async () => {
	env.sim.settings.outputBytes = { '1K': 0, '2K': 0, '4K': 52 * 1024 * 1024 };
	const result = await env.runPhota([{ json: {} }], {
		resource: 'image',
		operation: 'generate',
		profiles: NO_PROFILES,
		prompt: 'A studio portrait',
		options: { numberOfImages: 4, resolution: '4K', delivery: 'binary' },
	});

	const outputs = result.output('Phota');
	expect(outputs.map((item) => item.binary?.data.bytes)).toEqual(Array(4).fill(52 * 1024 * 1024));
	const hints = (result.run.data.resultData.runData.Phota[0].hints ?? []).map(
		(hint) => hint.message,
	);
	expect(hints.filter((message) => message.includes("kept in n8n's memory"))).toEqual([]);
}, 60_000);
