/** redis-server for the queue-mode suite: Debian's binary on a free port, nothing saved to disk. */
import { connect } from 'node:net';

import { makeTempDir, removeTempDir, spawnChild } from '../processes';
import { collect, fromN8n, stopGroup, waitUntil } from './clusterProcesses';
import { freePorts } from './ports';

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
