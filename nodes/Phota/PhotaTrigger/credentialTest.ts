/**
 * "Test" for the Phota Webhook Secret credential. Phota offers no way to check a secret without the
 * API key, so this checks what can be checked: that a secret is there, with nothing pasted around it.
 */
import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';

export async function photaWebhookSecretTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const secret = credential.data?.secret;
	if (typeof secret !== 'string' || secret.trim() === '') {
		return { status: 'Error', message: 'Enter the webhook secret' };
	}
	if (/\s/.test(secret.trim())) {
		return {
			status: 'Error',
			message: 'The secret contains spaces or line breaks: copy it again without them',
		};
	}
	return {
		status: 'OK',
		message:
			"The secret is set. Only Phota's next callback can show whether it is the right one: a wrong secret is answered with HTTP 401 and a warning in n8n's log.",
	};
}
