/**
 * Runs the local Phota simulator so a real n8n can be pointed at it:
 *   npm run simulator -- --port 8787 --api-key sim-key --training-seconds 20
 */
import { parseArgs } from 'node:util';

import { handleInterrupts } from '../processes';
import type { PhotaSimulator } from './server';
import type { SimulatorSettings } from './settings';
import { startSimulator } from './server';

const HELP = `Local Phota API simulator

Options:
  --port <n>               Port to listen on (default 8787)
  --other-port <n>         Port of the other host serving signed download URLs (default: a free one)
  --download-origin <o>    Signed download URLs on the other host (otherHost, default) or the API (api)
  --host <addr>            Address to bind (default 127.0.0.1)
  --api-key <key>          Accepted API key; repeat for several (default sim-key)
  --training-seconds <n>   Total profile training time (default 20; real Phota takes about 1200)
  --list-format <f>        GET /profiles/ids items: strings (default) or objects
  --latency-ms <n>         Simulated processing time of every API request (default 0)
  --output-bytes-4k <n>    Pad 4K output images to this many bytes (default 0)
  --http-callbacks-on-loopback
                           Accept plain http:// callback URLs to localhost, 127.x.x.x or [::1]
                           (e.g. a local n8n's Phota Trigger); others must be https as on Phota
  --help                   Show this help

Training photo URLs containing "train-error" or "train-inactive" end in ERROR or INACTIVE.
Prompts containing __MODERATE__, __TIMEOUT__ or __JOB_FAIL__ trigger moderation, 504 and job failure.`;

/** A bad command line: one line on stderr and exit code 2, as usual for command-line tools. */
class UsageError extends Error {}

function numberOption(
	values: Record<string, unknown>,
	name: string,
	{ min, max, integer, above }: { min: number; max?: number; integer?: boolean; above?: boolean },
): number {
	const text = String(values[name]);
	const value = Number(text);
	const range = above
		? `above ${min}`
		: max === undefined
			? `${min} or more`
			: `from ${min} to ${max}`;
	if (
		!/^\s*[-+]?(\d+\.?\d*|\.\d+)\s*$/.test(text) ||
		(integer && !Number.isInteger(value)) ||
		value < min ||
		(above && value === min) ||
		(max !== undefined && value > max)
	)
		throw new UsageError(
			`--${name} must be ${integer ? 'a whole number' : 'a number'} ${range} (got "${text}")`,
		);
	return value;
}

function oneOf<T extends string>(values: Record<string, unknown>, name: string, allowed: T[]): T {
	const value = String(values[name]);
	if (!allowed.includes(value as T))
		throw new UsageError(`--${name} must be ${allowed.join(' or ')} (got "${value}")`);
	return value as T;
}

function parse() {
	try {
		return parseArgs({
			options: {
				port: { type: 'string', default: '8787' },
				'other-port': { type: 'string', default: '0' },
				'download-origin': { type: 'string', default: 'otherHost' },
				host: { type: 'string', default: '127.0.0.1' },
				'api-key': { type: 'string', multiple: true },
				'training-seconds': { type: 'string', default: '20' },
				'list-format': { type: 'string', default: 'strings' },
				'latency-ms': { type: 'string', default: '0' },
				'output-bytes-4k': { type: 'string', default: '0' },
				'http-callbacks-on-loopback': { type: 'boolean', default: false },
				help: { type: 'boolean', default: false },
			},
		}).values;
	} catch (error) {
		// Node's own messages ("Unknown option '--prot'. To specify a positional argument…"), first sentence.
		const message = error instanceof Error ? error.message : String(error);
		throw new UsageError(message.split(/\.\s/)[0].replace(/\.$/, ''));
	}
}

async function main(): Promise<void> {
	const values = parse();
	if (values.help) {
		console.log(HELP);
		return;
	}

	const port = numberOption(values, 'port', { min: 0, max: 65535, integer: true });
	const otherPort = numberOption(values, 'other-port', { min: 0, max: 65535, integer: true });
	const trainingSeconds = numberOption(values, 'training-seconds', { min: 0, above: true });
	const latencyMs = numberOption(values, 'latency-ms', { min: 0 });
	const outputBytes4k = numberOption(values, 'output-bytes-4k', { min: 0, integer: true });
	const listFormat = oneOf<SimulatorSettings['listFormat']>(values, 'list-format', [
		'strings',
		'objects',
	]);
	const downloadOrigin = oneOf<SimulatorSettings['downloadOrigin']>(values, 'download-origin', [
		'otherHost',
		'api',
	]);
	const trainingMs = trainingSeconds * 1000;
	const apiKeys = values['api-key']?.length ? values['api-key'] : ['sim-key'];

	let simulator: PhotaSimulator;
	try {
		simulator = await startSimulator({
			port,
			otherPort,
			host: values.host,
			downloadOrigin,
			apiKeys,
			listFormat,
			latencyMs,
			trainingPhasesMs: {
				validating: trainingMs * 0.1,
				queuing: trainingMs * 0.1,
				inProgress: trainingMs * 0.8,
			},
			outputBytes: { '1K': 0, '2K': 0, '4K': outputBytes4k },
			httpCallbacksOnLoopback: values['http-callbacks-on-loopback'],
		});
	} catch (error) {
		const { code, message } = error as NodeJS.ErrnoException;
		throw new Error(
			code === 'EADDRINUSE'
				? `port ${port} on ${values.host} is already in use (choose another with --port, or 0 for a free one)`
				: `cannot listen on ${values.host}:${port}: ${message}`,
		);
	}
	// Ctrl-C, SIGTERM, SIGHUP, or the npm command that started it being stopped (npm run simulator:
	// npm forwards SIGTERM only to its shell): close the server and exit.
	handleInterrupts({ onInterrupt: async () => (await simulator.close(), 'simulator closed') });
	simulator.log.onEntry = (entry) => {
		const fault = entry.fault ? ` [${entry.fault}]` : '';
		const host = entry.host === 'other' ? `${simulator.otherHost.baseUrl} ` : '';
		console.log(
			`${entry.method} ${host}${entry.path} -> ${entry.status || '-'} ${entry.endedAt - entry.startedAt}ms${fault}`,
		);
	};

	console.log(`Phota simulator listening on ${simulator.baseUrl}`);
	console.log(
		`Other host (signed download URLs${downloadOrigin === 'api' ? ' are on the API host instead' : ''}) on ${simulator.otherHost.baseUrl}`,
	);
	console.log(
		`In n8n, create a "Phota API" credential with Base URL ${simulator.baseUrl} and API key ${apiKeys.length === 1 ? 'the one you passed with --api-key (default sim-key)' : 'one of the keys passed with --api-key'}.`,
	);
	if (values['http-callbacks-on-loopback'])
		console.log('Callback URLs may use plain http:// to localhost, 127.x.x.x or [::1].');
	console.log(`Profiles train in ${trainingSeconds} s. Press Ctrl+C to stop.`);
}

main().catch((error: unknown) => {
	const message = error instanceof Error ? error.message : String(error);
	if (error instanceof UsageError) {
		console.error(`simulator: ${message}; see --help`);
		process.exit(2);
	}
	console.error(`simulator: ${message}`);
	process.exit(1);
});
