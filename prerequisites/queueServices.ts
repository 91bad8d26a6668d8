/**
 * Redis and PostgreSQL for the queue-mode suite (npm run test:queue): Debian's `redis-server` and
 * `postgresql` packages. `findQueueServices()` is what e2e/queueCluster.ts uses.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

import type { DebianNeed } from './debianPackages';
import { ensureDebianPackages } from './debianPackages';

export interface QueueServices {
	/** redis-server binary */
	redisServer?: string;
	/** Folder with PostgreSQL's initdb and postgres */
	postgresBin?: string;
}

/** The newest PostgreSQL server binaries folder Debian's packages installed, if any. */
function postgresBinDir(): string | undefined {
	const root = '/usr/lib/postgresql';
	let versions: string[] = [];
	try {
		versions = readdirSync(root).filter((name) => /^\d+$/.test(name));
	} catch {
		return undefined;
	}
	return versions
		.sort((a, b) => Number(b) - Number(a))
		.map((version) => path.join(root, version, 'bin'))
		.find((dir) => existsSync(path.join(dir, 'postgres')) && existsSync(path.join(dir, 'initdb')));
}

/** `redis-server` on the PATH or in Debian's place. */
function redisServer(): string | undefined {
	for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/sbin']) {
		if (dir && existsSync(path.join(dir, 'redis-server'))) return path.join(dir, 'redis-server');
	}
	return undefined;
}

export function findQueueServices(): QueueServices {
	return { redisServer: redisServer(), postgresBin: postgresBinDir() };
}

export function queueServiceNeeds(): DebianNeed[] {
	return [
		{
			package: 'redis-server',
			why: "the queue-mode suite's job queue",
			present: () => redisServer() !== undefined,
		},
		{
			package: 'postgresql',
			why: "the queue-mode suite's database",
			present: () => postgresBinDir() !== undefined,
		},
	];
}

export async function ensureQueueServices(label = 'test:queue'): Promise<Required<QueueServices>> {
	await ensureDebianPackages(label, queueServiceNeeds());
	const found = findQueueServices();
	if (!found.redisServer || !found.postgresBin)
		throw new Error(`${label}: Redis or PostgreSQL still missing after apt-get install`);
	return { redisServer: found.redisServer, postgresBin: found.postgresBin };
}
