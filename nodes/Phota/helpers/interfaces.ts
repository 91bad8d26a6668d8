import type { IDataObject } from 'n8n-workflow';

export type ImageEndpoint = 'edit' | 'generate' | 'enhance' | 'remix';

export const PROFILE_STATUSES = [
	'VALIDATING',
	'QUEUING',
	'IN_PROGRESS',
	'READY',
	'ERROR',
	'INACTIVE',
] as const;
export type ProfileStatus = (typeof PROFILE_STATUSES)[number];

export interface ProfileStatusResponse {
	profile_id: string;
	status: ProfileStatus;
	message?: string | null;
}

/** `GET /profiles/ids` items: bare ids, or objects on API versions that return them. */
export type ProfileListEntry =
	| string
	| { profile_id: string; status?: string; tag?: string | null };

export interface ProfileListResponse {
	profiles: ProfileListEntry[];
}

export interface KnownSubjects {
	counts: Record<string, number>;
}

export interface ImageResponse {
	known_subjects?: KnownSubjects | null;
	/** Base64 in Phota's JSON; already decoded to Buffers when the response was streamed. */
	images?: Array<string | Buffer>;
	download_urls?: string[];
}

export interface JobHandle extends IDataObject {
	job_id: string;
	poll_url?: string;
}

export type JobStatus = string;

export interface JobDocument {
	job_id: string;
	status: JobStatus;
	result?: ImageResponse | null;
	error?: { code?: string; detail?: string } | null;
}
