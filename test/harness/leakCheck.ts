/**
 * Suite-wide API-key leak check. Every workflow run, credential test and list search of the harness
 * is written to a folder (with the API keys it was given, kept apart); after the whole suite,
 * jest's global teardown scans all of it — output items, binaries' metadata, errors with their
 * descriptions and stacks, hints, the simulator's request log — for any of those keys.
 */
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { makeTempDir, removeTempDir } from '../../processes';

const KEYS_FILE = 'keys.txt';
/** Keys shorter than this could match by chance (e.g. "k") and are not checked. */
const MIN_KEY_LENGTH = 6;

function leakDir(): string | undefined {
	return process.env.PHOTA_LEAK_DIR;
}

export function recordKeys(keys: unknown[]): void {
	const dir = leakDir();
	if (!dir) return;
	const usable = keys.filter(
		(key): key is string => typeof key === 'string' && key.length >= MIN_KEY_LENGTH,
	);
	if (usable.length)
		appendFileSync(path.join(dir, KEYS_FILE), usable.map((key) => `${key}\n`).join(''));
}

export function recordArtifact(kind: string, value: unknown): void {
	const dir = leakDir();
	if (!dir) return;
	const text = JSON.stringify(value, (_key, entry: unknown) =>
		entry instanceof Error ? { ...entry, message: entry.message, stack: entry.stack } : entry,
	);
	appendFileSync(
		path.join(dir, `artifacts-${process.pid}.jsonl`),
		`${JSON.stringify({ kind })}\t${text}\n`,
	);
}

export function startLeakCheck(): void {
	const dir = makeTempDir('phota-leak-check-');
	mkdirSync(dir, { recursive: true });
	process.env.PHOTA_LEAK_DIR = dir;
}

export function finishLeakCheck(): void {
	const dir = leakDir();
	if (!dir) throw new Error('key-leak check: not started');
	try {
		const keys = [
			...new Set(readFileSync(path.join(dir, KEYS_FILE), 'utf8').split('\n').filter(Boolean)),
		];
		const files = readdirSync(dir).filter((file) => file.startsWith('artifacts-'));
		const artifacts = files.flatMap((file) =>
			readFileSync(path.join(dir, file), 'utf8').split('\n').filter(Boolean),
		);
		if (keys.length === 0 || artifacts.length === 0) {
			throw new Error(
				`key-leak check saw ${keys.length} keys and ${artifacts.length} artifacts: nothing was checked`,
			);
		}
		const leaks = artifacts.flatMap((artifact) =>
			keys
				.filter((key) => artifact.includes(key))
				.map((key) => `${key.slice(0, 3)}… in ${artifact.slice(0, 120)}`),
		);
		if (leaks.length)
			throw new Error(
				`API key found in ${leaks.length} place(s):\n${leaks.slice(0, 10).join('\n')}`,
			);
		console.log(
			`key-leak check: ${keys.length} API keys, ${artifacts.length} runs/errors/logs scanned, 0 leaks`,
		);
	} finally {
		removeTempDir(dir);
	}
}
