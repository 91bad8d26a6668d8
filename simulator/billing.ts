/** What an account may spend and how fast: credits (402) and the rate limit (429). */
import type { Call, Reply } from './http';
import { httpError, retryAfterValue } from './http';
import type { SimState } from './state';

/** Charges `cost` to the caller's key; throws 402 when settings.creditBalance would be overdrawn. */
export function charge(state: SimState, call: Call, cost: number): void {
	const balance = state.settings.creditBalance;
	const spent = state.spent.get(call.apiKey) ?? 0;
	if (balance !== null && spent + cost > balance) {
		throw httpError(
			402,
			call.requestId,
			'INSUFFICIENT_CREDIT',
			'Insufficient prepaid credit balance.',
		);
	}
	state.spent.set(call.apiKey, spent + cost);
}

export function refund(state: SimState, apiKey: string, cost: number): void {
	state.spent.set(apiKey, (state.spent.get(apiKey) ?? 0) - cost);
}

/** The 429 answer when settings.rateLimit is exceeded, else undefined (the request is counted). */
export function rateLimited(state: SimState, requestId: string): Reply | undefined {
	const limit = state.settings.rateLimit;
	if (!limit) return undefined;
	const retryAfter = retryAfterValue(limit.retryAfterSeconds ?? 1, state.settings.retryAfterFormat);
	const reply = {
		status: 429,
		headers: { 'Retry-After': retryAfter },
		body: { detail: 'Rate limit exceeded', request_id: requestId },
	};
	if (limit.maxConcurrent !== undefined && state.log.currentInFlight > limit.maxConcurrent)
		return reply;
	if (limit.perSecond !== undefined) {
		const now = Date.now();
		state.rateWindow = state.rateWindow.filter((at) => now - at < 1000);
		if (state.rateWindow.length >= limit.perSecond) return reply;
		state.rateWindow.push(now);
	}
	return undefined;
}
