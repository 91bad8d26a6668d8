import { spawn } from 'node:child_process';
import path from 'node:path';

import { fetch } from 'undici';

const ROOT = path.resolve(__dirname, '..', '..');

test('npm run simulator: answers an authenticated GET /profiles/ids and a wrong key with 401, prints the other host', async () => {
	const child = spawn(
		process.execPath,
		[
			require.resolve('ts-node/dist/bin.js'),
			'--transpile-only',
			'test/simulator/cli.ts',
			'--port',
			'0',
			'--api-key',
			'cli-key',
			'--training-seconds',
			'1',
		],
		{ cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
	);
	try {
		const [baseUrl, otherHost] = await new Promise<[string, string]>((resolve, reject) => {
			let output = '';
			child.stdout.on('data', (chunk: Buffer) => {
				output += chunk.toString();
				const match = /listening on (http:\/\/\S+)\n.*Other host.* on (http:\/\/\S+)/.exec(output);
				if (match) resolve([match[1], match[2]]);
			});
			child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
			child.on('exit', (code) => reject(new Error(`simulator exited with ${code}: ${output}`)));
		});

		const ok = await fetch(`${baseUrl}/profiles/ids`, { headers: { 'X-API-Key': 'cli-key' } });
		expect(ok.status).toBe(200);
		expect(await ok.json()).toEqual({ profiles: [] });
		expect(
			(await fetch(`${baseUrl}/profiles/ids`, { headers: { 'X-API-Key': 'other' } })).status,
		).toBe(401);
		expect(new URL(otherHost).origin).not.toBe(new URL(baseUrl).origin);
		expect(await (await fetch(`${otherHost}/anything`)).json()).toEqual({
			ok: true,
			host: 'other',
		});
	} finally {
		child.kill('SIGTERM');
	}
}, 60_000);
