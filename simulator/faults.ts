/**
 * Injected faults: what a test or script asks for (FaultSpec, through sim.faults or POST
 * /__sim/faults), and how the pipeline answers with one instead of the real answer (applyFault).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Reply } from './http';
import { encode, send, retryAfterValue } from './http';
import type { SimState } from './state';

export type FaultKind =
	| 'status'
	| 'delay'
	| 'reset'
	| 'hang'
	| 'redirect'
	| 'cut'
	| 'html'
	| 'trickle'
	| 'stall';

export const FAULT_KINDS: readonly FaultKind[] = [
	'status',
	'delay',
	'reset',
	'hang',
	'redirect',
	'cut',
	'html',
	'trickle',
	'stall',
];

/**
 * One injected fault. Before processing (the default) the request is not run at all; with
 * `afterProcessing: true` it is run (created, charged) first and the fault replaces the real answer.
 *
 * - `status`: answers `status` (default 500) with `body` (default an INJECTED_FAULT error), optional
 *   Retry-After (`retryAfterSeconds`, as an HTTP-date when `retryAfterDate`). `status: 200` with a
 *   custom `body` crafts odd success answers.
 * - `delay`: waits `delayMs`, then goes on normally.
 * - `reset`: destroys the socket without an answer. `hang`: never answers.
 * - `redirect`: answers `status` (default 307) with a Location to the same path and query on the
 *   other host (`redirectTo: 'otherHost'`, default) or on the origin that received it ('sameOrigin').
 * - `cut`: sends status line and headers with the full Content-Length, half the body, then destroys
 *   the socket.
 * - `html`: answers `status` (default 502) with a text/html gateway page of about `bodyBytes`
 *   (default 6000) bytes.
 * - `trickle`: sends the body one byte every `delayMs` (default 500).
 * - `stall`: sends headers (full Content-Length) and the first few body bytes, then nothing more.
 *
 * `cut`, `trickle` and `stall` send the real answer after processing, else `status` (default 200)
 * and `body`.
 */
export interface FaultSpec {
	/** Matches LoggedRequest.route; all API routes (and signed downloads) when omitted. */
	route?: string | RegExp;
	kind: FaultKind;
	status?: number;
	retryAfterSeconds?: number;
	/** `status`: send Retry-After as an HTTP-date (now + retryAfterSeconds) instead of seconds. */
	retryAfterDate?: boolean;
	body?: unknown;
	/** `delay`: how long to wait; `trickle`: the pause between two body bytes. */
	delayMs?: number;
	/** `redirect`: where Location points (default 'otherHost'). */
	redirectTo?: 'otherHost' | 'sameOrigin';
	/** `html`: approximate size of the HTML page. */
	bodyBytes?: number;
	/** How many matching requests it applies to (default 1). */
	times?: number;
	/** Process the request first (create, charge), then fail: "processed but the answer was lost". */
	afterProcessing?: boolean;
}

export class FaultInjector {
	private faults: Array<FaultSpec & { remaining: number }> = [];

	add(spec: FaultSpec): void {
		this.faults.push({ ...spec, remaining: spec.times ?? 1 });
	}

	clear(): void {
		this.faults = [];
	}

	get pending(): number {
		return this.faults.reduce(
			(sum, fault) => sum + (Number.isFinite(fault.remaining) ? fault.remaining : 1),
			0,
		);
	}

	/** Takes the first fault matching `route` and `phase`, counting it down. */
	take(route: string, afterProcessing: boolean): FaultSpec | undefined {
		const fault = this.faults.find(
			(candidate) =>
				candidate.remaining > 0 &&
				Boolean(candidate.afterProcessing) === afterProcessing &&
				(candidate.route === undefined ||
					(typeof candidate.route === 'string'
						? candidate.route === route
						: candidate.route.test(route))),
		);
		if (!fault) return undefined;
		fault.remaining -= 1;
		this.faults = this.faults.filter((candidate) => candidate.remaining > 0);
		return fault;
	}
}

/** What applyFault needs to know about the request it answers. */
export interface FaultContext {
	req: IncomingMessage;
	res: ServerResponse;
	requestId: string;
	/** Origin of the listener that received the request. */
	origin: string;
	finish: (status: number, fault?: string) => void;
}

/**
 * Answers with `fault` instead of the real answer (true), or lets the request go on (false,
 * `delay`). `real` is the processed answer for afterProcessing faults.
 */
export async function applyFault(
	state: SimState,
	fault: FaultSpec,
	context: FaultContext,
	real?: Reply,
): Promise<boolean> {
	const { req, res, requestId, finish } = context;
	const framing = { req, settings: state.settings };
	const injected = (defaultStatus: number, label: string): Reply => {
		const status = fault.status ?? defaultStatus;
		return {
			status,
			headers: { 'X-Request-Id': requestId },
			body: fault.body ?? {
				code: 'INJECTED_FAULT',
				detail: label === 'status' ? `Injected ${status}` : `Injected ${status} (${label})`,
				request_id: requestId,
			},
		};
	};
	switch (fault.kind) {
		case 'delay':
			await state.sleep(fault.delayMs ?? 0);
			return false;
		case 'reset':
			res.socket?.destroy();
			finish(0, 'reset');
			return true;
		case 'hang':
			finish(0, 'hang');
			return true;
		case 'status': {
			const reply = injected(500, 'status');
			if (fault.retryAfterSeconds !== undefined)
				(reply.headers as Record<string, string>)['Retry-After'] = retryAfterValue(
					fault.retryAfterSeconds,
					fault.retryAfterDate ? 'date' : 'seconds',
				);
			send(res, reply, framing);
			finish(reply.status, `status ${reply.status}`);
			return true;
		}
		case 'redirect': {
			const status = fault.status ?? 307;
			const target = fault.redirectTo ?? 'otherHost';
			const origin = target === 'otherHost' ? state.otherHost.baseUrl : context.origin;
			const location = `${origin}${req.url ?? '/'}`;
			send(
				res,
				{
					status,
					headers: { 'X-Request-Id': requestId, Location: location },
					body: { detail: `Moved to ${location}`, request_id: requestId },
				},
				framing,
			);
			finish(status, `redirect ${status} ${target}`);
			return true;
		}
		case 'html': {
			const status = fault.status ?? 502;
			send(
				res,
				{
					status,
					headers: { 'X-Request-Id': requestId },
					raw: gatewayPage(status, fault.bodyBytes ?? 6000),
					contentType: 'text/html',
				},
				framing,
			);
			finish(status, `html ${status}`);
			return true;
		}
		case 'cut': {
			const { status, headers, payload } = encode(real ?? injected(200, 'cut'));
			res.writeHead(status, headers);
			res.write(payload.subarray(0, Math.floor(payload.length / 2)), () => res.socket?.destroy());
			finish(status, 'cut');
			return true;
		}
		case 'stall': {
			const { status, headers, payload } = encode(real ?? injected(200, 'stall'));
			res.writeHead(status, headers);
			res.flushHeaders();
			const prefix = Math.min(8, Math.floor(payload.length / 2));
			if (prefix > 0) res.write(payload.subarray(0, prefix));
			finish(status, 'stall');
			return true;
		}
		case 'trickle': {
			const { status, headers, payload } = encode(real ?? injected(200, 'trickle'));
			const delayMs = fault.delayMs ?? 500;
			res.writeHead(status, headers);
			res.flushHeaders();
			let offset = 0;
			const step = () => {
				if (res.destroyed) {
					finish(status, 'trickle (client gone)');
					return;
				}
				if (offset < payload.length) {
					res.write(payload.subarray(offset, offset + 1));
					offset += 1;
				}
				if (offset >= payload.length) {
					res.end();
					finish(status, 'trickle');
					return;
				}
				state.schedule(step, delayMs);
			};
			state.schedule(step, delayMs);
			return true;
		}
	}
}

/** A gateway error page like nginx or a CDN sends, padded to about `bytes` bytes. */
function gatewayPage(status: number, bytes: number): Buffer {
	const reason =
		{
			500: 'Internal Server Error',
			502: 'Bad Gateway',
			503: 'Service Unavailable',
			504: 'Gateway Timeout',
		}[status] ?? 'Error';
	const head =
		`<html><head><title>${status} ${reason}</title></head>\n<body>\n` +
		`<center><h1>${status} ${reason}</h1></center>\n<hr><center>nginx</center>\n`;
	const tail = '</body>\n</html>\n';
	const filler = '<!-- a padding to disable MSIE and Chrome friendly error page -->\n';
	let padding = '';
	while (head.length + padding.length + filler.length + tail.length <= bytes) padding += filler;
	return Buffer.from(head + padding + tail);
}
