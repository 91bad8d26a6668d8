import { UserError } from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	IHttpRequestOptions,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

import { checkedBaseUrl, DEFAULT_BASE_URL, originOf } from '../nodes/Phota/transport/credential';
import { messageOf } from '../nodes/Phota/transport/errorWording';

export class PhotaApi implements ICredentialType {
	name = 'photaApi';

	displayName = 'Phota API';

	icon: Icon = {
		light: 'file:../nodes/Phota/phota.svg',
		dark: 'file:../nodes/Phota/phota.dark.svg',
	};

	documentationUrl = 'https://docs.photalabs.com/api/authentication';

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'Create a key in the Phota developer portal (platform.photalabs.com)',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: DEFAULT_BASE_URL,
			required: true,
			description:
				'Change only to go through a proxy or to try the nodes against the local Phota simulator (for example http://127.0.0.1:8787/v1/phota). Must be https://, except on this machine (localhost, 127.0.0.1).',
		},
		{
			displayName:
				'Plain http:// sends the API key unencrypted: the nodes accept it only for this machine (localhost, 127.0.0.1, ::1), such as the local Phota simulator. Use https:// for anything else.',
			name: 'plainHttpNotice',
			type: 'notice',
			default: '',
			displayOptions: { show: { baseUrl: [{ _cnd: { startsWith: 'http://' } }] } },
		},
	];

	/**
	 * Adds the X-API-Key header, only for the Base URL's own origin over https (or loopback http).
	 * A function rather than a generic `={{$credentials.apiKey}}` block: n8n then need not evaluate
	 * an expression (and build its date context) for every request, and the key's destination is
	 * checked on every request, the credential test included.
	 */
	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		let origin: string;
		try {
			origin = originOf(checkedBaseUrl(credentials.baseUrl));
		} catch (error) {
			throw new UserError(messageOf(error), {
				cause: error,
				description: 'Change the Base URL in the Phota credential.',
			});
		}
		let target: string;
		try {
			target = new URL(requestOptions.url, requestOptions.baseURL).origin;
		} catch (error) {
			// Not quoted: a request URL may carry a signed query.
			throw new UserError(`The Phota request has no valid URL: ${messageOf(error)}`, {
				cause: error,
			});
		}
		if (target !== origin) {
			throw new UserError(
				`The Phota API key is only sent to ${origin}, not to ${target}. Check the Base URL in the Phota credential.`,
			);
		}
		return {
			...requestOptions,
			headers: { ...requestOptions.headers, 'X-API-Key': String(credentials.apiKey ?? '') },
		};
	}

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
			url: '/profiles/ids',
			method: 'GET',
			json: true,
			// A redirect would carry the X-API-Key header to wherever it points.
			disableFollowRedirect: true,
			// Every answer comes back and is judged by its body (rules below). n8n 2.8's credential
			// tester loses the HTTP status of a failed test request (its error class resets `cause`),
			// so `responseCode` rules never match there and users saw n8n's generic text instead.
			ignoreHttpStatusErrors: true,
		},
		rules: [
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'detail',
					value: 'Missing or invalid API key in the X-API-Key header.',
					message: 'Phota rejected the API key (401). Check that you copied the whole key.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'detail',
					value: 'Not authenticated',
					message: 'Phota received no API key (403). Enter your key in the API Key field.',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'detail',
					value: 'Not Found',
					message:
						'No Phota API at this Base URL (404). It should end in /v1/phota, e.g. https://api.photalabs.com/v1/phota.',
				},
			},
			{
				// Anything else that is not the account's profile list: another error, a proxy's page, a redirect.
				type: 'responseSuccessBody',
				properties: {
					key: 'profiles',
					value: undefined,
					message:
						'Phota did not answer with your profile list. Check the API key, and that the Base URL ends in /v1/phota (e.g. https://api.photalabs.com/v1/phota).',
				},
			},
		],
	};
}
