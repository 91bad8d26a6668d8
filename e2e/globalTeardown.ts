import type { Server } from 'node:net';

import { removeTempDirsOf } from '../processes';

export default async function globalTeardown(): Promise<void> {
	const held = (globalThis as { heldN8nPorts?: Server[] }).heldN8nPorts ?? [];
	await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
	// Whatever a failed test left: n8n user folders and the packed tarball, named after this process.
	removeTempDirsOf();
}
