/**
 * n8n's own scale-out ("queue mode") on this machine, for e2e/queue.test.ts: PostgreSQL and Redis
 * from Debian's packages (prerequisites/ installs them; postgres.ts, redis.ts), one `n8n start` (main: editor,
 * webhooks, the wait tracker) and `n8n worker`s that run the executions, each with its own user
 * folder into which the package tarball is installed as the Community Nodes installer does it.
 * Every server takes free ports on 127.0.0.1; every process runs in its own process group and
 * every folder is a phota-… temp folder (processes/), so Ctrl-C stops and removes them.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { fetch } from 'undici';

import { spawnChild } from '../processes';
import { collect, fromN8n, stopGroup, waitUntil } from './clusterProcesses';
import type { N8nInstance, N8nServer } from './n8nCli';
import { createN8n, freePorts, newEncryptionKey, removeN8n, startN8nServer } from './n8nCli';
import type { Postgres } from './postgres';
import type { Redis } from './redis';

export type { Postgres } from './postgres';
export { startPostgres } from './postgres';
export type { Redis } from './redis';
export { startRedis } from './redis';

/** n8n stores run data with `flatted` (JSON with shared references). */
export const parseFlatted = (fromN8n('flatted') as { parse(text: string): unknown }).parse;

/** The environment every n8n process of the cluster shares (queue mode, the database, Redis). */
export function queueEnv(postgres: Postgres, redis: Redis): NodeJS.ProcessEnv {
	return {
		// One key for the whole cluster (each user folder would otherwise make its own), made for this run.
		N8N_ENCRYPTION_KEY: newEncryptionKey(),
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
