import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { fetch } from 'undici';

import { run } from '../../processes';
import { listeningUrl, spawnSimulatorCli } from '../harness/simulatorProcess';
import type { RunError } from '../../processes';

const ROOT = path.resolve(__dirname, '..', '..');

test('npm run simulator: answers an authenticated GET /profiles/ids and a wrong key with 401, prints the other host', async () => {
	const child = spawnSimulatorCli('--api-key', 'cli-key', '--training-seconds', '1');
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

test('npm run simulator --http-callbacks-on-loopback: a callback to a local receiver is accepted and delivered', async () => {
	const received: string[] = [];
	const receiver = createServer((req, res) => {
		req.on('data', (chunk: Buffer) => received.push(chunk.toString()));
		req.on('end', () => res.end());
	});
	await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
	const child = spawnSimulatorCli('--http-callbacks-on-loopback');
	try {
		const baseUrl = await new Promise<string>((resolve, reject) => {
			let output = '';
			child.stdout.on('data', (chunk: Buffer) => {
				output += chunk.toString();
				const match = /listening on (http:\/\/\S+)\n[^]*plain http:\/\/ to localhost/.exec(output);
				if (match) resolve(match[1]);
			});
			child.on('exit', (code) => reject(new Error(`simulator exited with ${code}: ${output}`)));
		});
		const submitted = await fetch(`${baseUrl}/generate`, {
			method: 'POST',
			headers: { 'X-API-Key': 'sim-key', 'content-type': 'application/json' },
			body: JSON.stringify({
				prompt: 'x',
				response_mode: 'urls',
				async: true,
				callback_url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/cb`,
			}),
		});
		expect(submitted.status).toBe(202);
		const { job_id: jobId } = (await submitted.json()) as { job_id: string };
		for (let wait = 0; wait < 100 && received.length === 0; wait++)
			await new Promise((resolve) => setTimeout(resolve, 50));
		expect(JSON.parse(received.join(''))).toMatchObject({ job_id: jobId, status: 'succeeded' });
	} finally {
		child.kill('SIGTERM');
		receiver.close();
	}
}, 60_000);

test('npm run simulator: bad flags get one line and exit code 2', async () => {
	const cases: Array<[string[], RegExp]> = [
		[['--port', 'abc'], /^simulator: --port must be a whole number from 0 to 65535 \(got "abc"\)/],
		[['--training-seconds', 'x'], /^simulator: --training-seconds must be a number above 0/],
		[['--bogus'], /^simulator: Unknown option '--bogus'; see --help$/],
	];
	for (const [args, message] of cases) {
		const error = await run(
			process.execPath,
			[require.resolve('ts-node/dist/bin.js'), '--transpile-only', 'simulator/cli.ts', ...args],
			{ cwd: ROOT },
		).catch((failure: RunError) => failure);
		expect(error).toMatchObject({ code: 2, stdout: '' });
		const lines = (error as RunError).stderr.split('\n').filter(Boolean);
		expect(lines).toEqual([expect.stringMatching(message)]);
	}
}, 60_000);

test('npm run simulator: stopping the npm command by its pid stops the server (npm forwards SIGTERM only to its shell)', async () => {
	const npm = spawn('npm', ['run', 'simulator', '--', '--port', '0', '--api-key', 'cli-key'], {
		cwd: ROOT,
		stdio: ['ignore', 'pipe', 'pipe'],
		detached: true,
	});
	try {
		const baseUrl = await listeningUrl(npm, 'npm');
		expect(
			(await fetch(`${baseUrl}/profiles/ids`, { headers: { 'X-API-Key': 'cli-key' } })).status,
		).toBe(200);

		npm.kill('SIGTERM');
		const stopped = Date.now();
		let listening = true;
		while (listening && Date.now() - stopped < 10_000) {
			listening = await fetch(`${baseUrl}/profiles/ids`).then(
				() => true,
				() => false,
			);
			if (listening) await new Promise((resolve) => setTimeout(resolve, 100));
		}
		expect(listening).toBe(false);
		expect(Date.now() - stopped).toBeLessThan(5000);
	} finally {
		try {
			process.kill(-npm.pid!, 'SIGKILL');
		} catch {
			// already gone
		}
	}
}, 60_000);
