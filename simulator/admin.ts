/** The /__sim/… endpoints: what tests and scripts in another process use (docs/simulator.md). */
import type { CallbackFaultSpec } from './callbackFaults';
import { callbackFaultProblem } from './callbackFaults';
import type { FaultInjector, FaultSpec } from './faultInjector';
import { FAULT_KINDS } from './faultInjector';
import type { Reply } from './http';
import { parseJson } from './http';
import type { RequestLog } from './log';
import type { SimulatorSettings } from './settings';
import type { CallbackRecord, SimJob, SimProfile } from './state';

/** What the admin endpoints control: the simulator (server.ts's PhotaSimulator) as seen from here. */
export interface SimulatorControls {
	log: RequestLog;
	faults: FaultInjector;
	settings: SimulatorSettings;
	reset(): void;
	advanceClock(ms: number): void;
	now(): number;
	profiles(): SimProfile[];
	jobs(): SimJob[];
	callbacks(): CallbackRecord[];
	addCallbackFault(spec: CallbackFaultSpec): number;
}

export function adminReply(
	sim: SimulatorControls,
	method: string,
	path: string,
	rawBody: Buffer,
): Reply {
	const body = (parseJson(rawBody) ?? {}) as Record<string, unknown>;
	const key = `${method} ${path}`;
	switch (key) {
		case 'GET /__sim/log':
			return {
				status: 200,
				body: { entries: sim.log.entries, maxInFlight: sim.log.maxInFlight },
			};
		case 'POST /__sim/reset':
			sim.reset();
			return { status: 200, body: { ok: true } };
		case 'POST /__sim/faults': {
			const { routeRegex, ...spec } = body as unknown as FaultSpec & { routeRegex?: string };
			if (!FAULT_KINDS.includes(spec.kind))
				return { status: 400, body: { detail: `kind must be one of ${FAULT_KINDS.join(', ')}` } };
			if (spec.redirectTo !== undefined && !['otherHost', 'sameOrigin'].includes(spec.redirectTo))
				return { status: 400, body: { detail: 'redirectTo must be otherHost or sameOrigin' } };
			sim.faults.add({
				...spec,
				...(routeRegex ? { route: new RegExp(routeRegex) } : {}),
				times: spec.times ?? 1,
			} as FaultSpec);
			return { status: 200, body: { pending: sim.faults.pending } };
		}
		case 'POST /__sim/callback-faults': {
			const spec = body as unknown as CallbackFaultSpec;
			const problem = callbackFaultProblem(spec);
			if (problem) return { status: 400, body: { detail: problem } };
			return { status: 200, body: { pending: sim.addCallbackFault(spec) } };
		}
		case 'PATCH /__sim/settings':
			Object.assign(sim.settings, body);
			return { status: 200, body: { ok: true } };
		case 'POST /__sim/clock':
			sim.advanceClock(Number(body.advanceMs ?? 0));
			return { status: 200, body: { now: sim.now() } };
		case 'GET /__sim/profiles':
			return {
				status: 200,
				body: { profiles: sim.profiles().map(({ apiKey: _apiKey, ...rest }) => rest) },
			};
		case 'GET /__sim/jobs':
			return {
				status: 200,
				body: { jobs: sim.jobs().map(({ apiKey: _apiKey, ...rest }) => rest) },
			};
		case 'GET /__sim/callbacks':
			return { status: 200, body: { callbacks: sim.callbacks() } };
		default:
			return { status: 404, body: { detail: `Unknown admin endpoint ${key}` } };
	}
}
