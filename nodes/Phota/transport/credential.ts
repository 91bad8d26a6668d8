import type { ICredentialDataDecryptedObject, ICredentialsDecrypted } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { checkedBaseUrl } from './baseUrl';
import type { PhotaContext } from './types';

export const CREDENTIAL_TYPE = 'photaApi';

/**
 * How long a node run keeps the credential it read. Reading a credential is, in n8n, a database
 * query, a decryption and the resolution of its fields as expressions, which cost more than the
 * request itself on a fast connection; a node run that outlasts this (Wait for Profile Ready may
 * poll for hours) reads it again, so a key changed meanwhile is picked up.
 */
const CREDENTIAL_REUSE_MS = 60_000;

export interface CredentialRead {
	/** The credential as n8n decrypted and resolved it, for `httpRequestWithAuthentication`. */
	decrypted: ICredentialsDecrypted;
	/** Its Base URL, checked. */
	baseURL: string;
}

const credentialByContext = new WeakMap<object, { read: Promise<CredentialRead>; at: number }>();

/**
 * The node's Phota credential, read once per node run (and again after CREDENTIAL_REUSE_MS).
 * n8n reads it the same way for every request when `httpRequestWithAuthentication` is given none
 * (without an item index, so expressions resolve against the first item either way); handing it
 * the credential read here only skips that repeated read. n8n still applies it with the
 * credential's own `authenticate`, which adds the key only for the Base URL's origin.
 */
export async function credentialOf(
	context: PhotaContext,
	itemIndex?: number,
): Promise<CredentialRead> {
	let entry = credentialByContext.get(context);
	if (!entry || Date.now() - entry.at > CREDENTIAL_REUSE_MS) {
		const read = context
			.getCredentials<ICredentialDataDecryptedObject>(CREDENTIAL_TYPE)
			.then((data): CredentialRead => {
				const stored = context.getNode().credentials?.[CREDENTIAL_TYPE];
				return {
					decrypted: {
						id: stored?.id ?? '',
						name: stored?.name ?? '',
						type: CREDENTIAL_TYPE,
						data,
					},
					baseURL: checkedBaseUrl(data.baseUrl as string | undefined),
				};
			});
		const fresh = { read, at: Date.now() };
		credentialByContext.set(context, fresh);
		// A failed read (e.g. missing credential) is not remembered.
		read.catch(() => {
			if (credentialByContext.get(context) === fresh) credentialByContext.delete(context);
		});
		entry = fresh;
	}
	try {
		return await entry.read;
	} catch (error) {
		throw new NodeOperationError(context.getNode(), (error as Error).message, {
			itemIndex,
			description: 'Change the Base URL in the Phota credential.',
		});
	}
}
