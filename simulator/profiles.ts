/** The /profiles endpoints: profiles that train through their phases on the simulated clock. */
import { randomBytes } from 'node:crypto';

import { charge } from './billing';
import type { Call, Reply } from './http';
import { httpError } from './http';
import { makeJpeg } from './images';
import type { TrainingOutcome } from './settings';
import type { SimProfile, SimState, StoredProfile } from './state';
import { validateNewProfile } from './validation';

/** Every profile with its status now (sim.profiles()). */
export function profileViews(state: SimState): SimProfile[] {
	return [...state.profileStore.values()].map((profile) => ({
		...profile,
		status: profileStatus(state, profile),
	}));
}

export function profileStatus(state: SimState, profile: StoredProfile): string {
	const elapsed = state.now() - profile.createdAt;
	const { validating, queuing, inProgress } = profile.phasesMs;
	if (elapsed < validating) return 'VALIDATING';
	if (elapsed < validating + queuing) return 'QUEUING';
	if (elapsed < validating + queuing + inProgress) return 'IN_PROGRESS';
	return profile.outcome;
}

/** GET /profiles/ids */
export function listProfiles(state: SimState, call: Call): Reply {
	const tag = call.query.tag;
	const profiles = profileViews(state).filter(
		(profile) => profile.apiKey === call.apiKey && (tag === undefined || profile.tag === tag),
	);
	return {
		status: 200,
		body: {
			profiles: profiles.map((profile) =>
				state.settings.listFormat === 'objects'
					? { profile_id: profile.id, status: profile.status, tag: profile.tag ?? null }
					: profile.id,
			),
		},
	};
}

/** POST /profiles/add */
export function addProfile(state: SimState, call: Call): Reply {
	const { body } = call;
	const { imageUrls, tier } = validateNewProfile(body, call.requestId);
	charge(state, call, state.settings.prices.perProfile);

	const index = state.profileCount++;
	const plan =
		state.settings.profilePlan?.({
			index,
			imageUrls,
			tag: body.tag as string | undefined,
			tier,
		}) ?? {};
	const markerOutcome: TrainingOutcome | undefined = imageUrls.some((url) =>
		url.includes('train-error'),
	)
		? 'ERROR'
		: imageUrls.some((url) => url.includes('train-inactive'))
			? 'INACTIVE'
			: undefined;
	const outcome = plan.outcome ?? markerOutcome ?? 'READY';
	const id = `prof_${randomBytes(6).toString('hex')}`;
	state.profileStore.set(id, {
		id,
		tag: (body.tag as string | undefined) ?? undefined,
		tier,
		imageUrls,
		createdAt: state.now(),
		phasesMs: { ...state.settings.trainingPhasesMs, ...plan.phasesMs },
		outcome,
		message:
			plan.message ??
			(outcome === 'ERROR'
				? 'Training failed: the faces in the photos did not match one person.'
				: ''),
		apiKey: call.apiKey,
	});
	return { status: 200, body: { profile_id: id } };
}

/** The profile the route names, if the caller's key owns it; 404 otherwise. */
function ownProfile(state: SimState, call: Call): StoredProfile {
	const profile = state.profileStore.get(call.params[0]);
	if (!profile || profile.apiKey !== call.apiKey) {
		throw httpError(404, call.requestId, 'NOT_FOUND', `Profile ${call.params[0]} not found.`);
	}
	return profile;
}

/** GET /profiles/:id/status */
export function profileStatusReply(state: SimState, call: Call): Reply {
	const profile = ownProfile(state, call);
	const status = profileStatus(state, profile);
	const body: Record<string, unknown> = { profile_id: profile.id, status };
	if (status === 'ERROR' || status === 'INACTIVE')
		body.message = profile.message || 'Profile is inactive.';
	else if (state.settings.statusMessage === 'text') body.message = '';
	else if (state.settings.statusMessage === 'null') body.message = null;
	return { status: 200, body };
}

/** GET /profiles/:id/profile_picture */
export function profilePicture(state: SimState, call: Call): Reply {
	const profile = ownProfile(state, call);
	// ASSUMPTION (§9.16): settings.pictureBeforeReady.
	if (
		state.settings.pictureBeforeReady === 'reject404' &&
		profileStatus(state, profile) !== 'READY'
	)
		throw httpError(
			404,
			call.requestId,
			'NOT_FOUND',
			`Profile ${profile.id} has no picture before it is READY.`,
		);
	return { status: 200, raw: makeJpeg(profile.id), contentType: 'image/jpeg' };
}

/** DELETE /profiles/:id */
export function deleteProfile(state: SimState, call: Call): Reply {
	const profile = ownProfile(state, call);
	state.profileStore.delete(profile.id);
	return { status: 200, body: { profile_id: profile.id, status: 'ok' } };
}
