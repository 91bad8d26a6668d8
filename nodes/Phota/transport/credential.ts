import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	IExecuteFunctions,
	ILoadOptionsFunctions,
	INode,
	IWebhookFunctions,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { messageOf } from './errorWording';

export const CREDENTIAL_TYPE = 'photaApi';

/** Where Phota is called from: a node's run, a list search, or the trigger's webhook (downloads). */
export type PhotaContext = IExecuteFunctions | ILoadOptionsFunctions | IWebhookFunctions;

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
	/** The Base URL's origin: the only one the API key goes to. */
	origin: string;
}

/**
 * The node run's credential, read once and kept for CREDENTIAL_REUSE_MS. n8n reads it the same way
 * for every request when `httpRequestWithAuthentication` is given none (without an item index, so
 * expressions resolve against the first item either way); handing it the credential read here only
 * skips that repeated read. n8n still applies it with the credential's own `authenticate`, which
 * adds the key only for the Base URL's origin.
 */
export class CredentialCache {
	private entry?: { read: Promise<ICredentialDataDecryptedObject>; at: number };

	async data(context: PhotaContext): Promise<ICredentialDataDecryptedObject> {
		if (!this.entry || Date.now() - this.entry.at > CREDENTIAL_REUSE_MS) {
			const fresh = {
				read: context.getCredentials<ICredentialDataDecryptedObject>(CREDENTIAL_TYPE),
				at: Date.now(),
			};
			this.entry = fresh;
			// A failed read (e.g. missing credential) is not remembered.
			fresh.read.catch(() => {
				if (this.entry === fresh) this.entry = undefined;
			});
		}
		return await this.entry.read;
	}

	/** What `check` makes of `data`, made once per credential read (n8n's getNode() copies the node). */
	checked(data: ICredentialDataDecryptedObject, check: () => CredentialRead): CredentialRead {
		if (this.lastChecked?.data !== data) this.lastChecked = { data, read: check() };
		return this.lastChecked.read;
	}

	private lastChecked?: { data: ICredentialDataDecryptedObject; read: CredentialRead };
}

/** The node's Phota credential and its checked Base URL, read through the run's `cache`. */
export async function credentialOf(
	context: PhotaContext,
	cache: CredentialCache,
	itemIndex?: number,
): Promise<CredentialRead> {
	let data: ICredentialDataDecryptedObject;
	try {
		data = await cache.data(context);
	} catch (error) {
		throw unreadCredentialError(context.getNode(), error, itemIndex);
	}
	return cache.checked(data, () => {
		const node = context.getNode();
		const stored = node.credentials?.[CREDENTIAL_TYPE];
		const baseURL = baseUrlOf(node, data, itemIndex);
		return {
			decrypted: { id: stored?.id ?? '', name: stored?.name ?? '', type: CREDENTIAL_TYPE, data },
			baseURL,
			origin: originOf(baseURL),
		};
	});
}

/** Why the credential could not be read, in n8n's words (kept as the cause). */
function unreadCredentialError(node: INode, error: unknown, itemIndex?: number): Error {
	if (!node.credentials?.[CREDENTIAL_TYPE]) {
		// n8n says "Node does not have any credentials set" (the README quotes it); add what to do.
		const description =
			'Select a Phota API credential in the node, or create one with your API key.';
		return withCause(
			new NodeOperationError(node, messageOf(error), { itemIndex, description }),
			error,
		);
	}
	// n8n's own node errors already say what failed.
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	return withCause(new NodeOperationError(node, messageOf(error), { itemIndex }), error);
}

/** The credential's Base URL, checked; a bad one fails with what to change in the credential. */
function baseUrlOf(node: INode, data: ICredentialDataDecryptedObject, itemIndex?: number): string {
	try {
		return checkedBaseUrl(data.baseUrl);
	} catch (error) {
		throw withCause(
			new NodeOperationError(node, messageOf(error), {
				itemIndex,
				description: 'Change the Base URL in the Phota credential.',
			}),
			error,
		);
	}
}

/** Sets `cause`: n8n 2.8's error classes drop an Error cause (a class field resets it). */
function withCause(error: NodeOperationError, cause: unknown): NodeOperationError {
	if (cause instanceof Error) error.cause = cause;
	return error;
}

export const DEFAULT_BASE_URL = 'https://api.photalabs.com/v1/phota';

/**
 * Hosts where plain http:// cannot cross a network: the local simulator. Only the names the
 * credential promises: `localhost` and loopback addresses. Not `*.localhost`: whether such a name
 * stays on this machine depends on the resolver, and a DNS search domain could send it elsewhere.
 */
export function isLoopback(hostname: string): boolean {
	return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * The credential's Base URL, checked: an absolute https:// URL (plain http:// only on this machine,
 * for the simulator) with no user name, query or fragment. Returns the URL without trailing
 * slashes, or throws an Error whose message says what to change.
 */
export function checkedBaseUrl(raw: unknown): string {
	const text = (typeof raw === 'string' ? raw.trim() : '') || DEFAULT_BASE_URL;
	const url = URL.canParse(text) ? new URL(text) : undefined;
	if (!url) {
		throw new Error(
			`The Base URL "${text}" is not a URL. Use ${DEFAULT_BASE_URL}, or your proxy's address.`,
		);
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') {
		throw new Error(`The Base URL must start with https://, got "${url.protocol}//"`);
	}
	if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
		throw new Error(
			`The Base URL uses plain http:// to ${url.hostname}, which would send your API key unencrypted. Use https://; plain http:// is allowed only for this machine (localhost, 127.0.0.1, ::1), e.g. the local Phota simulator.`,
		);
	}
	if (url.username || url.password || url.search || url.hash) {
		throw new Error(
			'The Base URL must not contain a user name, password, query (?…) or fragment (#…)',
		);
	}
	return url.href.replace(/\/+$/, '');
}

/** The origin (scheme, host, port) the API key may be sent to. */
export function originOf(url: string): string {
	return new URL(url).origin;
}
