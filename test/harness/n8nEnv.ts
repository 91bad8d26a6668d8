/**
 * The environment n8n-core reads when it is first imported (its settings folder and binary-data
 * settings): a temporary user folder, set here as a side effect of importing this module. Every
 * harness module that imports n8n-core imports this one first.
 */
import { makeTempDir, removeTempDir } from '../../processes';

export const userFolder = makeTempDir('phota-n8n-');
process.env.N8N_USER_FOLDER = userFolder;
process.env.N8N_ENCRYPTION_KEY ??= 'phota-harness-encryption-key';
process.env.N8N_DIAGNOSTICS_ENABLED = 'false';

export function removeUserFolder(): void {
	removeTempDir(userFolder);
}
