/**
 * The callback faults a test or script asks for (sim.addCallbackFault or POST /__sim/callback-faults)
 * and the queue that hands them to the next callbacks. callbacks.ts applies them.
 */
export type CallbackFaultKind = 'drop' | 'delay' | 'repeat' | 'tamper' | 'unsigned' | 'wrongSecret';

export const CALLBACK_FAULT_KINDS: readonly CallbackFaultKind[] = [
	'drop',
	'delay',
	'repeat',
	'tamper',
	'unsigned',
	'wrongSecret',
];

/**
 * One callback fault; it applies to a job's whole callback (its retries too).
 *
 * - `drop`: not sent at all (the job still finishes; GET /jobs shows it).
 * - `delay`: sent `delayMs` (default 1000) later than the job's finish.
 * - `repeat`: sent, then the identical POST (body and signature) `repeats` (default 1) more times,
 *   each `delayMs` (default 0) after the one before without waiting for its answer, as Phota would
 *   after a timeout on its side. The copies are not retried.
 * - `tamper`: the body is changed after signing (the other final status), the signature kept.
 * - `unsigned`: sent without X-Phota-Signature.
 * - `wrongSecret`: signed with another secret than webhookSecret.
 */
export interface CallbackFaultSpec {
	kind: CallbackFaultKind;
	/** How many callbacks it applies to (default 1). */
	times?: number;
	delayMs?: number;
	repeats?: number;
	/** Only the callback of this job (default: the next callbacks of any job). */
	jobId?: string;
}

/** What is wrong with a spec (for a 400 or a thrown Error), or undefined when it is fine. */
export function callbackFaultProblem(spec: CallbackFaultSpec): string | undefined {
	if (!CALLBACK_FAULT_KINDS.includes(spec.kind))
		return `kind must be one of ${CALLBACK_FAULT_KINDS.join(', ')}`;
	for (const [name, min] of [
		['times', 1],
		['repeats', 1],
	] as const) {
		const value = spec[name];
		if (value !== undefined && !(Number.isInteger(value) && value >= min))
			return `${name} must be a whole number from ${min}`;
	}
	if (spec.delayMs !== undefined && !(Number.isFinite(spec.delayMs) && spec.delayMs >= 0))
		return 'delayMs must be a number from 0';
	if (spec.jobId !== undefined && typeof spec.jobId !== 'string') return 'jobId must be a string';
	return undefined;
}

export class CallbackFaultQueue {
	private faults: Array<CallbackFaultSpec & { remaining: number }> = [];

	/** Queues `spec` (throws on a bad one); returns how many callbacks the queue will affect. */
	add(spec: CallbackFaultSpec): number {
		const problem = callbackFaultProblem(spec);
		if (problem) throw new Error(`callback fault: ${problem}`);
		this.faults.push({ ...spec, remaining: spec.times ?? 1 });
		return this.pending;
	}

	clear(): void {
		this.faults = [];
	}

	/** How many callbacks the queued faults will still apply to. */
	get pending(): number {
		return this.faults.reduce((sum, fault) => sum + fault.remaining, 0);
	}

	/** Takes the first fault for `jobId` (or for any job), counting it down. */
	take(jobId: string): CallbackFaultSpec | undefined {
		const fault = this.faults.find(
			(candidate) => candidate.jobId === undefined || candidate.jobId === jobId,
		);
		if (!fault) return undefined;
		fault.remaining -= 1;
		this.faults = this.faults.filter((candidate) => candidate.remaining > 0);
		return fault;
	}
}
