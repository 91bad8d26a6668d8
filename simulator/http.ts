/** HTTP plumbing shared by the simulator's modules: answers, errors, encoding and request parsing. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';

import type { SimulatorSettings } from './settings';

export const API_PREFIX = '/v1/phota';

/** An answer before encoding: a JSON `body`, or `raw` bytes with their `contentType`. */
export interface Reply {
	status: number;
	body?: unknown;
	raw?: Buffer;
	contentType?: string;
	headers?: Record<string, string>;
}

/** An authenticated API request, as the route handlers get it. */
export interface Call {
	route: string;
	params: string[];
	query: Record<string, string>;
	body: Record<string, unknown>;
	apiKey: string;
	requestId: string;
}

export interface Encoded {
	status: number;
	headers: Record<string, string>;
	payload: Buffer;
}

/** Thrown by a handler to answer with `reply` at once (the pipeline catches it). */
export class HttpError extends Error {
	constructor(readonly reply: Reply) {
		super(`HTTP ${reply.status}`);
	}
}

export function apiError(status: number, requestId: string, code: string, detail: string): Reply {
	// ASSUMPTION (§9.13): error bodies are {code, detail, request_id}.
	return { status, body: { code, detail, request_id: requestId } };
}

/** apiError, to throw. */
export function httpError(
	status: number,
	requestId: string,
	code: string,
	detail: string,
): HttpError {
	return new HttpError(apiError(status, requestId, code, detail));
}

/** The answer as bytes with Content-Type and the full Content-Length (no gzip, no chunking). */
export function encode(reply: Reply): Encoded {
	const headers: Record<string, string> = { ...reply.headers };
	let payload: Buffer;
	if (reply.raw) {
		payload = reply.raw;
		headers['Content-Type'] = reply.contentType ?? 'application/octet-stream';
	} else {
		payload = Buffer.from(reply.body === undefined ? '' : JSON.stringify(reply.body));
		headers['Content-Type'] = 'application/json';
	}
	headers['Content-Length'] = String(payload.length);
	return { status: reply.status, headers, payload };
}

/**
 * Sends a whole answer. With `framing` (API and other-host answers, not admin ones) the
 * transferEncoding and gzip settings apply.
 */
export function send(
	res: ServerResponse,
	reply: Reply,
	framing?: { req: IncomingMessage; settings: SimulatorSettings },
): void {
	if (res.destroyed) return;
	const { status, headers, payload: plain } = encode(reply);
	let payload = plain;
	if (framing) {
		const { req, settings } = framing;
		const accepts = String(req.headers['accept-encoding'] ?? '');
		if (
			settings.gzip &&
			headers['Content-Type'] === 'application/json' &&
			/\bgzip\b/i.test(accepts)
		) {
			payload = gzipSync(plain);
			headers['Content-Encoding'] = 'gzip';
			headers['Vary'] = 'Accept-Encoding';
			headers['Content-Length'] = String(payload.length);
		}
		if (settings.transferEncoding === 'chunked') {
			delete headers['Content-Length'];
			res.writeHead(status, headers);
			// A few chunks, so a client that expects the body in one piece is caught out.
			const size = Math.max(1, Math.ceil(payload.length / 3));
			for (let offset = 0; offset < payload.length; offset += size)
				res.write(payload.subarray(offset, offset + size));
			res.end();
			return;
		}
	}
	res.writeHead(status, headers);
	res.end(payload);
}

/** Retry-After as delta-seconds, or as an HTTP-date at least that far ahead. */
export function retryAfterValue(seconds: number, format: 'seconds' | 'date'): string {
	if (format === 'seconds') return String(seconds);
	return new Date(Math.ceil((Date.now() + seconds * 1000) / 1000) * 1000).toUTCString();
}

/** The route name (`GET /profiles/:id/status`, without the API prefix) and its parameters. */
export function normaliseRoute(method: string, path: string): { route: string; params: string[] } {
	const patterns: Array<[RegExp, string]> = [
		[/^\/profiles\/ids\/?$/, '/profiles/ids'],
		[/^\/profiles\/add\/?$/, '/profiles/add'],
		[/^\/profiles\/([^/]+)\/status\/?$/, '/profiles/:id/status'],
		[/^\/profiles\/([^/]+)\/profile_picture\/?$/, '/profiles/:id/profile_picture'],
		[/^\/profiles\/([^/]+)\/?$/, '/profiles/:id'],
		[/^\/jobs\/([^/]+)\/?$/, '/jobs/:id'],
		[/^\/files\/([^/]+)$/, '/files/:name'],
	];
	for (const [pattern, name] of patterns) {
		const match = pattern.exec(path);
		if (match)
			return { route: `${method} ${name}`, params: match.slice(1).map(decodeURIComponent) };
	}
	return { route: `${method} ${path.replace(/\/+$/, '') || '/'}`, params: [] };
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

export function parseJson(raw: Buffer): unknown {
	if (raw.length === 0) return undefined;
	try {
		return JSON.parse(raw.toString('utf8')) as unknown;
	} catch {
		return undefined;
	}
}

export function headerValue(value: string | string[] | undefined): string | undefined {
	return Array.isArray(value) ? value[0] : value;
}

export function redactHeaders(headers: IncomingMessage['headers']): Record<string, string> {
	const redacted: Record<string, string> = {};
	for (const [name, value] of Object.entries(headers)) {
		if (value === undefined) continue;
		redacted[name] =
			name.toLowerCase() === 'x-api-key'
				? '[redacted]'
				: Array.isArray(value)
					? value.join(', ')
					: value;
	}
	return redacted;
}
