/**
 * Runs the local Phota simulator so a real n8n can be pointed at it:
 *   npm run simulator -- --port 8787 --api-key sim-key --training-seconds 20
 */
import { parseArgs } from 'node:util';

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
  --help                   Show this help

Training photo URLs containing "train-error" or "train-inactive" end in ERROR or INACTIVE.
Prompts containing __MODERATE__, __TIMEOUT__ or __JOB_FAIL__ trigger moderation, 504 and job failure.`;

async function main(): Promise<void> {
	const { values } = parseArgs({
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
			help: { type: 'boolean', default: false },
		},
	});
	if (values.help) {
		console.log(HELP);
		return;
	}

	const trainingMs = Number(values['training-seconds']) * 1000;
	const apiKeys = values['api-key']?.length ? values['api-key'] : ['sim-key'];
	const listFormat = values['list-format'] as SimulatorSettings['listFormat'];
	if (!['strings', 'objects'].includes(listFormat))
		throw new Error('--list-format must be strings or objects');
	const downloadOrigin = values['download-origin'] as SimulatorSettings['downloadOrigin'];
	if (!['otherHost', 'api'].includes(downloadOrigin))
		throw new Error('--download-origin must be otherHost or api');

	const simulator = await startSimulator({
		port: Number(values.port),
		otherPort: Number(values['other-port']),
		host: values.host,
		downloadOrigin,
		apiKeys,
		listFormat,
		latencyMs: Number(values['latency-ms']),
		trainingPhasesMs: {
			validating: trainingMs * 0.1,
			queuing: trainingMs * 0.1,
			inProgress: trainingMs * 0.8,
		},
		outputBytes: { '1K': 0, '2K': 0, '4K': Number(values['output-bytes-4k']) },
	});
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
	console.log(`Profiles train in ${trainingMs / 1000} s. Press Ctrl+C to stop.`);

	const stop = async () => {
		await simulator.close();
		process.exit(0);
	};
	process.on('SIGINT', () => void stop());
	process.on('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
	console.error(error instanceof Error ? error.message : error);
	process.exit(1);
});
