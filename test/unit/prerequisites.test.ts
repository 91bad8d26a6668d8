/**
 * prerequisites/: the one helper that installs Debian's packages for every suite (one line saying
 * what and why, nothing when all is there) and the browser choice (PHOTA_E2E_CHROMIUM skips apt).
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { chromiumNeed, ensureDebianPackages } from '../../prerequisites';
import type { DebianNeed } from '../../prerequisites';

let logs: string[];
beforeEach(() => {
	logs = [];
	jest.spyOn(console, 'log').mockImplementation((line: string) => void logs.push(line));
});
afterEach(() => jest.restoreAllMocks());

function need(name: string, present: { value: boolean }): DebianNeed {
	return { package: name, why: `the ${name} test`, present: () => present.value };
}

test('installs only what is missing, in one call, after one line naming each package and why', async () => {
	const redis = { value: false };
	const postgres = { value: true };
	const installed: string[][] = [];
	await ensureDebianPackages(
		'test:queue',
		[need('redis-server', redis), need('postgresql', postgres)],
		async (packages) => {
			installed.push(packages);
			redis.value = true;
		},
	);
	expect(installed).toEqual([['redis-server']]);
	expect(logs[0]).toBe(
		"test:queue: installing redis-server (the redis-server test) with apt-get from Debian's packages...",
	);
	expect(logs[1]).toMatch(/^test:queue: installed in \d+ s$/);
});

test('does nothing and prints nothing when everything is there', async () => {
	const install = jest.fn(async () => {});
	await ensureDebianPackages('test:e2e', [need('chromium', { value: true })], install);
	expect(install).not.toHaveBeenCalled();
	expect(logs).toEqual([]);
});

test('fails naming what is still missing after the install', async () => {
	await expect(
		ensureDebianPackages('test:e2e', [need('chromium', { value: false })], async () => {}),
	).rejects.toThrow('chromium still missing after apt-get install');
});

describe('the browser', () => {
	const saved = process.env.PHOTA_E2E_CHROMIUM;
	let dir: string;
	beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'prerequisites-test-'))));
	afterEach(() => {
		rmSync(dir, { recursive: true, force: true });
		if (saved === undefined) delete process.env.PHOTA_E2E_CHROMIUM;
		else process.env.PHOTA_E2E_CHROMIUM = saved;
	});

	test('PHOTA_E2E_CHROMIUM naming an executable: no apt-get for chromium', () => {
		const browser = path.join(dir, 'chrome');
		writeFileSync(browser, '#!/bin/sh\n');
		chmodSync(browser, 0o755);
		process.env.PHOTA_E2E_CHROMIUM = browser;
		expect(chromiumNeed()).toEqual([]);
	});

	test('PHOTA_E2E_CHROMIUM naming no executable: a clear error, not an apt-get that would not help', () => {
		const browser = path.join(dir, 'chrome');
		writeFileSync(browser, 'not executable');
		process.env.PHOTA_E2E_CHROMIUM = browser;
		expect(() => chromiumNeed()).toThrow(
			`PHOTA_E2E_CHROMIUM is ${browser}, which is not an executable file`,
		);
	});

	test("without it: Debian's chromium package, present when /usr/bin/chromium is", () => {
		delete process.env.PHOTA_E2E_CHROMIUM;
		expect(chromiumNeed()).toEqual([
			expect.objectContaining({ package: 'chromium', why: "the editor test's headless browser" }),
		]);
	});
});
