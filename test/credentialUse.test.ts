/**
 * How the nodes use their credential: read once per node run (in n8n each read is a database
 * query, a decryption and an expression pass over its fields), applied to every request by n8n's
 * `httpRequestWithAuthentication` with the credential's own `authenticate` (which sends the key
 * only to the Base URL's origin).
 */
import type { INode } from 'n8n-workflow';

import { TEST_API_KEY, usePhotaEnvironment } from './harness/environment';
import {
	chain,
	fixtureNode,
	photaCredentials,
	photaNode,
	photoUrls,
	waitNode,
} from './harness/workflow';

const env = usePhotaEnvironment();

const getStatus = { resource: 'profile', operation: 'getStatus' };

afterEach(() => jest.restoreAllMocks());

describe('the Phota credential', () => {
	test('is read once per node run and applied by n8n to every request', async () => {
		const ids = await env.readyProfiles(3);
		const items = Array.from({ length: 12 }, (_, index) => ({
			json: { profile_ids: [ids[index % 3]] },
		}));
		const before = env.n8n.credentialUse;

		const result = await env.runPhota(items, { ...getStatus, options: { parallelRequests: 4 } });

		expect(result.status).toBe('success');
		expect(result.output('Phota')).toHaveLength(12);
		const after = env.n8n.credentialUse;
		expect(after.reads - before.reads).toBe(1);
		expect(after.authentications - before.authentications).toBe(12);
		const requests = env.sim.log.forRoute('GET /profiles/:id/status');
		expect(requests).toHaveLength(12);
		expect(requests.every((entry) => entry.apiKeyValid)).toBe(true);
	});

	test('is read again by the next run, so a changed key takes effect at once', async () => {
		const [id] = await env.readyProfiles(1);
		const workflow = chain(fixtureNode([{ json: { profile_ids: [id] } }]), photaNode(getStatus));

		const wrong = await env.n8n.run(workflow, {
			credentials: photaCredentials(env.sim.baseUrl, 'a-key-since-replaced-41c7'),
		});
		const right = await env.n8n.run(workflow, {
			credentials: photaCredentials(env.sim.baseUrl, TEST_API_KEY),
		});

		expect(wrong.error?.message).toMatch(/401/);
		expect(right.status).toBe('success');
		expect(right.output('Phota')[0].json).toMatchObject({ profile_id: id, status: 'READY' });
	});

	test('is read again after a minute within one long node run (Wait for Profile Ready)', async () => {
		const create = await env.runPhota([{ json: { image_urls: photoUrls(10) } }], {
			resource: 'profile',
			operation: 'create',
			imageSource: 'field',
		});
		const id = create.output('Phota')[0].json.profile_id as string;
		env.sim.log.clear();
		const before = env.n8n.credentialUse;

		// The node's clock (Date.now) jumps a minute ahead once the first poll went out.
		const realNow = Date.now.bind(Date);
		let offsetMs = 0;
		jest.spyOn(Date, 'now').mockImplementation(() => realNow() + offsetMs);
		const run = env.run(
			chain(
				fixtureNode([{ json: { profile_ids: [id] } }]),
				waitNode({ pollIntervalSeconds: 0.05, timeoutMinutes: 10 }, { name: 'Wait' }),
			),
		);
		while (env.sim.log.count('GET /profiles/:id/status') === 0)
			await new Promise((resolve) => setTimeout(resolve, 5));
		offsetMs = 61_000;
		const pollsBeforeJump = env.sim.log.count('GET /profiles/:id/status');
		while (env.sim.log.count('GET /profiles/:id/status') <= pollsBeforeJump + 1)
			await new Promise((resolve) => setTimeout(resolve, 5));
		env.sim.advanceClock(600_000);
		const result = await run;

		expect(result.status).toBe('success');
		expect(result.output('Wait')[0].json).toMatchObject({ profile_ids: [id], status: 'READY' });
		const after = env.n8n.credentialUse;
		expect(after.reads - before.reads).toBe(2);
		expect(
			env.sim.log.forRoute('GET /profiles/:id/status').every((entry) => entry.apiKeyValid),
		).toBe(true);
	});
});

describe('a credential the node cannot use', () => {
	const workflowWith = (credentials: INode['credentials']) =>
		chain(fixtureNode([{ json: { profile_ids: ['prof_a'] } }]), {
			...photaNode(getStatus),
			credentials,
		});

	test('none selected: n8n says so, and the node says what to do', async () => {
		const result = await env.n8n.run(workflowWith(undefined), {
			credentials: photaCredentials(env.sim.baseUrl, TEST_API_KEY),
		});
		expect(result.error?.name).toBe('NodeOperationError');
		expect(result.error?.message).toBe('Node does not have any credentials set');
		expect(result.error?.description).toMatch(/Select a Phota API credential/);
	});

	test('one n8n cannot read: its reason is kept, not blamed on the Base URL', async () => {
		// The harness fails the read as n8n would for a deleted or undecryptable credential.
		const result = await env.n8n.run(workflowWith({ photaApi: { id: 'gone', name: 'Gone' } }));
		expect(result.error?.name).toBe('NodeOperationError');
		expect(result.error?.message).toBe('No test credentials of type photaApi were given');
		expect(result.error?.description ?? '').not.toMatch(/Base URL/);
	});

	test('a bad Base URL: the error says to change it, and never holds the key', async () => {
		const result = await env.n8n.run(workflowWith({ photaApi: { id: 'c', name: 'C' } }), {
			credentials: photaCredentials('ftp://files.example.org/phota', TEST_API_KEY),
		});
		expect(result.error?.message).toBe('The Base URL must start with https://, got "ftp://"');
		expect(result.error?.description).toBe('Change the Base URL in the Phota credential.');
		expect(JSON.stringify(result.error)).not.toContain(TEST_API_KEY);
	});
});
