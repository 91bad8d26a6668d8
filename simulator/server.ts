/**
 * PhotaSimulator: the two listeners (the API and the other host), the request pipeline every request
 * goes through (request id, log, faults before and after processing, answer) and the public API that
 * tests and scripts use. Authentication, rate limit and routing are in routes.ts, the endpoints in
 * profiles.ts, imageEndpoints.ts and jobs.ts, /__sim/… in admin.ts; they share a SimState (state.ts).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { adminReply } from './admin';
import type { CallbackFaultSpec } from './callbackFaults';
import type { FaultInjector } from './faultInjector';
import type { FaultContext } from './faults';
import { applyFault } from './faults';
import type { Reply } from './http';
import {
	API_PREFIX,
	HttpError,
	apiError,
	headerValue,
	normaliseRoute,
	parseJson,
	readBody,
	redactHeaders,
	send,
} from './http';
import { serveFile } from './imageEndpoints';
import { finishDueJobs, jobViews } from './jobs';
import type { LoggedRequest, RequestLog } from './log';
import { profileViews } from './profiles';
import { routeApiRequest } from './routes';
import type { SimulatorSettings } from './settings';
import { defaultSettings } from './settings';
import type { CallbackRecord, OtherHost, SimJob, SimProfile } from './state';
import { SimState } from './state';

const IMAGE_ROUTES = new Set(['POST /edit', 'POST /generate', 'POST /enhance', 'POST /remix']);
/** §3.8 / §10: sent on every answer of the image endpoints (202 and errors included). */
const DEPRECATION_DATE = '2026-05-08';

export interface StartOptions extends Partial<SimulatorSettings> {
	port?: number;
	host?: string;
	/** Port of the other host (signed download URLs); a free one when omitted. */
	otherPort?: number;
}

export class PhotaSimulator {
	readonly log: RequestLog;
	readonly faults: FaultInjector;
	readonly otherHost: OtherHost;

	private readonly state: SimState;
	private server: Server;
	private otherServer: Server;
	private sockets = new Set<Socket>();

	constructor(initialSettings: SimulatorSettings) {
		this.state = new SimState(initialSettings);
		this.log = this.state.log;
		this.faults = this.state.faults;
		this.otherHost = this.state.otherHost;
		this.server = createServer((req, res) => void this.handle(req, res));
		this.otherServer = createServer((req, res) => void this.handleOther(req, res));
		for (const server of [this.server, this.otherServer]) {
			server.on('connection', (socket) => {
				this.sockets.add(socket);
				socket.on('close', () => this.sockets.delete(socket));
			});
		}
	}

	get settings(): SimulatorSettings {
		return this.state.settings;
	}

	set settings(settings: SimulatorSettings) {
		this.state.settings = settings;
	}

	get origin(): string {
		return this.state.origin;
	}

	get baseUrl(): string {
		return this.state.baseUrl;
	}

	get port(): number {
		return (this.server.address() as AddressInfo).port;
	}

	async listen(port: number, host: string, otherPort = 0): Promise<void> {
		for (const [server, wanted] of [
			[this.server, port],
			[this.otherServer, otherPort],
		] as const) {
			await new Promise<void>((resolve, reject) => {
				server.once('error', reject);
				server.listen(wanted, host, () => {
					server.off('error', reject);
					resolve();
				});
			});
		}
		this.state.origin = `http://${host}:${this.port}`;
		this.otherHost.setOrigin(`http://${host}:${(this.otherServer.address() as AddressInfo).port}`);
	}

	now(): number {
		return this.state.now();
	}

	advanceClock(ms: number): void {
		this.state.clockOffset += ms;
		finishDueJobs(this.state);
	}

	reset(): void {
		this.state.reset();
	}

	profiles(): SimProfile[] {
		return profileViews(this.state);
	}

	jobs(): SimJob[] {
		return jobViews(this.state);
	}

	/** Queues a fault for the next callback (callbackFaults.ts); returns how many it will affect. */
	addCallbackFault(spec: CallbackFaultSpec): number {
		return this.state.callbackFaults.add(spec);
	}

	/** Every POST of a callback so far, oldest first (docs/simulator.md, "Callbacks"). */
	callbacks(): CallbackRecord[] {
		return this.state.callbackRecords.map((record) => ({ ...record }));
	}

	/** Credits charged to `apiKey` so far. */
	spentBy(apiKey: string): number {
		return this.state.spent.get(apiKey) ?? 0;
	}

	async close(): Promise<void> {
		this.state.clearTimers();
		this.state.stopCallbacks();
		for (const socket of this.sockets) socket.destroy();
		await Promise.all(
			[this.server, this.otherServer].map(
				async (server) => await new Promise<void>((resolve) => server.close(() => resolve())),
			),
		);
	}

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', 'http://simulator');
		const query = Object.fromEntries(url.searchParams.entries());
		const rawBody = await readBody(req);

		if (url.pathname.startsWith('/__sim/')) {
			send(res, adminReply(this, req.method ?? 'GET', url.pathname, rawBody));
			return;
		}
		if (!url.pathname.startsWith(API_PREFIX)) {
			send(res, { status: 404, body: { detail: 'Not Found' } }, { req, settings: this.settings });
			return;
		}

		const { route, params } = normaliseRoute(
			req.method ?? 'GET',
			url.pathname.slice(API_PREFIX.length),
		);
		await this.pipeline(req, res, url, rawBody, 'api', route, (requestId, apiKey) =>
			routeApiRequest(this.state, { req, route, params, query, rawBody, apiKey, requestId }),
		);
	}

	/** The other host: signed downloads go through the pipeline, anything else gets a plain 200. */
	private async handleOther(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', 'http://simulator');
		const query = Object.fromEntries(url.searchParams.entries());
		const rawBody = await readBody(req);
		const apiKey = headerValue(req.headers['x-api-key']);
		this.otherHost.requests.push({
			method: req.method ?? 'GET',
			path: url.pathname,
			query,
			apiKeyPresent: apiKey !== undefined,
			apiKeyValid: apiKey !== undefined && this.settings.apiKeys.includes(apiKey),
			headers: redactHeaders(req.headers),
		});
		const file = req.method === 'GET' ? /^\/files\/([^/]+)$/.exec(url.pathname) : null;
		if (file) {
			const name = decodeURIComponent(file[1]);
			await this.pipeline(req, res, url, rawBody, 'other', 'GET /files/:name', async () =>
				serveFile(this.state, name, query, 'other'),
			);
			return;
		}
		send(res, { status: 200, body: { ok: true, host: 'other' } }, { req, settings: this.settings });
	}

	/** Logs the request, applies faults before and after processing, and sends the answer. */
	private async pipeline(
		req: IncomingMessage,
		res: ServerResponse,
		url: URL,
		rawBody: Buffer,
		host: 'api' | 'other',
		route: string,
		run: (requestId: string, apiKey: string | undefined) => Promise<Reply>,
	): Promise<void> {
		const seq = ++this.state.seq;
		const requestId = `req_${seq.toString().padStart(6, '0')}`;
		const apiKey = headerValue(req.headers['x-api-key']);
		const entry: LoggedRequest = {
			seq,
			method: req.method ?? 'GET',
			host,
			path: url.pathname,
			route,
			query: Object.fromEntries(url.searchParams.entries()),
			body: parseJson(rawBody),
			bodyBytes: rawBody.length,
			apiKeyValid: apiKey !== undefined && this.settings.apiKeys.includes(apiKey),
			headers: redactHeaders(req.headers),
			status: 0,
			startedAt: Date.now(),
			endedAt: 0,
			processed: false,
		};
		this.log.started(route);
		let finished = false;
		res.on('close', () => {
			if (!finished && !res.writableFinished) entry.clientClosedAt = Date.now();
		});
		const finish = (status: number, fault?: string) => {
			if (finished) return;
			finished = true;
			entry.status = status;
			entry.endedAt = Date.now();
			if (fault) entry.fault = fault;
			this.log.finished(entry);
		};
		const context: FaultContext = {
			req,
			res,
			requestId,
			origin: host === 'api' ? this.origin : this.otherHost.baseUrl,
			finish,
		};

		const before = this.faults.take(route, false);
		if (before && (await applyFault(this.state, before, context))) return;

		let reply: Reply;
		try {
			reply = await run(requestId, apiKey);
		} catch (error) {
			reply =
				error instanceof HttpError
					? error.reply
					: apiError(500, requestId, 'INTERNAL', String(error));
		}

		entry.processed = reply.status < 400;
		reply.headers = { ...reply.headers, 'X-Request-Id': requestId };
		if (IMAGE_ROUTES.has(route)) reply.headers['X-Phota-Deprecation-Date'] = DEPRECATION_DATE;
		if (
			reply.status >= 400 &&
			reply.body &&
			typeof reply.body === 'object' &&
			!Array.isArray(reply.body)
		) {
			(reply.body as Record<string, unknown>).request_id ??= requestId;
		}
		const after = this.faults.take(route, true);
		if (after && (await applyFault(this.state, after, context, reply))) return;
		send(res, reply, { req, settings: this.settings });
		finish(reply.status);
	}
}

export async function startSimulator(options: StartOptions = {}): Promise<PhotaSimulator> {
	const { port = 0, host = '127.0.0.1', otherPort = 0, ...overrides } = options;
	const simulator = new PhotaSimulator({ ...defaultSettings(), ...overrides });
	await simulator.listen(port, host, otherPort);
	return simulator;
}
