/**
 * What a suite needs before it runs, installed when missing (package.json runs this through
 * ts-node before each suite):
 *
 *   prerequisites/cli.ts n8n [dir]   n8n into e2e/ (or `dir`, for tests of this script)
 *   prerequisites/cli.ts e2e         n8n, and Chromium for the editor test
 *   prerequisites/cli.ts queue       n8n, and Redis and PostgreSQL for the queue-mode suite
 *
 * Debian's packages come through one helper (debianPackages.ts), which prints one line naming
 * what it installs and why.
 */
import path from 'node:path';

import { failUnlessInterrupted, handleInterrupts } from '../processes';
import { chromiumNeed } from './browser';
import type { DebianNeed } from './debianPackages';
import { ensureDebianPackages } from './debianPackages';
import { ensureInstalled } from './n8nInstall';
import { queueServiceNeeds } from './queueServices';

const SUITES: Record<string, { label: string; needs: () => DebianNeed[] }> = {
	n8n: { label: 'e2e', needs: () => [] },
	e2e: { label: 'test:e2e', needs: chromiumNeed },
	queue: { label: 'test:queue', needs: queueServiceNeeds },
};

async function main(suiteName: string, dir: string | undefined) {
	const suite = SUITES[suiteName];
	if (!suite)
		throw new Error(`unknown suite "${suiteName}" (one of: ${Object.keys(SUITES).join(', ')})`);
	try {
		await ensureDebianPackages(suite.label, suite.needs());
	} catch (error) {
		throw new Error(`${suite.label}: ${(error as Error).message.split('\n')[0]}`);
	}
	try {
		await ensureInstalled({ dir });
	} catch (error) {
		throw new Error(`e2e: ${(error as Error).message.split('\n')[0]}`);
	}
}

handleInterrupts();
const [suiteName = 'n8n', dirArgument] = process.argv.slice(2);
main(suiteName, dirArgument ? path.resolve(dirArgument) : undefined).catch((error: unknown) =>
	failUnlessInterrupted(error instanceof Error ? error.message : String(error)),
);
