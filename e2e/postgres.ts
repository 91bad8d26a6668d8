/**
 * A throw-away PostgreSQL for the queue-mode suite: Debian's server binaries
 * (prerequisites/queueServices.ts finds them), a cluster in a temp folder, a free port.
 */
import { chownSync, mkdirSync } from 'node:fs';
import path from 'node:path';

import { makeTempDir, removeTempDir, run, spawnChild } from '../processes';
import { collect, fromN8n, stopGroup, waitUntil } from './clusterProcesses';
import { freePorts } from './ports';

interface PgClient {
	connect(): Promise<void>;
	query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
	end(): Promise<void>;
}
const { Client } = fromN8n('pg') as {
	Client: new (config: Record<string, unknown>) => PgClient;
};

export interface Postgres {
	port: number;
	database: string;
	user: string;
	query(sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
	stop(): Promise<void>;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * A throw-away PostgreSQL cluster in a temp folder, TCP on 127.0.0.1 only, no durability settings
 * (a test database). initdb refuses to run as root, so as root the cluster belongs to Debian's
 * `postgres` user and its commands run through runuser.
 */
export async function startPostgres(binDir: string): Promise<Postgres> {
	const dir = makeTempDir('phota-queue-pg-');
	const data = path.join(dir, 'data');
	mkdirSync(data, { mode: 0o700 });
	const asOwner = (command: string, args: string[]): [string, string[]] =>
		isRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
	if (isRoot) {
		const { stdout } = await run('id', ['-u', 'postgres']);
		const { stdout: gid } = await run('id', ['-g', 'postgres']);
		chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
		chownSync(data, Number(stdout.trim()), Number(gid.trim()));
	}
	const user = 'n8n';
	await run(
		...asOwner(path.join(binDir, 'initdb'), [
			'-D',
			data,
			'-U',
			user,
			'-A',
			'trust',
			'-E',
			'UTF8',
			'--no-sync',
		]),
		{ timeout: 120_000 },
	);
	const [port] = await freePorts(1);
	const output: string[] = [];
	const child = spawnChild(
		...asOwner(path.join(binDir, 'postgres'), [
			'-D',
			data,
			'-p',
			String(port),
			'-c',
			'listen_addresses=127.0.0.1',
			'-c',
			'unix_socket_directories=',
			'-c',
			'fsync=off',
			'-c',
			'synchronous_commit=off',
			'-c',
			'full_page_writes=off',
			'-c',
			'max_connections=100',
		]),
		{ stdio: ['ignore', 'pipe', 'pipe'] },
	);
	collect(child, output);
	const client = (database: string) =>
		new Client({ host: '127.0.0.1', port, user, database, connectionTimeoutMillis: 5000 });
	const stop = async () => {
		// SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait for clients to leave).
		await stopGroup(child, 'SIGINT', 15_000);
		removeTempDir(dir);
	};
	try {
		await waitUntil(
			'PostgreSQL',
			async () => {
				if (child.exitCode !== null) throw new Error(output.join(''));
				const probe = client('postgres');
				await probe.connect();
				await probe.end();
				return true;
			},
			60_000,
		);
		const admin = client('postgres');
		await admin.connect();
		await admin.query('CREATE DATABASE n8n');
		await admin.end();
	} catch (error) {
		await stop();
		throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${output.join('')}`);
	}
	return {
		port,
		database: 'n8n',
		user,
		async query(sql, params) {
			const connection = client('n8n');
			await connection.connect();
			try {
				return (await connection.query(sql, params)).rows;
			} finally {
				await connection.end();
			}
		},
		stop,
	};
}
