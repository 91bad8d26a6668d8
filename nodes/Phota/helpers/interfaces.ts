import type { IBinaryData, IDataObject } from 'n8n-workflow';

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
	/**
	 * Base64 in Phota's JSON; decoded to Buffers when the response was streamed, or already in
	 * n8n's binary store when the request stored each image as it was decoded.
	 */
	images?: Array<string | Buffer | StoredImage>;
	download_urls?: string[];
}

/** An output image in n8n's binary store, with the name and type it was stored under. */
export interface StoredImage {
	binary: IBinaryData;
	fileName: string;
	mimeType: string;
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
