import type { Server } from 'node:net';
import { createServer } from 'node:net';

import { handleInterrupts } from '../processes';

/** n8n's fixed default ports: the server (N8N_PORT) and the task broker (N8N_RUNNERS_BROKER_PORT). */
const N8N_DEFAULT_PORTS = [5678, 5679];

/**
 * Holds n8n's default ports for the whole run, as another n8n on the machine would, so the suite
 * fails if any n8n it starts does not use the free ports e2e/n8nCli.ts picks. A port that is
 * already taken is held by someone else, which serves as well.
 */
export default async function globalSetup(): Promise<void> {
	// Ctrl-C or SIGTERM: every n8n the tests started stops, their user folders go, one line.
	handleInterrupts();
	const held: Server[] = [];
	for (const port of N8N_DEFAULT_PORTS) {
		const server = createServer((socket) => socket.destroy());
		await new Promise<void>((resolve, reject) => {
			server.once('error', (error: NodeJS.ErrnoException) =>
				error.code === 'EADDRINUSE' ? resolve() : reject(error),
			);
			server.listen(port, () => {
				held.push(server);
				resolve();
			});
		});
	}
	(globalThis as { heldN8nPorts?: Server[] }).heldN8nPorts = held;
}
