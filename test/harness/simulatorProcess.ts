import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export interface SimulatorProcess {
	baseUrl: string;
	stop(): void;
}

/** `npm run simulator -- --port 0 <flags>`, as a user starts it. */
export function spawnSimulatorCli(...flags: string[]) {
	return spawn(
		process.execPath,
		[
			require.resolve('ts-node/dist/bin.js'),
			'--transpile-only',
			'simulator/cli.ts',
			'--port',
			'0',
			...flags,
		],
		{ cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
	);
}

/**
 * The simulator in a process of its own (`npm run simulator -- --port 0 <flags>`), for tests that
 * measure this process's memory: the images it makes and sends are then not counted here.
 */
export async function startSimulatorProcess(...flags: string[]): Promise<SimulatorProcess> {
	const child = spawnSimulatorCli(...flags);
	const baseUrl = await listeningUrl(child, 'simulator');
	return { baseUrl, stop: () => child.kill('SIGTERM') };
}

/** The URL a starting simulator prints ("listening on …"); rejects if `child` exits first. */
export async function listeningUrl(child: ChildProcess, name: string): Promise<string> {
	return await new Promise<string>((resolve, reject) => {
		let output = '';
		child.stdout?.on('data', (chunk: Buffer) => {
			output += chunk.toString();
			const match = /listening on (http:\/\/\S+)/.exec(output);
			if (match) resolve(match[1]);
		});
		child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
		child.on('exit', (code) => reject(new Error(`${name} exited with ${code}: ${output}`)));
	});
}
