/**
 * The job document Phota posts to a job's callback_url (ASSUMPTION, PHOTA_API.md §9.10: the shape
 * of GET /jobs/{job_id}, plus the client_request_id the job was submitted with).
 */
import type { IDataObject } from 'n8n-workflow';

import { KNOWN_JOB_STATUSES } from '../helpers/imageJobs';
import { isObject } from '../transport/errorWording';

export interface JobResult {
	images: string[];
	downloadUrls: string[];
	/** `known_subjects.counts`: how often each recognised profile appears in the images. */
	counts: Record<string, number>;
}

export interface JobDocument {
	jobId: string;
	/** A status the node knows, in lower case; any other as sent. */
	status: string;
	/** Whether the node knows the status (KNOWN_JOB_STATUSES). */
	recognised: boolean;
	clientRequestId: string | null;
	result: JobResult | null;
	/** As sent (an object, or null). */
	rawResult: IDataObject | null;
	error: { code: string | null; detail: string | null } | null;
}

export type ParsedBody =
	| { ok: true; document: JobDocument }
	| { ok: false; reason: 'the body is not JSON' | 'the body is not a Phota job document' };

function strings(value: unknown): string[] {
	return Array.isArray(value)
		? value.filter((entry): entry is string => typeof entry === 'string' && entry !== '')
		: [];
}

function countsOf(knownSubjects: unknown): Record<string, number> {
	const counts: Record<string, number> = {};
	if (!isObject(knownSubjects) || !isObject(knownSubjects.counts)) return counts;
	for (const [profileId, count] of Object.entries(knownSubjects.counts)) {
		if (typeof count === 'number') counts[profileId] = count;
	}
	return counts;
}

function resultOf(result: IDataObject): JobResult {
	return {
		images: strings(result.images),
		downloadUrls: strings(result.download_urls),
		counts: countsOf(result.known_subjects),
	};
}

function textOrNull(value: unknown): string | null {
	return typeof value === 'string' ? value : null;
}

/** The body as a job document, or why it is not one. Never throws. */
export function parseJobDocument(rawBody: Buffer): ParsedBody {
	let parsed: unknown;
	try {
		parsed = JSON.parse(rawBody.toString('utf8'));
	} catch {
		return { ok: false, reason: 'the body is not JSON' };
	}
	const notJob: ParsedBody = { ok: false, reason: 'the body is not a Phota job document' };
	if (!isObject(parsed)) return notJob;
	const { job_id: jobId, status, result, error } = parsed;
	if (typeof jobId !== 'string' || jobId.trim() === '') return notJob;
	if (typeof status !== 'string' || status.trim() === '') return notJob;
	if (result !== undefined && result !== null && !isObject(result)) return notJob;
	if (error !== undefined && error !== null && !isObject(error)) return notJob;
	const normalised = status.trim().toLowerCase();
	const recognised = KNOWN_JOB_STATUSES.includes(normalised);
	return {
		ok: true,
		document: {
			jobId,
			status: recognised ? normalised : status,
			recognised,
			clientRequestId: textOrNull(parsed.client_request_id),
			result: isObject(result) ? resultOf(result) : null,
			rawResult: isObject(result) ? result : null,
			error: isObject(error)
				? { code: textOrNull(error.code), detail: textOrNull(error.detail) }
				: null,
		},
	};
}
