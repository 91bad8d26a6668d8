import type {
	ICredentialDataDecryptedObject,
	IHttpRequestOptions,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

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
			default: 'https://api.photalabs.com/v1/phota',
			required: true,
			description:
				'Change only to go through a proxy or to try the nodes against the local Phota simulator (for example http://127.0.0.1:8787/v1/phota)',
		},
	];

	/**
	 * Adds the X-API-Key header. A function rather than a generic `={{$credentials.apiKey}}` block:
	 * n8n then need not evaluate an expression (and build its date context) for every request.
	 */
	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
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
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message: 'Phota rejected the API key (401). Check that you copied the whole key.',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message: 'Phota received no API key (403). Enter your key in the API Key field.',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message:
						'No Phota API at this Base URL (404). It should end in /v1/phota, e.g. https://api.photalabs.com/v1/phota.',
				},
			},
		],
	};
}
