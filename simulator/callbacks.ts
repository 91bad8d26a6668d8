/**
 * A finished job's callback (§3.4, §10): its document POSTed to callback_url, signed in
 * X-Phota-Signature, best effort with settings.callbackRetries retries, under the next queued
 * callback fault (callbackFaults.ts). Every POST is recorded.
 */
import { createHmac } from 'node:crypto';

import { request as undiciRequest } from 'undici';

import type { CallbackFaultSpec } from './callbackFaults';
import type { CallbackRecord, SimState, StoredJob } from './state';

/** The key of a `wrongSecret` callback (or this with a suffix, should webhookSecret be it). */
const OTHER_SECRET = 'whsec_not_the_account_secret';

/** ASSUMPTION (§9.10): hex HMAC-SHA256 of the raw JSON body, keyed with the account's secret. */
export function signature(secret: string, payload: string): string {
	return createHmac('sha256', secret).update(payload).digest('hex');
}

/** A POST as it goes out: the body sent and its X-Phota-Signature (none when unsigned). */
interface Outgoing {
	body: string;
	signed?: string;
}

/** What a callback's POSTs share: where they go, their fault, and the count of POSTs so far. */
interface Delivery {
	jobId: string;
	url: string;
	fault?: CallbackFaultSpec;
	signal: AbortSignal;
	posts: number;
}

/** Sends `document` to the job's callback_url until a 2xx answer or the retries run out. */
export async function deliverCallback(
	state: SimState,
	job: StoredJob,
	document: Record<string, unknown>,
): Promise<void> {
	const delivery: Delivery = {
		jobId: job.id,
		url: job.callbackUrl as string,
		fault: state.settings.dropCallbacks ? { kind: 'drop' } : state.callbackFaults.take(job.id),
		signal: state.callbackRun.signal,
		posts: 0,
	};
	const { fault, signal } = delivery;
	if (fault?.kind === 'drop') {
		record(state, delivery, { attempt: 0, error: 'not sent (drop)' });
		return;
	}
	if (fault?.kind === 'delay') await state.sleep(fault.delayMs ?? 1000);
	const payload = JSON.stringify(document);
	for (let retry = 0; !signal.aborted; retry++) {
		// Signed at each attempt: a retry after the secret was rotated carries the new signature.
		const outgoing = faulted(state, payload, fault);
		if (retry === 0 && fault?.kind === 'repeat') void sendCopies(state, delivery, outgoing, fault);
		const sent = await post(state, delivery, outgoing);
		if (delivered(sent) || retry >= state.settings.callbackRetries) return;
		await state.sleep(state.settings.callbackRetryDelayMs);
	}
}

/** The body and signature a POST carries under `fault`. */
function faulted(state: SimState, payload: string, fault?: CallbackFaultSpec): Outgoing {
	const secret = state.settings.webhookSecret;
	switch (fault?.kind) {
		case 'unsigned':
			return { body: payload };
		case 'wrongSecret': {
			const other = secret === OTHER_SECRET ? `${OTHER_SECRET}_2` : OTHER_SECRET;
			return { body: payload, signed: signature(other, payload) };
		}
		case 'tamper':
			return { body: tampered(payload), signed: signature(secret, payload) };
		default:
			return { body: payload, signed: signature(secret, payload) };
	}
}

/** The document with the other final status: what a forger would change. */
function tampered(payload: string): string {
	const document = JSON.parse(payload) as Record<string, unknown>;
	return JSON.stringify({
		...document,
		status: document.status === 'succeeded' ? 'failed' : 'succeeded',
	});
}

/** `repeat`: the same POST again, each copy `delayMs` after the one before, answered or not. */
async function sendCopies(
	state: SimState,
	delivery: Delivery,
	outgoing: Outgoing,
	fault: CallbackFaultSpec,
): Promise<void> {
	for (let copy = 0; copy < (fault.repeats ?? 1); copy++) {
		await state.sleep(fault.delayMs ?? 0);
		if (delivery.signal.aborted) return;
		void post(state, delivery, outgoing);
	}
}

function delivered(sent: CallbackRecord): boolean {
	const status = sent.answeredStatus;
	return status !== undefined && status >= 200 && status < 300;
}

function record(
	state: SimState,
	delivery: Delivery,
	fields: Omit<CallbackRecord, 'jobId' | 'url' | 'sentAt'>,
): CallbackRecord {
	const { jobId, url, fault } = delivery;
	const entry: CallbackRecord = {
		jobId,
		url,
		...fields,
		...(fault ? { fault: fault.kind } : {}),
		sentAt: state.now(),
	};
	state.callbackRecords.push(entry);
	return entry;
}

/** One POST, recorded as it goes out and completed with its answer or error. */
async function post(
	state: SimState,
	delivery: Delivery,
	{ body, signed }: Outgoing,
): Promise<CallbackRecord> {
	delivery.posts += 1;
	const entry = record(state, delivery, {
		attempt: delivery.posts,
		...(signed ? { signature: signed } : {}),
	});
	try {
		const response = await undiciRequest(delivery.url, {
			method: 'POST',
			headers: {
				'content-type': 'application/json',
				...(signed ? { 'x-phota-signature': signed } : {}),
			},
			body,
			signal: delivery.signal,
		});
		await response.body.dump();
		entry.answeredStatus = response.statusCode;
	} catch (error) {
		entry.error = errorText(error);
	}
	entry.answeredAt = state.now();
	return entry;
}

function errorText(error: unknown): string {
	if (!(error instanceof Error)) return String(error);
	const { code } = error as NodeJS.ErrnoException;
	return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}
