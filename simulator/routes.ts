/** API routing: authentication, rate limit, body and latency, then the route's handler. */
import type { IncomingMessage } from 'node:http';

import { rateLimited } from './billing';
import type { Call, Reply } from './http';
import type { DrawnImages } from './imageEndpoints';
import { drawImagesAhead, imageRequest, serveFile } from './imageEndpoints';
import { getJob } from './jobs';
import {
	addProfile,
	deleteProfile,
	listProfiles,
	profilePicture,
	profileStatusReply,
} from './profiles';
import type { LatencyRange, SimulatorSettings } from './settings';
import type { SimState } from './state';
import { readJsonObject } from './validation';

/** A request on the API host, its route normalised (`GET /profiles/:id/status`) and its id given. */
export interface ApiRequest {
	req: IncomingMessage;
	route: string;
	params: string[];
	query: Record<string, string>;
	rawBody: Buffer;
	apiKey: string | undefined;
	requestId: string;
}

const IMAGE_ENDPOINTS = new Map(
	['edit', 'generate', 'enhance', 'remix'].map((endpoint) => [`POST /${endpoint}`, endpoint]),
);

export async function routeApiRequest(state: SimState, request: ApiRequest): Promise<Reply> {
	const arrivedAt = Date.now();
	const { req, route, params, query, rawBody, apiKey, requestId } = request;
	if (route === 'GET /files/:name') return serveFile(state, params[0], query, 'api');

	// §10: authentication comes first, so a bad key is never answered with 429.
	if (apiKey === undefined || apiKey === '') {
		return { status: state.settings.missingKeyStatus, body: { detail: 'Not authenticated' } };
	}
	if (!state.settings.apiKeys.includes(apiKey)) {
		return {
			status: 401,
			body: { detail: 'Missing or invalid API key in the X-API-Key header.' },
		};
	}

	const limited = rateLimited(state, requestId);
	if (limited) return limited;

	const body = req.method === 'POST' ? readJsonObject(req, rawBody) : {};
	const imageEndpoint = IMAGE_ENDPOINTS.get(route);
	const configured = configuredLatency(state.settings, route);
	const latency = configured === undefined ? undefined : drawLatency(state, route, configured);
	// An async request is answered at once: its latency becomes the job's running phase (jobs.ts).
	const asyncJob = imageEndpoint !== undefined && body.async === true;
	let drawnAhead: DrawnImages | undefined;
	if (latency !== undefined && latency > 0 && !asyncJob) {
		// The latency is the time to the answer: Phota makes the images within it, and so does the
		// simulator (drawing them after it would add a millisecond or more to every answer).
		if (imageEndpoint) drawnAhead = drawImagesAhead(state, { body, requestId }, imageEndpoint);
		await state.sleep(Math.max(0, arrivedAt + latency - Date.now()));
	}

	const call: Call = { route, params, query, body, apiKey, requestId };
	switch (route) {
		case 'GET /profiles/ids':
			return listProfiles(state, call);
		case 'POST /profiles/add':
			return addProfile(state, call);
		case 'GET /profiles/:id/status':
			return profileStatusReply(state, call);
		case 'GET /profiles/:id/profile_picture':
			return profilePicture(state, call);
		case 'DELETE /profiles/:id':
			return deleteProfile(state, call);
		case 'POST /edit':
		case 'POST /generate':
		case 'POST /enhance':
		case 'POST /remix':
			return imageRequest(state, call, route.slice(6), latency, drawnAhead);
		case 'GET /jobs/:id':
			return getJob(state, call);
		case 'GET /webhook-secret':
			return { status: 200, body: { secret: state.settings.webhookSecret } };
		default:
			return { status: 404, body: { detail: 'Not Found' } };
	}
}

/** A route's latency setting: its own entry, or the one figure for all routes when above 0. */
function configuredLatency(
	settings: SimulatorSettings,
	route: string,
): number | LatencyRange | undefined {
	if (typeof settings.latencyMs === 'number')
		return settings.latencyMs > 0 ? settings.latencyMs : undefined;
	return settings.latencyMs[route];
}

/** The golden ratio's fractional part: its multiples spread over [0, 1) as evenly as any sequence. */
const GOLDEN_FRACTION = (Math.sqrt(5) - 1) / 2;

/** A route's latency setting as this request's time: a fixed figure, or drawn from a range. */
export function drawLatency(
	state: SimState,
	route: string,
	latency: number | LatencyRange,
): number {
	if (typeof latency === 'number') return latency;
	let fraction = Math.random();
	if (latency.spread === 'even') {
		const draw = state.evenDraws.get(route) ?? 0;
		state.evenDraws.set(route, draw + 1);
		fraction = (0.5 + draw * GOLDEN_FRACTION) % 1;
	}
	return latency.min + fraction * (latency.max - latency.min);
}
