/** The harness's stand-in for n8n's CredentialsHelper, with test credentials kept decrypted. */
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IHttpRequestOptions,
	INode,
	IRequestOptionsSimplified,
	IWorkflowExecuteAdditionalData,
	Workflow as WorkflowType,
} from 'n8n-workflow';
import { ICredentialsHelper, isExpression } from 'n8n-workflow';

import type { LoadedTypes } from './n8nRuntime';

/** Mirrors n8n's CredentialsHelper: fills credential defaults, applies generic `authenticate`. */
export class HarnessCredentialsHelper extends ICredentialsHelper {
	/** How often a credential was read (n8n: a database query and a decryption each time). */
	reads = 0;

	/** How often a credential was applied to a request (its `authenticate`). */
	authentications = 0;

	credentials: Record<string, ICredentialDataDecryptedObject> = {};

	constructor(private readonly types: LoadedTypes) {
		super();
	}

	getParentTypes(name: string): string[] {
		return this.types.credential(name).extends ?? [];
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		requestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
		workflow: WorkflowType,
		node: INode,
	): Promise<IHttpRequestOptions> {
		this.authentications++;
		const { authenticate } = this.types.credential(typeName);
		if (typeof authenticate === 'function') {
			return await authenticate(credentials, requestOptions as IHttpRequestOptions);
		}
		if (authenticate?.type === 'generic') {
			const resolve = (value: string) =>
				isExpression(value)
					? String(
							workflow.expression.getSimpleParameterValue(
								node,
								value,
								'internal',
								{ $credentials: credentials },
								undefined,
								'',
							) ?? '',
						)
					: value;
			for (const [target, entries] of Object.entries(authenticate.properties)) {
				const options = requestOptions as unknown as Record<string, Record<string, string>>;
				options[target] ??= {};
				for (const [key, value] of Object.entries(entries as Record<string, string>)) {
					options[target][resolve(key)] = resolve(value);
				}
			}
		}
		return requestOptions as IHttpRequestOptions;
	}

	async preAuthentication() {
		return undefined;
	}

	async getCredentials(): Promise<never> {
		throw new Error('The harness keeps credentials decrypted; use getDecrypted');
	}

	async getDecrypted(
		_additionalData: IWorkflowExecuteAdditionalData,
		_nodeCredentials: unknown,
		type: string,
	): Promise<ICredentialDataDecryptedObject> {
		this.reads++;
		const stored = this.credentials[type];
		if (!stored) throw new Error(`No test credentials of type ${type} were given`);
		return withDefaults(this.types.credential(type), stored);
	}

	async updateCredentials() {}

	async updateCredentialsOauthTokenData() {}

	getCredentialsProperties(type: string) {
		return this.types.credential(type).properties;
	}
}

/** The credential type's defaults, overridden by `data` (as n8n fills in a saved credential). */
export function withDefaults(
	type: ICredentialType,
	data: ICredentialDataDecryptedObject,
): ICredentialDataDecryptedObject {
	const filled: ICredentialDataDecryptedObject = {};
	for (const property of type.properties) {
		if (property.default !== undefined && property.type !== 'notice')
			filled[property.name] = property.default as string;
	}
	return { ...filled, ...data };
}
