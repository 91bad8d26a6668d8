/**
 * Injected faults: how the pipeline answers with one instead of the real answer (applyFault). What
 * a test asks for, and the queue of pending faults, are in faultInjector.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Reply } from './http';
import { encode, send, retryAfterValue } from './http';
import type { FaultSpec } from './faultInjector';
import type { SimState } from './state';

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
