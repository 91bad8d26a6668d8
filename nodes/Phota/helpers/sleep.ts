import * as n8nWorkflow from 'n8n-workflow';

type SleepWithAbort = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * Waits `ms`, ending early (with an error) when the execution is cancelled.
 * n8n-workflow's `sleepWithAbort` does exactly this but is gone from the newest n8n 2.x, whose
 * n8n-workflow only has `sleep`; there the abort signal is raced against `sleep`. Community nodes
 * may not call setTimeout themselves.
 */
export async function sleepUnlessCancelled(ms: number, signal?: AbortSignal): Promise<void> {
	const sleepWithAbort = (n8nWorkflow as unknown as { sleepWithAbort?: SleepWithAbort })
		.sleepWithAbort;
	if (sleepWithAbort) return await sleepWithAbort(ms, signal);

	if (signal?.aborted) throw new Error('Execution was cancelled');
	await new Promise<void>((resolve, reject) => {
		const onAbort = () => reject(new Error('Execution was cancelled'));
		signal?.addEventListener('abort', onAbort, { once: true });
		void n8nWorkflow.sleep(ms).then(() => {
			signal?.removeEventListener('abort', onAbort);
			resolve();
		});
	});
}
