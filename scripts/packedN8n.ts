/**
 * A fresh n8n with this package in it, as `npm run demo` and `npm run bench` use it: built, packed
 * exactly as it would be published and installed into a new n8n user folder (e2e/n8nCli.ts).
 */
import type { N8nInstance } from '../e2e/n8nCli';
import { createN8n, importCredential, packPackage, removePackage } from '../e2e/n8nCli';

export async function createN8nWithPackage(
	options: Parameters<typeof createN8n>[1] = {},
): Promise<N8nInstance> {
	const tarball = await packPackage();
	return await createN8n(tarball, options).finally(() => removePackage(tarball));
}

/** Imports a Phota API credential (the key is stored encrypted by n8n). */
export async function importPhotaCredential(
	n8n: N8nInstance,
	credential: { id: string; name: string; apiKey: string; baseUrl: string },
): Promise<void> {
	const { id, name, apiKey, baseUrl } = credential;
	await importCredential(n8n, { id, name, type: 'photaApi', data: { apiKey, baseUrl } });
}
