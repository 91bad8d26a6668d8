/**
 * A finished job's callback (§3.4, §10): its document POSTed to callback_url, signed in
 * X-Phota-Signature, best effort with settings.callbackRetries retries. Every POST is recorded.
 */
import { createHmac } from 'node:crypto';

import { request as undiciRequest } from 'undici';

import type { CallbackRecord, SimState, StoredJob } from './state';

/** ASSUMPTION (§9.10): hex HMAC-SHA256 of the raw JSON body, keyed with the account's secret. */
export function signature(secret: string, payload: string): string {
	return createHmac('sha256', secret).update(payload).digest('hex');
}

/** Sends `document` to the job's callback_url until a 2xx answer or the retries run out. */
export async function deliverCallback(
	state: SimState,
	job: StoredJob,
	document: unknown,
): Promise<void> {
	const { signal } = state.callbackRun;
	const payload = JSON.stringify(document);
	for (let attempt = 1; ; attempt++) {
		// Signed at each attempt: a retry after the secret was rotated carries the new signature.
		const signed = signature(state.settings.webhookSecret, payload);
		const record = await post(
			state,
			signal,
			{ jobId: job.id, url: job.callbackUrl as string, attempt },
			payload,
			signed,
		);
		if (signal.aborted || delivered(record) || attempt > state.settings.callbackRetries) return;
		await state.sleep(state.settings.callbackRetryDelayMs);
		if (signal.aborted) return;
	}
}

function delivered(record: CallbackRecord): boolean {
	return (
		record.answeredStatus !== undefined &&
		record.answeredStatus < 300 &&
		record.answeredStatus >= 200
	);
}

/** One POST, recorded as it goes out and completed with its answer or error. */
async function post(
	state: SimState,
	signal: AbortSignal,
	target: Pick<CallbackRecord, 'jobId' | 'url' | 'attempt'>,
	body: string,
	signed: string | undefined,
): Promise<CallbackRecord> {
	const record: CallbackRecord = {
		...target,
		sentAt: state.now(),
		...(signed ? { signature: signed } : {}),
	};
	state.callbackRecords.push(record);
	try {
		const response = await undiciRequest(target.url, {
			method: 'POST',
			headers: {
				'content-type': 'application/json',
				...(signed ? { 'x-phota-signature': signed } : {}),
			},
			body,
			signal,
		});
		await response.body.dump();
		record.answeredStatus = response.statusCode;
	} catch (error) {
		record.error = errorText(error);
	}
	record.answeredAt = state.now();
	return record;
}

function errorText(error: unknown): string {
	if (!(error instanceof Error)) return String(error);
	const { code } = error as NodeJS.ErrnoException;
	return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}
