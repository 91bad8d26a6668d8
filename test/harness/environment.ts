import type { BinaryMode, RunOptions, RunResult, WorkflowJson } from './n8n';
import { recordArtifact } from './leakCheck';
import { N8nHarness } from './n8n';
import type { INodeParameters } from 'n8n-workflow';

import type { FixtureItem } from './testNodes';
import type { NodeOptions } from './workflow';
import { chain, fixtureNode, photaCredentials, photaNode, photoUrls } from './workflow';
import type { PhotaSimulator, StartOptions } from '../../simulator';
import { startSimulator } from '../../simulator';

export const TEST_API_KEY = 'phota-test-key-9d2e71';

export interface PhotaTestEnvironment {
	readonly sim: PhotaSimulator;
	readonly n8n: N8nHarness;
	/** Runs a workflow with the Phota credential pointing at the simulator. */
	run(workflow: WorkflowJson, options?: RunOptions): Promise<RunResult>;
	/** Runs fixture items → one Phota node (named "Phota") with these parameters. */
	runPhota(
		items: FixtureItem[],
		parameters: INodeParameters,
		nodeOptions?: NodeOptions,
		runOptions?: RunOptions,
	): Promise<RunResult>;
	/** Creates `count` profiles through the node, finishes their training and clears the request log. */
	readyProfiles(count: number, tag?: string): Promise<string[]>;
}

/**
 * Registers jest hooks that start one simulator and one n8n harness for the file, and reset the
 * simulator (state, log, faults, settings) before every test.
 */
export function usePhotaEnvironment(
	options: { binaryMode?: BinaryMode; simulator?: StartOptions } = {},
): PhotaTestEnvironment {
	let sim: PhotaSimulator | undefined;
	let n8n: N8nHarness | undefined;

	beforeAll(async () => {
		sim = await startSimulator({
			apiKeys: [TEST_API_KEY],
			// Long enough that a slow machine never sees a phase pass by itself; tests move the
			// simulated clock (sim.advanceClock) when they want training or a job to finish.
			trainingPhasesMs: { validating: 30_000, queuing: 30_000, inProgress: 60_000 },
			jobPhasesMs: { queued: 30_000, running: 30_000 },
			...options.simulator,
		});
		n8n = await N8nHarness.start({ binaryMode: options.binaryMode });
	});

	afterAll(async () => {
		// The simulator's request log (headers included) is scanned for keys too.
		if (sim) recordArtifact('simulator request log', sim.log.entries);
		await sim?.close();
		await N8nHarness.shutdown();
	});

	beforeEach(() => sim?.reset());

	// The simulator's other host (signed URLs, redirect targets) must never see an API key: checked
	// after every test, since the request log itself stores the key redacted.
	afterEach(() => {
		const keyed = sim?.otherHost.requests.filter((request) => request.apiKeyPresent) ?? [];
		if (keyed.length > 0) {
			throw new Error(
				`The API key reached the other host: ${keyed.map((request) => `${request.method} ${request.path}`).join(', ')}`,
			);
		}
	});

	const environment: PhotaTestEnvironment = {
		get sim() {
			if (!sim) throw new Error('simulator not started');
			return sim;
		},
		get n8n() {
			if (!n8n) throw new Error('harness not started');
			return n8n;
		},
		async runPhota(items, parameters, nodeOptions, runOptions) {
			return await environment.run(
				chain(fixtureNode(items), photaNode(parameters, nodeOptions)),
				runOptions,
			);
		},
		async readyProfiles(count, tag) {
			const items = Array.from({ length: count }, (_, index) => ({
				json: { image_urls: photoUrls(10, `https://x.org/${tag ?? 'p'}${index}`) },
			}));
			const result = await environment.runPhota(items, {
				resource: 'profile',
				operation: 'create',
				imageSource: 'field',
				...(tag ? { tag } : {}),
			});
			if (result.error) throw result.error;
			environment.sim.advanceClock(600_000);
			environment.sim.log.clear();
			return result.output('Phota').map((item) => item.json.profile_id as string);
		},
		async run(workflow, runOptions = {}) {
			return await environment.n8n.run(workflow, {
				credentials: photaCredentials(environment.sim.baseUrl, TEST_API_KEY),
				...runOptions,
			});
		},
	};
	return environment;
}
