import type {
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import {
	binaryPropertyOption,
	downloadImagesOption,
	optionsCollection,
} from '../helpers/descriptions';
import { photaWebhookSecretTest } from './credentialTest';
import { receiveCallback } from './receive';

export class PhotaTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Phota Trigger',
		name: 'photaTrigger',
		icon: { light: 'file:../phota.svg', dark: 'file:../phota.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: 'On finished async jobs',
		description: 'Starts the workflow when Phota finishes an async image job',
		defaults: { name: 'Phota Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'photaApi',
				required: true,
				displayOptions: { show: { secretSource: ['apiCredential'] } },
			},
			{
				name: 'photaWebhookSecretApi',
				required: true,
				testedBy: 'photaWebhookSecretTest',
				displayOptions: { show: { secretSource: ['secretCredential'] } },
			},
		],
		webhooks: [{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'phota' }],
		eventTriggerDescription: 'Waiting for Phota to post a finished job to the Test URL',
		properties: [
			{
				displayName:
					"Copy this node's Production URL (Webhook URLs, above) into the Callback URL option of a Phota image operation whose Async Job is set to return the job ID; it listens while this workflow is active. Phota only calls https:// URLs: if n8n runs on plain http behind a proxy, set n8n's WEBHOOK_URL environment variable to the public https:// address, so that the URL shown is the one to paste.",
				name: 'callbackUrlNotice',
				type: 'notice',
				default: '',
			},
			{
				// n8n's nodes panel lists a trigger's "Trigger On" choices as its trigger actions.
				displayName: 'Trigger On',
				name: 'event',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Async Job Finished',
						value: 'jobFinished',
						action: 'On async job finished',
						description:
							'A job submitted with this Production URL as its Callback URL has succeeded or failed',
					},
				],
				default: 'jobFinished',
			},
			{
				displayName: 'Webhook Secret',
				name: 'secretSource',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'From the Phota API Credential',
						value: 'apiCredential',
						description:
							'Read from Phota (GET /webhook-secret) with your API key, and read again when a signature does not match, so a rotated secret is picked up by itself',
					},
					{
						name: 'Typed Into a Credential',
						value: 'secretCredential',
						description:
							'A secret you copied into a Phota Webhook Secret credential; update the credential when the secret is rotated',
					},
				],
				default: 'apiCredential',
				description:
					"Where the secret comes from that checks each callback's X-Phota-Signature. Callbacks without a valid signature are refused (HTTP 401) and start nothing.",
			},
			optionsCollection([downloadImagesOption, binaryPropertyOption]),
		],
	};

	/**
	 * Phota has no webhook registration: each job names its callback_url. The user pastes this
	 * node's URL into the Phota node, so there is nothing to create or delete here.
	 */
	webhookMethods = {
		default: {
			async checkExists(): Promise<boolean> {
				return true;
			},
			async create(): Promise<boolean> {
				return true;
			},
			async delete(): Promise<boolean> {
				return true;
			},
		},
	};

	methods = { credentialTest: { photaWebhookSecretTest } };

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await receiveCallback.call(this);
	}
}
