/**
 * Reading the Phota credential (transport/credential.ts) and applying it (PhotaApi.authenticate):
 * each failure keeps its own cause; only a bad Base URL is told to change the Base URL.
 */
import type { ICredentialDataDecryptedObject, INode } from 'n8n-workflow';
import { NodeOperationError, UserError } from 'n8n-workflow';

import { PhotaApi } from '../../credentials/PhotaApi.credentials';
import { CredentialCache, credentialOf } from '../../nodes/Phota/transport/credential';
import type { PhotaContext } from '../../nodes/Phota/transport/types';

const API_KEY = 'phota-unit-key-5f2e';

function contextWith(read: () => Promise<ICredentialDataDecryptedObject>, selected = true) {
	const node: INode = {
		id: 'phota-node',
		name: 'Phota',
		type: 'n8n-nodes-phota.phota',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
		...(selected ? { credentials: { photaApi: { id: 'cred-1', name: 'Phota account' } } } : {}),
	};
	const context = { getNode: () => node, getCredentials: jest.fn(read) };
	return { context: context as unknown as PhotaContext, getCredentials: context.getCredentials };
}

async function failureOf(promise: Promise<unknown>): Promise<NodeOperationError> {
	const error = await promise.then(
		() => undefined,
		(failure: unknown) => failure,
	);
	expect(error).toBeInstanceOf(NodeOperationError);
	const nodeError = error as NodeOperationError;
	expect(JSON.stringify(nodeError)).not.toContain(API_KEY);
	expect(nodeError.message).not.toContain(API_KEY);
	return nodeError;
}

describe('credentialOf', () => {
	test('reads the credential once for the node run (one cache), with its Base URL checked', async () => {
		const { context, getCredentials } = contextWith(async () => ({
			apiKey: API_KEY,
			baseUrl: 'https://proxy.example.org/v1/phota/',
		}));
		const cache = new CredentialCache();
		const first = await credentialOf(context, cache, 0);
		const second = await credentialOf(context, cache, 1);
		expect(first.baseURL).toBe('https://proxy.example.org/v1/phota');
		expect(second.decrypted).toMatchObject({
			id: 'cred-1',
			name: 'Phota account',
			type: 'photaApi',
		});
		expect(getCredentials).toHaveBeenCalledTimes(1);
	});

	test('read again after a minute, a changed credential is checked again and used', async () => {
		let baseUrl = 'https://proxy.example.org/v1/phota';
		const { context } = contextWith(async () => ({ apiKey: API_KEY, baseUrl }));
		const now = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
		try {
			const cache = new CredentialCache();
			expect((await credentialOf(context, cache, 0)).baseURL).toBe(baseUrl);
			baseUrl = 'https://other-proxy.example.org/v1/phota';
			now.mockReturnValue(1_000_000 + 61_000);
			const reread = await credentialOf(context, cache, 1);
			expect(reread.baseURL).toBe('https://other-proxy.example.org/v1/phota');
			expect(reread.decrypted.data).toMatchObject({ baseUrl });
		} finally {
			now.mockRestore();
		}
	});

	test('no credential selected: n8n says so, and the node says what to do', async () => {
		const { context } = contextWith(async () => {
			throw new NodeOperationError({} as INode, 'Node does not have any credentials set');
		}, false);
		const error = await failureOf(credentialOf(context, new CredentialCache(), 2));
		expect(error.message).toBe('Node does not have any credentials set');
		expect(error.description).toMatch(/Select a Phota API credential/);
		expect(error.context.itemIndex).toBe(2);
	});

	test("a read n8n fails: n8n's reason is the message and the cause, not the Base URL", async () => {
		const reason = new Error('Credential could not be decrypted');
		const { context } = contextWith(async () => {
			throw reason;
		});
		const error = await failureOf(credentialOf(context, new CredentialCache(), 1));
		expect(error.message).toBe('Credential could not be decrypted');
		expect(error.cause).toBe(reason);
		expect(error.context.itemIndex).toBe(1);
		expect(error.description ?? '').not.toMatch(/Base URL/);
	});

	test("n8n's own node error comes through as it is", async () => {
		const reason = new NodeOperationError({} as INode, 'Credentials not found');
		const { context } = contextWith(async () => {
			throw reason;
		});
		expect(await failureOf(credentialOf(context, new CredentialCache()))).toBe(reason);
	});

	test('a bad Base URL: names the problem and says to change it', async () => {
		const { context } = contextWith(async () => ({
			apiKey: API_KEY,
			baseUrl: 'http://api.example.com/v1/phota',
		}));
		const error = await failureOf(credentialOf(context, new CredentialCache(), 0));
		expect(error.message).toMatch(/plain http:\/\/ to api\.example\.com/);
		expect(error.description).toBe('Change the Base URL in the Phota credential.');
		expect((error.cause as Error).message).toBe(error.message);
		expect(error.context.itemIndex).toBe(0);
	});
});

describe('PhotaApi.authenticate', () => {
	const credential = new PhotaApi();

	test('adds the key for the Base URL origin only', async () => {
		const options = await credential.authenticate(
			{ apiKey: API_KEY, baseUrl: 'https://api.photalabs.com/v1/phota' },
			{ url: '/profiles/ids', baseURL: 'https://api.photalabs.com/v1/phota' },
		);
		expect(options.headers).toMatchObject({ 'X-API-Key': API_KEY });
	});

	test('a bad Base URL fails with its own message, the cause kept and the key left out', async () => {
		const failure: unknown = await credential
			.authenticate(
				{ apiKey: API_KEY, baseUrl: 'not a url' },
				{ url: '/profiles/ids', baseURL: 'https://api.photalabs.com/v1/phota' },
			)
			.catch((error: unknown) => error);
		expect(failure).toBeInstanceOf(UserError);
		const error = failure as UserError;
		expect(error.message).toMatch(/The Base URL "not a url" is not a URL/);
		expect(error.description).toBe('Change the Base URL in the Phota credential.');
		expect(error.cause).toBeInstanceOf(Error);
		expect(error.message).not.toContain(API_KEY);
	});
});
