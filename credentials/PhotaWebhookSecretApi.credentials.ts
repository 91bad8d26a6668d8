import type { Icon, ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * The secret Phota signs job callbacks with, typed in by the user: for the Phota Trigger when it
 * should not read the secret from Phota's API with an API key.
 */
export class PhotaWebhookSecretApi implements ICredentialType {
	name = 'photaWebhookSecretApi';

	displayName = 'Phota Webhook Secret API';

	icon: Icon = {
		light: 'file:../nodes/Phota/phota.svg',
		dark: 'file:../nodes/Phota/phota.dark.svg',
	};

	documentationUrl = 'https://docs.photalabs.com/api/async-requests';

	properties: INodeProperties[] = [
		{
			displayName: 'Webhook Secret',
			name: 'secret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				"Your Phota account's callback signing secret, as Phota's GET /webhook-secret returns it. When Phota rotates it, paste the new one here.",
		},
	];
}
