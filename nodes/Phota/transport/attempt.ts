import { armTimer, linkAbort, sleepUnlessCancelled } from './sleep';

/** A response body n8n hands over as a stream (`encoding: 'stream'`). */
export interface BodyStream extends AsyncIterable<unknown> {
	destroy(error?: Error): unknown;
}

export function isBodyStream(body: unknown): body is BodyStream {
	return (
		!!body &&
		typeof body === 'object' &&
		Symbol.asyncIterator in body &&
		'destroy' in body &&
		typeof body.destroy === 'function'
	);
}

/** Raised when one attempt took longer than its bound; the code makes it a timeout for the retry policy. */
export class AttemptTimeoutError extends Error {
	readonly code = 'ETIMEDOUT';

	constructor(timeoutMs: number) {
		super(`no complete answer within ${Math.round(timeoutMs / 100) / 10} s`);
	}
}

/** How long a timed-out attempt's request may take to end after it was aborted. */
const ABORT_GRACE_MS = 2_000;

/**
 * A wall-clock bound on one attempt, headers and body together. n8n's `timeout` only ends an idle
 * socket, and without redirects followed not even a stalled body; so when the bound passes, the
 * request is aborted through {@link signal} (which also follows the execution's Stop) and any body
 * stream still open is destroyed. The attempt fails only once its request has ended, so a timed-out
 * request never stays out while its slot under Parallel Requests goes to another.
 */
export class AttemptDeadline {
	private fired = false;
	private readonly streams = new Set<BodyStream>();
	private rejectRace: (error: Error) => void = () => {};
	private readonly passed: Promise<never>;
	private readonly disarm: () => void;
	private readonly abort = new AbortController();
	private readonly unlinkCancel: () => void;

	constructor(
		private readonly timeoutMs: number,
		cancelSignal?: AbortSignal,
	) {
		this.passed = new Promise<never>((_resolve, reject) => {
			this.rejectRace = reject;
		});
		this.passed.catch(() => {});
		this.unlinkCancel = linkAbort(cancelSignal, this.abort);
		this.disarm = armTimer(timeoutMs, () => this.fire());
	}

	/** Aborted when the bound passes or the execution is stopped: the attempt's HTTP request takes it. */
	get signal(): AbortSignal {
		return this.abort.signal;
	}

	/**
	 * Settles with `work`, or fails once the deadline passes and `work` (its request aborted) has
	 * ended; a late answer's body is discarded.
	 */
	async race<T>(work: Promise<T>): Promise<T> {
		const ended = work.then(
			(late) => {
				if (this.fired) discardBody(late);
			},
			() => {},
		);
		const passedAndEnded = new Promise<never>((_resolve, reject) => {
			this.passed.catch(
				(error: unknown) => void settledWithin(ended, ABORT_GRACE_MS).then(() => reject(error)),
			);
		});
		// Aborted by the deadline, the request fails with the abort's error: the deadline's is the one told.
		const answered = work.then(
			(value) => value,
			async (error: unknown) => await (this.fired ? passedAndEnded : Promise.reject(error)),
		);
		return await Promise.race([answered, passedAndEnded]);
	}

	/** Destroys `stream` if it is still being read when the deadline passes. */
	watch(stream: unknown): void {
		if (!isBodyStream(stream)) return;
		if (this.fired) stream.destroy(new AttemptTimeoutError(this.timeoutMs));
		else this.streams.add(stream);
	}

	end(): void {
		this.disarm();
		this.unlinkCancel();
		this.streams.clear();
	}

	private fire(): void {
		this.fired = true;
		const error = new AttemptTimeoutError(this.timeoutMs);
		// The streams first: a body already being read then fails with this error, not the abort's.
		for (const stream of this.streams) stream.destroy(error);
		this.abort.abort(error);
		this.rejectRace(error);
	}
}

/** Waits for `work` to settle, at most `ms`. */
async function settledWithin(work: Promise<void>, ms: number): Promise<void> {
	const timer = new AbortController();
	await Promise.race([work, sleepUnlessCancelled(ms, timer.signal).catch(() => {})]);
	timer.abort();
}

/** Frees the connection behind a response whose body nobody will read. */
export function discardBody(response: unknown): void {
	if (typeof response !== 'object' || response === null || !('body' in response)) return;
	if (isBodyStream(response.body)) response.body.destroy();
}

/** Reads a whole body stream into one Buffer, failing once it grows past `limitBytes`. */
export async function readAll(body: unknown, limitBytes: number): Promise<Buffer> {
	if (!isBodyStream(body)) return toBuffer(body);
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of body) {
		const buffer = toBuffer(chunk);
		size += buffer.length;
		if (size > limitBytes) {
			body.destroy();
			throw new Error(`the answer is larger than ${Math.round(limitBytes / 1048576)} MB`);
		}
		chunks.push(buffer);
	}
	return Buffer.concat(chunks);
}

/** The first `limitBytes` of a body (error answers are quoted, never held whole). */
export async function readHead(body: unknown, limitBytes: number): Promise<Buffer> {
	if (!isBodyStream(body)) return toBuffer(body).subarray(0, limitBytes);
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of body) {
		const buffer = toBuffer(chunk);
		chunks.push(buffer);
		size += buffer.length;
		if (size >= limitBytes) {
			body.destroy();
			break;
		}
	}
	return Buffer.concat(chunks).subarray(0, limitBytes);
}

/** A body or one chunk of it as a Buffer; a Uint8Array or ArrayBuffer is wrapped, not copied. */
export function toBuffer(body: unknown): Buffer {
	if (Buffer.isBuffer(body)) return body;
	if (typeof body === 'string') return Buffer.from(body, 'utf8');
	if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
	if (body instanceof ArrayBuffer) return Buffer.from(body);
	if (body === undefined || body === null) return Buffer.alloc(0);
	return Buffer.from(JSON.stringify(body));
}
