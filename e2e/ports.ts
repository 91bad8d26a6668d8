/** Free ports for every server a suite starts, so it runs beside any other n8n on the machine. */
import { createServer } from 'node:net';
import type { Server } from 'node:net';

/**
 * `count` distinct TCP ports that are free on 127.0.0.1 right now: the system picks them (listen on
 * port 0), and they are released again for n8n to take.
 */
export async function freePorts(count: number): Promise<number[]> {
	const servers: Server[] = [];
	try {
		for (let index = 0; index < count; index++) {
			const server = createServer();
			servers.push(server);
			await new Promise<void>((resolve, reject) => {
				server.once('error', reject);
				server.listen(0, '127.0.0.1', resolve);
			});
		}
		return servers.map((server) => (server.address() as { port: number }).port);
	} finally {
		await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
	}
}

/**
 * The ports n8n 2.x opens, which default to fixed numbers and clash with any other n8n on the
 * machine: the task broker (5679; `n8n execute` and `n8n start`) and the server (5678; `n8n start`).
 * Fresh ones for every command. (The internal JS task runner is told the broker's URI by n8n and
 * opens no port of its own; the worker's health port is only opened by `n8n worker`.)
 */
export async function portEnv(): Promise<NodeJS.ProcessEnv> {
	const [server, broker] = await freePorts(2);
	return {
		N8N_PORT: String(server),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_RUNNERS_BROKER_PORT: String(broker),
	};
}
