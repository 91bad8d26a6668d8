/**
 * Where the webhook secret comes from: Phota's API (GET /webhook-secret with the Phota API
 * credential, kept in this process and read again when a signature does not match, so a rotated
 * secret works) or a credential the user typed it into.
 */
import { createHash } from 'crypto';
import type { IDataObject, IWebhookFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { CREDENTIAL_TYPE } from '../transport';
import { checkedBaseUrl } from '../transport/credential';
import { isObject, messageOf, statusSummary } from '../transport/errorWording';

export const SECRET_CREDENTIAL_TYPE = 'photaWebhookSecretApi';

export type SecretSourceName = 'apiCredential' | 'secretCredential';

/** A signature that does not match may make the secret be read again at most this often. */
export const REREAD_INTERVAL_MS = 30_000;
/** Accounts (Base URL + API key) whose secret this process keeps; the oldest is forgotten first. */
const MAX_ACCOUNTS = 100;
const READ_TIMEOUT_MS = 30_000;

export interface SecretSource {
	/** The secret to check a signature against. */
	current(): Promise<string>;
	/**
	 * A newer secret once `stale` did not match: read again from Phota, or already read again by
	 * another delivery. Undefined when there is none and none may be read now (REREAD_INTERVAL_MS).
	 */
	fresher(stale: string): Promise<string | undefined>;
}

/** Why the secret could not be had; the message names no secret and no key. */
function unavailable(context: IWebhookFunctions, message: string): NodeOperationError {
	return new NodeOperationError(context.getNode(), message);
}

interface AccountSecret {
	secret?: string;
	/** The read in flight, which every delivery that needs the secret meanwhile waits for. */
	reading?: Promise<string>;
	lastRereadAt: number;
}

/**
 * Per process, keyed by a hash of the Base URL and the API key (never the key itself): a key
 * changed in the credential is another entry, and nothing here can be turned back into a key.
 */
const accounts = new Map<string, AccountSecret>();

function accountOf(id: string): AccountSecret {
	let account = accounts.get(id);
	if (!account) {
		account = { lastRereadAt: Number.NEGATIVE_INFINITY };
		accounts.set(id, account);
		for (const oldest of accounts.keys()) {
			if (accounts.size <= MAX_ACCOUNTS) break;
			accounts.delete(oldest);
		}
	}
	return account;
}

/** Starts `read` as the account's one read in flight; the secret it gives is kept. */
function readShared(account: AccountSecret, read: () => Promise<string>): Promise<string> {
	const reading = read();
	account.reading = reading;
	reading.then(
		(secret) => {
			account.secret = secret;
			if (account.reading === reading) account.reading = undefined;
		},
		() => {
			// A failed read is not kept: the next delivery tries again.
			if (account.reading === reading) account.reading = undefined;
		},
	);
	return reading;
}

/**
 * GET {baseUrl}/webhook-secret with the Phota API credential. One attempt, not photaApiRequest with
 * its resends: Phota waits for the webhook's answer, and an unreadable secret answers 503, which
 * Phota retries on its own schedule.
 */
async function readSecretFromApi(this: IWebhookFunctions, baseUrl: string): Promise<string> {
	let answer: { statusCode: number; body: unknown };
	try {
		answer = await this.helpers.httpRequestWithAuthentication.call(this, CREDENTIAL_TYPE, {
			method: 'GET',
			url: `${baseUrl}/webhook-secret`,
			json: true,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			// The credential adds the key for the Base URL's origin only; a redirect could leave it.
			disableFollowRedirect: true,
			timeout: READ_TIMEOUT_MS,
		});
	} catch (error) {
		throw unavailable(this, `GET /webhook-secret failed: ${messageOf(error).slice(0, 200)}`);
	}
	if (answer.statusCode !== 200) {
		throw unavailable(this, `GET /webhook-secret: Phota ${statusSummary(answer.statusCode)}`);
	}
	// ASSUMPTION (PHOTA_API.md §9.12): the secret is the answer's "secret" field.
	const body: IDataObject = isObject(answer.body) ? answer.body : {};
	if (typeof body.secret !== 'string' || body.secret === '') {
		throw unavailable(this, 'GET /webhook-secret answered without a "secret" field');
	}
	return body.secret;
}

/** The secret Phota's API gives for the node's Phota API credential. */
async function apiSecretSource(this: IWebhookFunctions): Promise<SecretSource> {
	let credential: IDataObject;
	let baseUrl: string;
	try {
		credential = await this.getCredentials(CREDENTIAL_TYPE);
		baseUrl = checkedBaseUrl(credential.baseUrl);
	} catch (error) {
		throw unavailable(this, `the Phota API credential: ${messageOf(error)}`);
	}
	const id = createHash('sha256')
		.update(`${baseUrl}\n${String(credential.apiKey ?? '')}`)
		.digest('hex');
	const account = accountOf(id);
	const read = async () =>
		await readShared(account, async () => await readSecretFromApi.call(this, baseUrl));
	return {
		current: async () => account.secret ?? (await (account.reading ?? read())),
		async fresher(stale) {
			// Mismatches at the same moment share one read.
			if (account.reading) return await account.reading;
			// Another delivery has read it again since `stale` was handed out.
			if (account.secret !== undefined && account.secret !== stale) return account.secret;
			// Garbage posts must not make the node hammer Phota's API.
			const now = Date.now();
			if (now - account.lastRereadAt < REREAD_INTERVAL_MS) return undefined;
			account.lastRereadAt = now;
			return await read();
		},
	};
}

/** The secret the user typed into a Phota Webhook Secret credential. */
async function typedSecretSource(this: IWebhookFunctions): Promise<SecretSource> {
	let secret: unknown;
	try {
		secret = (await this.getCredentials(SECRET_CREDENTIAL_TYPE)).secret;
	} catch (error) {
		throw unavailable(this, `the Phota Webhook Secret credential: ${messageOf(error)}`);
	}
	if (typeof secret !== 'string' || secret.trim() === '') {
		throw unavailable(this, 'the Phota Webhook Secret credential holds no secret');
	}
	const typed = secret.trim();
	return { current: async () => typed, fresher: async () => undefined };
}

export async function secretSourceOf(
	this: IWebhookFunctions,
	name: SecretSourceName,
): Promise<SecretSource> {
	return name === 'secretCredential'
		? await typedSecretSource.call(this)
		: await apiSecretSource.call(this);
}
