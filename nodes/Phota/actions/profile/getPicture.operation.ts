import { updateDisplayOptions } from 'n8n-workflow';

import { binaryPropertyOption, outputBinaryField, outputMimeType } from '../../helpers/binary';
import { PROFILE_NOT_FOUND_HINT } from '../../helpers/profileApi';
import type { PhotaResponse } from '../../transport';
import { photaApiRequest } from '../../transport';
import { perProfileOperation, perProfileProperties } from './shared';

const displayOptions = { show: { resource: ['profile'], operation: ['getPicture'] } };

export const description = updateDisplayOptions(
	displayOptions,
	perProfileProperties(
		"Gets a Phota profile's picture as a binary file: pass profile_id. A model cannot see binary files; the workflow gets it in this tool's run data.",
		[binaryPropertyOption],
	),
);

export const prepare = perProfileOperation(async function ({
	profileId,
	itemIndex,
	retryPolicy,
	options,
}) {
	const { body, headers } = (await photaApiRequest.call(this, {
		method: 'GET',
		endpoint: `/profiles/${encodeURIComponent(profileId)}/profile_picture`,
		encoding: 'arraybuffer',
		notFoundHint: PROFILE_NOT_FOUND_HINT,
		itemIndex,
		retryPolicy,
	})) as PhotaResponse<Buffer>;
	const data = Buffer.from(body);
	const mimeType = outputMimeType(data, headers['content-type'], 'image/jpeg');
	const extension = mimeType === 'image/png' ? 'png' : 'jpg';
	const binaryProperty = outputBinaryField(options);
	return {
		json: { profile_id: profileId, profile_ids: [profileId], mimeType, fileSize: data.length },
		binary: {
			[binaryProperty]: await this.helpers.prepareBinaryData(
				data,
				`phota-profile-${profileId}.${extension}`,
				mimeType,
			),
		},
	};
});
