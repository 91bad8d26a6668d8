/**
 * Deliveries this process has already started a workflow for, so that Phota resending a callback
 * (after a timeout, say) does not run the workflow twice.
 *
 * Decision: this memory is per process and best effort. It is reliable for repeats reaching the
 * same n8n process within the window; it cannot be across processes (queue mode with several
 * webhook processes, where each repeat may reach another one) nor across a restart, and n8n
 * offers community nodes no shared store to do better. So every output item also carries
 * `delivery_key` (`job_id:status`), and a workflow that must never run twice for one job puts
 * n8n's Remove Duplicates node ("Remove Items Processed in Previous Executions", on
 * `{{ $json.delivery_key }}`) after this trigger: n8n keeps that history in its database, shared by
 * all processes.
 */

/** How long a delivery is remembered: Phota's retries of one callback come well within it. */
export const DELIVERY_MEMORY_MS = 60 * 60 * 1000;
/** At most this many deliveries are remembered; the oldest is forgotten first. */
export const DELIVERY_MEMORY_ENTRIES = 10_000;

/** When each delivery was first seen, oldest first (a Map keeps insertion order). */
const seen = new Map<string, number>();

/** What identifies a delivery in the output: the job and the status it reports. */
export function deliveryKeyOf(jobId: string, status: string): string {
	return `${jobId}:${status}`;
}

/**
 * Whether this is the first delivery of `deliveryKey` to the trigger node `scope` (workflow and
 * node) within the window, recording it if so. Synchronous on purpose: the check and the record
 * happen with no `await` between them, so of two identical deliveries handled at the same time
 * by this process exactly one is first.
 */
export function isFirstDelivery(scope: string, deliveryKey: string, now = Date.now()): boolean {
	for (const [key, at] of seen) {
		if (now - at < DELIVERY_MEMORY_MS && seen.size < DELIVERY_MEMORY_ENTRIES) break;
		seen.delete(key);
	}
	const key = `${scope}\n${deliveryKey}`;
	const at = seen.get(key);
	if (at !== undefined && now - at < DELIVERY_MEMORY_MS) return false;
	// Re-inserted, so that the map stays ordered by time.
	seen.delete(key);
	seen.set(key, now);
	return true;
}
