export interface LoggedRequest {
	seq: number;
	method: string;
	/** Which listener received it: the API host, or the other host (signed download URLs). */
	host: 'api' | 'other';
	/** Path without the query string, e.g. `/v1/phota/profiles/ids` (other host: `/files/<name>`). */
	path: string;
	/** Normalised route without the /v1/phota prefix, e.g. `GET /profiles/:id/status`. */
	route: string;
	query: Record<string, string>;
	body: unknown;
	bodyBytes: number;
	/** Whether the X-API-Key was one of the simulator's keys. The key itself is never stored. */
	apiKeyValid: boolean;
	/** Request headers with x-api-key redacted. */
	headers: Record<string, string>;
	status: number;
	startedAt: number;
	endedAt: number;
	fault?: string;
	/** Whether the simulator did the work (created, charged, answered < 400), even if a fault then hid the answer. */
	processed: boolean;
	/** When the client closed the connection before the answer was sent (an aborted request). */
	clientClosedAt?: number;
}

/** Until when a request was really out: its answer, or the client closing the connection first. */
export function openUntil(entry: LoggedRequest): number {
	return Math.min(entry.endedAt, entry.clientClosedAt ?? Number.POSITIVE_INFINITY);
}

/** The most requests that were out at the same moment, counting each until {@link openUntil}. */
export function maxOpenAtOnce(entries: LoggedRequest[]): number {
	const edges = entries.flatMap((entry) => [
		{ at: entry.startedAt, step: 1 },
		{ at: openUntil(entry), step: -1 },
	]);
	// At the same instant a request that ends frees its place before one that starts takes it.
	edges.sort((a, b) => a.at - b.at || a.step - b.step);
	let open = 0;
	let peak = 0;
	for (const edge of edges) {
		open += edge.step;
		peak = Math.max(peak, open);
	}
	return peak;
}

export class RequestLog {
	readonly entries: LoggedRequest[] = [];

	/** Called for every finished request (the CLI prints them). */
	onEntry?: (entry: LoggedRequest) => void;

	private inFlight = new Map<string, number>();
	private inFlightTotal = 0;
	private peak = 0;
	private peakByRoute = new Map<string, number>();

	get maxInFlight(): number {
		return this.peak;
	}

	maxInFlightFor(route: string): number {
		return this.peakByRoute.get(route) ?? 0;
	}

	count(route?: string): number {
		return route === undefined ? this.entries.length : this.forRoute(route).length;
	}

	forRoute(route: string): LoggedRequest[] {
		return this.entries.filter((entry) => entry.route === route);
	}

	clear(): void {
		this.entries.length = 0;
		this.peak = this.inFlightTotal;
		this.peakByRoute.clear();
	}

	started(route: string): void {
		this.inFlightTotal += 1;
		const routeCount = (this.inFlight.get(route) ?? 0) + 1;
		this.inFlight.set(route, routeCount);
		this.peak = Math.max(this.peak, this.inFlightTotal);
		this.peakByRoute.set(route, Math.max(this.peakByRoute.get(route) ?? 0, routeCount));
	}

	finished(entry: LoggedRequest): void {
		this.inFlightTotal -= 1;
		this.inFlight.set(entry.route, (this.inFlight.get(entry.route) ?? 1) - 1);
		this.entries.push(entry);
		this.onEntry?.(entry);
	}

	get currentInFlight(): number {
		return this.inFlightTotal;
	}
}
