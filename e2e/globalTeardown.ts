import type { Server } from 'node:net';

export default async function globalTeardown(): Promise<void> {
	const held = (globalThis as { heldN8nPorts?: Server[] }).heldN8nPorts ?? [];
	await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
}
