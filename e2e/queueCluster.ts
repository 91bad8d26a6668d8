/**
 * n8n's own scale-out ("queue mode") on this machine, for e2e/queue.test.ts: PostgreSQL and Redis
 * from Debian's packages (scripts/ensure-queue.js installs them), one `n8n start` (main: editor,
 * webhooks, the wait tracker) and `n8n worker`s that run the executions, each with its own user
 * folder into which the package tarball is installed as the Community Nodes installer does it.
 * Every server takes free ports on 127.0.0.1; every process runs in its own process group and
 * every folder is a phota-… temp folder (scripts/lifecycle.js), so Ctrl-C stops and removes them.
 */
import type { ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import path from 'node:path';

import { fetch } from 'undici';

import { makeTempDir, removeTempDir, run, spawnChild } from '../scripts/lifecycle';
import type { N8nInstance, N8nServer } from './n8nCli';
import { E2E_DIR, createN8n, freePorts, removeN8n, startN8nServer } from './n8nCli';

/** The n8n under test: e2e/node_modules/n8n, or the compatibility matrix's (scripts/compat.js). */
const N8N_DIR = process.env.PHOTA_E2E_N8N_DIR ?? path.join(E2E_DIR, 'node_modules', 'n8n');
// pg, ioredis and flatted come with that n8n (not dependencies of the package), so the suite reads
// the database, the queue and the run data with the same libraries as the n8n it tests.
const fromN8n = createRequire(path.join(N8N_DIR, 'package.json'));

interface PgClient {
	connect(): Promise<void>;
	query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
	end(): Promise<void>;
}
const { Client } = fromN8n('pg') as {
	Client: new (config: Record<string, unknown>) => PgClient;
};
/** n8n stores run data with `flatted` (JSON with shared references). */
export const parseFlatted = (fromN8n('flatted') as { parse(text: string): unknown }).parse;

function sleep(ms: number) {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (await check().catch(() => false)) return;
		if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms`);
		await sleep(250);
	}
}

function collect(child: ChildProcess, output: string[]) {
	child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
	child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
}

/** Sends `signal` to the child's process group, then SIGKILL after `graceMs`; resolves on exit. */
async function stopGroup(child: ChildProcess, signal: NodeJS.Signals, graceMs: number) {
	if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
	const pid = child.pid;
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	try {
		process.kill(-pid, signal);
	} catch {
		// already gone
	}
	let timer: NodeJS.Timeout | undefined;
	const done = await Promise.race([
		exited.then(() => true),
		new Promise<boolean>((resolve) => {
			timer = setTimeout(() => resolve(false), graceMs);
		}),
	]);
	clearTimeout(timer);
	try {
		process.kill(-pid, 'SIGKILL');
	} catch {
		// the group is gone
	}
	if (!done) await exited;
}

// ---------------------------------------------------------------- PostgreSQL

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

// ---------------------------------------------------------------- Redis

export interface Redis {
	port: number;
	/** The ids of the Bull jobs n8n's queue holds as active (taken by a worker, not finished). */
	activeJobIds(): Promise<string[]>;
	stop(): Promise<void>;
}

interface IoRedis {
	lrange(key: string, start: number, stop: number): Promise<string[]>;
	quit(): Promise<unknown>;
}
const IoRedisClient = fromN8n('ioredis') as new (options: Record<string, unknown>) => IoRedis;

async function redisPing(port: number): Promise<boolean> {
	return await new Promise((resolve) => {
		const socket = connect(port, '127.0.0.1');
		let answer = '';
		socket.setTimeout(2000, () => socket.destroy());
		socket.on('connect', () => socket.write('PING\r\n'));
		socket.on('data', (chunk) => {
			answer += chunk.toString();
			if (answer.includes('\r\n')) {
				socket.destroy();
				resolve(answer.startsWith('+PONG'));
			}
		});
		socket.on('error', () => resolve(false));
		socket.on('close', () => resolve(false));
	});
}

/** redis-server on a free port, 127.0.0.1 only, nothing saved to disk. */
export async function startRedis(redisServer: string): Promise<Redis> {
	const dir = makeTempDir('phota-queue-redis-');
	const [port] = await freePorts(1);
	const output: string[] = [];
	const child = spawnChild(
		redisServer,
		[
			'--port',
			String(port),
			'--bind',
			'127.0.0.1',
			'--save',
			'',
			'--appendonly',
			'no',
			'--dir',
			dir,
		],
		{ stdio: ['ignore', 'pipe', 'pipe'] },
	);
	collect(child, output);
	const stop = async () => {
		await stopGroup(child, 'SIGTERM', 10_000);
		removeTempDir(dir);
	};
	try {
		await waitUntil(
			'Redis',
			async () => {
				if (child.exitCode !== null) throw new Error(output.join(''));
				return await redisPing(port);
			},
			30_000,
		);
	} catch (error) {
		await stop();
		throw new Error(`Redis did not start: ${(error as Error).message}\n${output.join('')}`);
	}
	return {
		port,
		async activeJobIds() {
			const client = new IoRedisClient({ host: '127.0.0.1', port, lazyConnect: false });
			try {
				// n8n's Bull queue: prefix "bull", queue "jobs".
				return await client.lrange('bull:jobs:active', 0, -1);
			} finally {
				await client.quit();
			}
		},
		stop,
	};
}

// ---------------------------------------------------------------- n8n

/** The environment every n8n process of the cluster shares (queue mode, the database, Redis). */
export function queueEnv(postgres: Postgres, redis: Redis): NodeJS.ProcessEnv {
	return {
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: '127.0.0.1',
		QUEUE_BULL_REDIS_PORT: String(redis.port),
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: '127.0.0.1',
		DB_POSTGRESDB_PORT: String(postgres.port),
		DB_POSTGRESDB_DATABASE: postgres.database,
		DB_POSTGRESDB_USER: postgres.user,
		DB_POSTGRESDB_PASSWORD: '',
	};
}

/** The major version of the n8n an instance runs (from the package.json beside its bin/n8n). */
export function n8nMajorVersion(n8n: N8nInstance): number {
	const manifest = path.join(path.dirname(path.dirname(n8n.binary)), 'package.json');
	const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
	return Number(version.split('.')[0]);
}

/**
 * The n8n CLI arguments that make a workflow active in the database, so that main activates it
 * (registers its production webhooks) when it starts: 2.x publishes the current version
 * (`publish:workflow`); 1.x has no versions to publish and no such command, it sets the workflow's
 * active flag (`update:workflow --active=true`).
 */
export function activateWorkflowArgs(n8n: N8nInstance, workflowId: string): string[] {
	return n8nMajorVersion(n8n) >= 2
		? ['publish:workflow', `--id=${workflowId}`]
		: ['update:workflow', `--id=${workflowId}`, '--active=true'];
}

/**
 * A user folder with the package installed (as the Community Nodes installer does) and the queue
 * environment. The binary data mode is left to n8n: in queue mode 2.x stores binaries in the
 * database unless told otherwise.
 */
export async function createQueueN8n(
	tarball: string,
	env: NodeJS.ProcessEnv,
): Promise<N8nInstance> {
	const n8n = await createN8n(tarball);
	delete n8n.env.N8N_DEFAULT_BINARY_DATA_MODE;
	Object.assign(n8n.env, env);
	return n8n;
}

export interface Worker {
	name: string;
	n8n: N8nInstance;
	process: ChildProcess;
	/** Everything it printed (stdout and stderr). */
	output: string[];
	/** SIGTERM: n8n's graceful shutdown (it waits for its running executions), then SIGKILL. */
	stop(): Promise<void>;
	/** SIGKILL to the worker and its process group: what a crash or an OOM kill does. */
	kill(): Promise<void>;
}

/** `n8n worker` on free ports; resolves once its health endpoint says it is ready. */
export async function startWorker(
	name: string,
	n8n: N8nInstance,
	concurrency = 10,
	timeoutMs = 180_000,
): Promise<Worker> {
	const [server, broker, health] = await freePorts(3);
	const env = {
		...n8n.env,
		N8N_PORT: String(server),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_RUNNERS_BROKER_PORT: String(broker),
		QUEUE_HEALTH_CHECK_ACTIVE: 'true',
		QUEUE_HEALTH_CHECK_PORT: String(health),
		N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
	};
	const output: string[] = [];
	const child = spawnChild(n8n.nodeBinary, [n8n.binary, 'worker', `--concurrency=${concurrency}`], {
		env,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	collect(child, output);
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	const worker: Worker = {
		name,
		n8n,
		process: child,
		output,
		stop: () => stopGroup(child, 'SIGTERM', 45_000),
		async kill() {
			try {
				process.kill(-child.pid!, 'SIGKILL');
			} catch {
				// already gone
			}
			await exited;
		},
	};
	try {
		await waitUntil(
			`n8n worker ${name}`,
			async () => {
				if (child.exitCode !== null || child.signalCode !== null)
					throw new Error(`exited:\n${output.join('').slice(-4000)}`);
				const response = await fetch(`http://127.0.0.1:${health}/healthz/readiness`, {
					signal: AbortSignal.timeout(5000),
				});
				await response.arrayBuffer();
				return response.status === 200;
			},
			timeoutMs,
		);
	} catch (error) {
		await worker.kill();
		throw new Error(`${(error as Error).message}\n${output.join('').slice(-4000)}`);
	}
	return worker;
}

/**
 * Whether main serves the production webhook at `webhookPath`, checked without running it: a CORS
 * preflight (OPTIONS with an Origin) makes n8n look the path up among its registered webhooks and
 * answer 204, or fail with its WebhookNotFoundError when none is registered (1.123.50 answers 500).
 * Every n8n of the matrix answers a registered path the same way,
 * while the log line "Activated workflow … (ID: …)" of 1.x and 2.8 is gone from 2.41, whose
 * publication service (N8N_USE_WORKFLOW_PUBLICATION_SERVICE, on by default) registers the
 * webhooks of published workflows from an outbox table instead.
 */
export async function servesWebhook(baseUrl: string, webhookPath: string): Promise<boolean> {
	const response = await fetch(`${baseUrl}/webhook/${webhookPath}`, {
		method: 'OPTIONS',
		headers: { origin: baseUrl, 'access-control-request-method': 'POST' },
		signal: AbortSignal.timeout(5000),
	});
	await response.arrayBuffer();
	return response.status === 204;
}

/** Execution id → the workers that logged "Worker started execution <id> (job <job>)", each time. */
export function executionsByWorker(workers: Array<Pick<Worker, 'name' | 'output'>>) {
	const runs = new Map<string, Array<{ worker: string; job: string }>>();
	for (const worker of workers) {
		for (const match of worker.output
			.join('')
			.matchAll(/Worker started execution (\d+) \(job (\d+)\)/g)) {
			runs.set(match[1], [...(runs.get(match[1]) ?? []), { worker: worker.name, job: match[2] }]);
		}
	}
	return runs;
}

export type { N8nServer };
export { removeN8n, startN8nServer };
