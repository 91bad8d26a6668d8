/**
 * The Chromium the editor test (e2e/editor.test.ts) drives with playwright-core, which never
 * downloads one: PHOTA_E2E_CHROMIUM when set (e.g. a browser the release workflow fetched), else
 * Debian's `chromium` package at /usr/bin/chromium.
 */
import { accessSync, constants, statSync } from 'node:fs';

import type { DebianNeed } from './debianPackages';

export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export function chromiumPath(): string {
	return process.env.PHOTA_E2E_CHROMIUM || DEBIAN_CHROMIUM;
}

export function isExecutable(file: string): boolean {
	try {
		accessSync(file, constants.X_OK);
		return statSync(file).isFile();
	} catch {
		return false;
	}
}

/** Debian's chromium, unless PHOTA_E2E_CHROMIUM names a browser (then apt-get is never run). */
export function chromiumNeed(): DebianNeed[] {
	const chosen = process.env.PHOTA_E2E_CHROMIUM;
	if (chosen) {
		if (!isExecutable(chosen))
			throw new Error(`PHOTA_E2E_CHROMIUM is ${chosen}, which is not an executable file`);
		return [];
	}
	return [
		{
			package: 'chromium',
			why: "the editor test's headless browser",
			present: () => isExecutable(DEBIAN_CHROMIUM),
		},
	];
}
