/**
 * The demo's temp folders (its n8n user folder, which holds the credential with a real API key,
 * encrypted with a key made for the run) are named `phota-demo-…-<pid>-XXXXXX`. They go when the
 * demo ends or is interrupted; after a crash or a SIGKILL the next start removes them.
 */
import { removeStaleTempDirs } from '../processes';

export const DEMO_TEMP_PREFIX = 'phota-demo-n8n-';

/** Removes the folders of demos whose process is gone; returns them. `root`: for tests. */
export function removeCrashedDemoFolders(root?: string): string[] {
	return removeStaleTempDirs('phota-demo-', root);
}
