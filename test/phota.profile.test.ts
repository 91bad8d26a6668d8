import { usePhotaEnvironment } from './harness/environment';
import {
	byId,
	chain,
	createProfileNode,
	fixtureNode,
	photaNode,
	photoUrls,
} from './harness/workflow';

const env = usePhotaEnvironment();

describe('Phota → Profile → Create', () => {
	test('creates one profile per item from the entered URLs and outputs profile_ids', async () => {
		const urls = photoUrls(12);
		const result = await env.runPhota([{ json: { person: 'ada' } }], {
			resource: 'profile',
			operation: 'create',
			imageSource: 'list',
			imageUrls: urls,
			tag: 'user_42',
		});

		expect(result.status).toBe('success');
		const [item] = result.output('Phota');
		const profileId = item.json.profile_id as string;
		expect(profileId).toMatch(/^prof_/);
		expect(item.json).toMatchObject({
			profile_ids: [profileId],
			training_tier: 'standard',
			tag: 'user_42',
			image_count: 12,
		});
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(env.sim.log.forRoute('POST /profiles/add')[0].body).toEqual({
			image_urls: urls,
			training_tier: 'standard',
			tag: 'user_42',
		});
	});

	test('a comma-separated list pasted into one Photo URL box is split into its URLs', async () => {
		const urls = photoUrls(12);
		const result = await env.runPhota([{ json: {} }], {
			resource: 'profile',
			operation: 'create',
			imageSource: 'list',
			imageUrls: [urls.slice(0, 10).join(', '), ...urls.slice(10)],
		});
		expect(result.status).toBe('success');
		expect(env.sim.log.forRoute('POST /profiles/add')[0].body).toMatchObject({ image_urls: urls });
	});

	test('reads a list field per item (one profile per item) with the fast tier', async () => {
		const result = await env.runPhota(
			[
				{ json: { image_urls: photoUrls(6, 'https://x.org/a') } },
				{ json: { image_urls: photoUrls(7, 'https://x.org/b') } },
			],
			{
				resource: 'profile',
				operation: 'create',
				imageSource: 'field',
				imageUrlsField: 'image_urls',
				trainingTier: 'fast',
			},
		);

		const items = result.output('Phota');
		expect(items).toHaveLength(2);
		expect(items.map((item) => item.json.image_count)).toEqual([6, 7]);
		expect(items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(env.sim.profiles().map((profile) => profile.tier)).toEqual(['fast', 'fast']);
	});

	test('collects one URL from each of all items into a single profile paired with every item', async () => {
		const urls = photoUrls(10);
		const result = await env.runPhota(
			urls.map((url) => ({ json: { url } })),
			{
				resource: 'profile',
				operation: 'create',
				imageSource: 'allItems',
				imageUrlField: 'url',
			},
		);

		const items = result.output('Phota');
		expect(items).toHaveLength(1);
		expect(items[0].pairedItem).toEqual(urls.map((_, item) => ({ item })));
		expect(env.sim.profiles()).toHaveLength(1);
		expect(env.sim.profiles()[0].imageUrls).toEqual(urls);
	});
});

describe('Phota → Profile → Get Status / Get Many / Get Picture / Delete', () => {
	async function createProfiles(count: number, tag?: string): Promise<string[]> {
		const result = await env.run(
			chain(
				fixtureNode(
					Array.from({ length: count }, (_, index) => ({
						json: { image_urls: photoUrls(10, `https://x.org/p${index}`) },
					})),
				),
				photaNode({
					resource: 'profile',
					operation: 'create',
					imageSource: 'field',
					...(tag ? { tag } : {}),
				}),
			),
		);
		return result.output('Phota').map((item) => item.json.profile_id as string);
	}

	test('Create → Get Status chains on profile_ids with no expression and reports training progress', async () => {
		const result = await env.run(
			chain(
				fixtureNode([{ json: { image_urls: photoUrls(10) } }]),
				createProfileNode(),
				photaNode({ resource: 'profile', operation: 'getStatus' }, { name: 'Status' }),
			),
		);

		const created = result.output('Create')[0].json.profile_id;
		const [status] = result.output('Status');
		expect(status.json).toMatchObject({
			profile_id: created,
			profile_ids: [created],
			status: 'VALIDATING',
			ready: false,
		});
	});

	test('Get Status reports READY after training and ERROR with its message', async () => {
		env.sim.settings.profilePlan = ({ index }) =>
			index === 1 ? { outcome: 'ERROR', message: 'Faces do not match' } : undefined;
		const [readyId, failedId] = await createProfiles(2);
		env.sim.advanceClock(600_000);

		const result = await env.runPhota(
			[{ json: { profile_ids: [readyId] } }, { json: { profile_id: failedId } }],
			{ resource: 'profile', operation: 'getStatus' },
		);

		expect(result.output('Phota').map((item) => item.json)).toEqual([
			{ profile_id: readyId, status: 'READY', ready: true, message: '', profile_ids: [readyId] },
			{
				profile_id: failedId,
				status: 'ERROR',
				ready: false,
				message: 'Faces do not match',
				profile_ids: [failedId],
			},
		]);
	});

	test('Get Many lists profiles with their status, filtered by tag and limited', async () => {
		await createProfiles(2, 'team_a');
		await createProfiles(1, 'team_b');

		const tagged = await env.runPhota([{ json: {} }], {
			resource: 'profile',
			operation: 'getMany',
			returnAll: true,
			filters: { tag: 'team_a' },
		});
		expect(tagged.output('Phota')).toHaveLength(2);
		for (const item of tagged.output('Phota')) {
			expect(item.json).toMatchObject({
				status: 'VALIDATING',
				tag: 'team_a',
				profile_ids: [item.json.profile_id],
			});
		}
		expect(env.sim.log.forRoute('GET /profiles/ids').at(-1)?.query).toEqual({ tag: 'team_a' });

		const limited = await env.runPhota([{ json: {} }], {
			resource: 'profile',
			operation: 'getMany',
			limit: 2,
		});
		expect(limited.output('Phota')).toHaveLength(2);
	});

	test('Get Many also accepts list entries that are objects (API variant)', async () => {
		env.sim.settings.listFormat = 'objects';
		const [id] = await createProfiles(1, 'obj');
		env.sim.log.clear();

		const result = await env.runPhota([{ json: {} }], {
			resource: 'profile',
			operation: 'getMany',
			returnAll: true,
		});

		expect(result.output('Phota').map((item) => item.json)).toEqual([
			{ profile_id: id, status: 'VALIDATING', tag: 'obj', profile_ids: [id] },
		]);
		expect(env.sim.log.count('GET /profiles/:id/status')).toBe(0);
	});

	test('Get Picture outputs the JPEG as binary data', async () => {
		const [id] = await createProfiles(1);
		const result = await env.runPhota([{ json: { profile_ids: [id] } }], {
			resource: 'profile',
			operation: 'getPicture',
		});

		const [item] = result.output('Phota');
		expect(item.json).toMatchObject({ profile_id: id, profile_ids: [id], mimeType: 'image/jpeg' });
		expect(item.binary?.data).toMatchObject({
			mimeType: 'image/jpeg',
			fileName: `phota-profile-${id}.jpg`,
			fileExtension: 'jpg',
		});
		const bytes = await env.n8n.binaryBuffer(item.binary!.data);
		expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
	});

	test("Delete removes the profile; a second delete is a 404 API error with Phota's message", async () => {
		const [id] = await createProfiles(1);
		const workflow = chain(
			fixtureNode([{ json: { profile_ids: [id] } }]),
			photaNode({ resource: 'profile', operation: 'deleteProfile' }),
		);

		const first = await env.run(workflow);
		expect(first.output('Phota')[0].json).toEqual({
			profile_id: id,
			deleted: true,
			status: 'ok',
			profile_ids: [id],
		});
		expect(env.sim.profiles()).toHaveLength(0);

		const second = await env.run(workflow);
		expect(second.status).toBe('error');
		expect(second.error?.name).toBe('NodeApiError');
		expect(second.error?.message).toMatch(`Profile ${id} not found`);
		expect((second.error as unknown as { httpCode: string }).httpCode).toBe('404');
	});

	test('profiles chosen By ID accept several comma-separated IDs', async () => {
		const ids = await createProfiles(2);
		const result = await env.runPhota([{ json: {} }], {
			resource: 'profile',
			operation: 'getStatus',
			profile: byId(ids.join(', ')),
		});
		expect(result.output('Phota').map((item) => item.json.profile_id)).toEqual(ids);
	});
});
