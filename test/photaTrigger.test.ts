/**
 * The Phota Trigger, built, in n8n-core's webhook context (harness/webhook.ts): Phota's callback
 * as the HTTP request, the node's HTTP answer, and the items it starts the workflow with, run
 * through n8n's WorkflowExecute into the next node. Jobs, download URLs and the webhook secret come
 * from the simulator; callbacks are signed here the way the node assumes Phota signs them.
 */
import { createHmac } from 'node:crypto';

import type { ICredentialDataDecryptedObject, INode, INodeExecutionData } from 'n8n-workflow';
import { CredentialTestContext } from 'n8n-core';

import { TEST_API_KEY, usePhotaEnvironment } from './harness/environment';
import { recordKeys } from './harness/leakCheck';
import type { RunResult } from './harness/n8n';
import { TEST_LOG_GLOBAL } from './harness/testLogGlobal';
import type { WebhookCall, WebhookRequest } from './harness/webhook';
import {
	NO_PROFILES,
	chain,
	passThroughNode,
	photaCredentials,
	photaTriggerNode,
} from './harness/workflow';
import { makeJpeg, makePng, sniffImage } from '../simulator';

/** Each rotation test reads the secret with a key of its own: the node keeps secrets per key. */
const ROTATION_KEY = 'phota-rotation-key-51c0';
const SHARED_READ_KEY = 'phota-shared-read-key-7b2d';
const UNAVAILABLE_KEY = 'phota-unavailable-key-0a6e';
const TYPED_SECRET = 'whsec_typed_in_by_the_user_4e1f';

const env = usePhotaEnvironment({
	simulator: { apiKeys: [TEST_API_KEY, ROTATION_KEY, SHARED_READ_KEY, UNAVAILABLE_KEY] },
});

let jobCount = 0;

function sign(rawBody: Buffer, secret: string): string {
	return createHmac('sha256', secret).update(rawBody).digest('hex');
}

/** A callback as Phota sends it: the document's JSON, signed with `secret` (the simulator's). */
function signed(
	document: unknown,
	options: { secret?: string; signature?: string; contentType?: string } = {},
): WebhookRequest {
	const rawBody = Buffer.isBuffer(document) ? document : Buffer.from(JSON.stringify(document));
	const secret = options.secret ?? env.sim.settings.webhookSecret;
	return {
		rawBody,
		headers: {
			'content-type': options.contentType ?? 'application/json',
			'x-phota-signature': options.signature ?? sign(rawBody, secret),
		},
	};
}

function apiCredentials(apiKey = TEST_API_KEY): Record<string, ICredentialDataDecryptedObject> {
	return photaCredentials(env.sim.baseUrl, apiKey);
}

/** A job document of this test's own (a job id no other test uses). */
function jobDocument(fields: Record<string, unknown> = {}): Record<string, unknown> {
	return {
		job_id: `job_test_${++jobCount}`,
		status: 'succeeded',
		client_request_id: `n8n-test-${jobCount}`,
		result: { images: [makePng(`img-${jobCount}`).toString('base64')], download_urls: [] },
		error: null,
		...fields,
	};
}

interface Delivery {
	call: WebhookCall;
	run?: RunResult;
	/** What the trigger started the workflow with, as the next node received it. */
	items: INodeExecutionData[];
}

/**
 * One callback to `node`; when the node starts an execution, its items run through n8n's
 * WorkflowExecute into a next node, so their binaries are read back from n8n's binary store.
 */
async function deliver(
	node: INode,
	request: WebhookRequest,
	credentials = apiCredentials(),
): Promise<Delivery> {
	const call = await env.n8n.webhook(node, request, credentials);
	expect(call.thrown).toBeUndefined();
	const workflowData = call.result?.workflowData;
	if (!workflowData) return { call, items: [] };
	const run = await env.n8n.run(chain(node, passThroughNode()), {
		credentials,
		startData: workflowData,
	});
	expect(run.status).toBe('success');
	return { call, run, items: run.output('Next') };
}

function logLines(): string[] {
	return (globalThis as unknown as Record<string, string[]>)[TEST_LOG_GLOBAL] ?? [];
}

function warnings(): string[] {
	return logLines().filter((line) => line.startsWith('warn:'));
}

function secretReads(): number {
	return env.sim.log.count('GET /webhook-secret');
}

/** GET /jobs/{job_id} as the simulator answers it, with the client_request_id a callback adds. */
interface FinishedJob {
	job_id: string;
	status: string;
	client_request_id: unknown;
	result: { download_urls: string[] } | null;
	error: unknown;
}

/** Submits an async Generate through the Phota node and returns the finished job's document. */
async function finishedJob(prompt: string, profileIds: string[] = []): Promise<FinishedJob> {
	const submitted = await env.runPhota([{ json: { profile_ids: profileIds } }], {
		resource: 'image',
		operation: 'generate',
		prompt,
		...(profileIds.length ? {} : { profiles: NO_PROFILES }),
		options: { async: true, numberOfImages: 2, outputFormat: 'jpg' },
	});
	expect(submitted.error).toBeUndefined();
	const [handle] = submitted.output('Phota');
	env.sim.advanceClock(120_000);
	const answer = await fetch(`${env.sim.baseUrl}/jobs/${String(handle.json.job_id)}`, {
		headers: { 'x-api-key': TEST_API_KEY },
	});
	expect(answer.status).toBe(200);
	// The callback also names the client_request_id the job was submitted with.
	const document = (await answer.json()) as Omit<FinishedJob, 'client_request_id'>;
	return { ...document, client_request_id: handle.json.client_request_id };
}

async function bytesOf(item: INodeExecutionData, property = 'data'): Promise<Buffer> {
	return await env.n8n.binaryBuffer(item.binary![property]);
}

function expectRefused(call: WebhookCall, status: number, reason: RegExp): void {
	expect(call.answer.status).toBe(status);
	expect(call.answeredBy).toBe('node');
	expect(call.startsExecution).toBe(false);
	expect(call.result).toEqual({ noWebhookResponse: true });
	// Exactly one log line per refusal, naming the reason.
	expect(warnings()).toHaveLength(1);
	expect(warnings()[0]).toMatch(reason);
}

describe('Phota Trigger: a finished job starts the workflow', () => {
	test('succeeded, two download URLs: 200 at once, one item per image with its binary, profile_ids and delivery_key', async () => {
		const [profileId] = await env.readyProfiles(1, 'ada');
		const document = await finishedJob('Portrait of [[profile]]', [profileId]);
		expect(document.status).toBe('succeeded');
		env.sim.log.clear();
		// Downloads take a while: the answer must not wait for them.
		env.sim.faults.add({ route: 'GET /files/:name', kind: 'delay', delayMs: 300, times: 2 });

		const { call, items } = await deliver(photaTriggerNode(), signed(document));

		expect(call.answer).toMatchObject({ status: 200, body: { received: true, started: true } });
		expect(call.answeredBy).toBe('node');
		const downloads = env.sim.log.forRoute('GET /files/:name');
		expect(downloads).toHaveLength(2);
		expect(call.answer.sentAt).toBeLessThanOrEqual(downloads[0].startedAt);
		expect(call.returnedAt - call.answer.sentAt).toBeGreaterThanOrEqual(500);
		expect(call.result?.noWebhookResponse).toBe(true);

		expect(items).toHaveLength(2);
		for (const [index, item] of items.entries()) {
			expect(item.json).toEqual({
				operation: 'job',
				job_id: document.job_id,
				status: 'succeeded',
				status_recognised: true,
				client_request_id: document.client_request_id,
				profile_ids: [profileId],
				known_subjects: { [profileId]: 2 },
				image_number: index + 1,
				images_in_request: 2,
				download_url: document.result!.download_urls[index],
				file_name: `phota-${document.job_id}-${index + 1}.jpg`,
				mime_type: 'image/jpeg',
				delivery_key: `${document.job_id}:succeeded`,
			});
			expect(item.binary?.data).toMatchObject({ mimeType: 'image/jpeg', fileExtension: 'jpg' });
			// Inline, not in n8n's store: a webhook's stored files are lost (outputItems.ts says why).
			expect(item.binary?.data.id).toBeUndefined();
			expect(sniffImage(await bytesOf(item))).toBe('jpeg');
		}
		// The signed download URLs got no API key (the environment checks the other host too).
		expect(downloads.every((entry) => !entry.apiKeyValid)).toBe(true);
		expect(warnings()).toEqual([]);
	});

	test('Download Images off: the URLs only, no binary; a named output field is used for binaries', async () => {
		const document = await finishedJob('A lighthouse at dusk');
		env.sim.log.clear();
		const urlsOnly = await deliver(
			photaTriggerNode({ options: { download: false } }),
			signed(document),
		);
		expect(env.sim.log.count('GET /files/:name')).toBe(0);
		expect(urlsOnly.items.map((item) => item.json.download_url)).toEqual(
			document.result!.download_urls,
		);
		expect(urlsOnly.items.every((item) => item.binary === undefined)).toBe(true);
		expect(urlsOnly.items[0].json).not.toHaveProperty('file_name');

		const named = await deliver(
			photaTriggerNode({ options: { binaryPropertyOutput: 'image' } }),
			signed(document),
		);
		expect(named.items).toHaveLength(2);
		expect(Object.keys(named.items[0].binary ?? {})).toEqual(['image']);
		expect(sniffImage(await bytesOf(named.items[0], 'image'))).toBe('jpeg');
	});

	test('a download that fails keeps its item, with download_error: a paid result is never dropped', async () => {
		const document = await finishedJob('A lighthouse at dusk');
		env.sim.faults.add({ route: 'GET /files/:name', kind: 'status', status: 404, times: 1 });
		// The second image is cut off midway every time it is resent: no truncated file.
		env.sim.faults.add({
			route: 'GET /files/:name',
			kind: 'cut',
			afterProcessing: true,
			times: 4,
		});

		const { call, items } = await deliver(photaTriggerNode(), signed(document));

		expect(call.answer.status).toBe(200);
		expect(items).toHaveLength(2);
		expect(items[0].json).toMatchObject({
			image_number: 1,
			download_url: document.result!.download_urls[0],
			download_error: expect.stringMatching(/\(404\)/),
		});
		expect(items[0].json).not.toHaveProperty('file_name');
		expect(items[0].binary).toBeUndefined();
		expect(items[1].json).toMatchObject({
			image_number: 2,
			download_error: expect.stringMatching(/cut off/),
		});
		expect(items[1].binary).toBeUndefined();
		// The 404 once; the cut-off download once and then 3 resends (the default Max Retries).
		expect(env.sim.log.count('GET /files/:name')).toBe(5);
		// Both URLs stay usable for 24 hours: a later node can fetch them again.
		const again = await fetch(document.result!.download_urls[1]);
		expect(sniffImage(Buffer.from(await again.arrayBuffer()))).toBe('jpeg');
	});

	test('failed: one item with error { code, detail } and profile_ids []', async () => {
		const [profileId] = await env.readyProfiles(1, 'ada');
		const document = await finishedJob('Portrait of [[profile]] __JOB_FAIL__', [profileId]);
		expect(document.status).toBe('failed');

		const { call, items } = await deliver(photaTriggerNode(), signed(document));

		expect(call.answer.status).toBe(200);
		expect(items).toHaveLength(1);
		expect(items[0].json).toEqual({
			job_id: document.job_id,
			status: 'failed',
			status_recognised: true,
			client_request_id: document.client_request_id,
			profile_ids: [],
			known_subjects: {},
			error: { code: 'GENERATION_FAILED', detail: 'The image could not be generated.' },
			delivery_key: `${document.job_id}:failed`,
		});
		expect(items[0].binary).toBeUndefined();

		// Even when a failed job's document names the people it was for.
		const withSubjects = jobDocument({
			status: 'failed',
			result: { known_subjects: { counts: { [profileId]: 1 } } },
			error: { code: 'GENERATION_FAILED', detail: 'no' },
		});
		const second = await deliver(photaTriggerNode(), signed(withSubjects));
		expect(second.items[0].json).toMatchObject({ profile_ids: [], known_subjects: {} });
	});

	test('base64 images in the callback become binaries, typed by their bytes', async () => {
		const document = jobDocument({
			result: {
				images: [makePng('a').toString('base64'), makeJpeg('b').toString('base64')],
				download_urls: [],
				known_subjects: { counts: { prof_a: 1, prof_b: 2 } },
			},
		});
		const { items } = await deliver(photaTriggerNode(), signed(document));

		expect(items.map((item) => item.json.mime_type)).toEqual(['image/png', 'image/jpeg']);
		expect(items.map((item) => item.json.file_name)).toEqual([
			`phota-${String(document.job_id)}-1.png`,
			`phota-${String(document.job_id)}-2.jpg`,
		]);
		expect(items[0].json).toMatchObject({
			profile_ids: ['prof_a', 'prof_b'],
			known_subjects: { prof_a: 1, prof_b: 2 },
			images_in_request: 2,
		});
		expect(items[0].json).not.toHaveProperty('download_url');
		expect(await bytesOf(items[0])).toEqual(makePng('a'));
		expect(await bytesOf(items[1])).toEqual(makeJpeg('b'));
	});

	test('a status the node does not know starts the workflow, marked status_recognised: false', async () => {
		const document = jobDocument({ status: 'Archived', error: { code: 'X', detail: 'y' } });
		const { items } = await deliver(photaTriggerNode(), signed(document));
		expect(items).toHaveLength(1);
		expect(items[0].json).toMatchObject({
			status: 'Archived',
			status_recognised: false,
			error: { code: 'X', detail: 'y' },
			delivery_key: `${String(document.job_id)}:Archived`,
		});
		expect(items[0].binary?.data.mimeType).toBe('image/png');
	});

	test.each(['queued', 'running'])('%s: answered 200, no execution', async (status) => {
		const { call } = await deliver(
			photaTriggerNode(),
			signed(jobDocument({ status, result: null })),
		);
		expect(call.answer).toMatchObject({
			status: 200,
			body: { received: true, started: false, reason: 'the job is not finished' },
		});
		expect(call.startsExecution).toBe(false);
		expect(warnings()).toEqual([]);
	});
});

describe('Phota Trigger: deliveries that are refused start nothing', () => {
	test('a tampered body: 401', async () => {
		const request = signed(jobDocument());
		const tampered = Buffer.from(request.rawBody.toString().replace('succeeded', 'succeedeD'));
		const { call } = await deliver(photaTriggerNode(), { ...request, rawBody: tampered });
		expectRefused(
			call,
			401,
			/refused a callback \(HTTP 401\): the x-phota-signature header does not match/,
		);
		expect(call.answer.body).toEqual({ error: 'unauthorized' });
	});

	test('no signature: 401, without asking Phota for the secret', async () => {
		const request = signed(jobDocument());
		delete request.headers!['x-phota-signature'];
		const { call } = await deliver(photaTriggerNode(), request);
		expectRefused(call, 401, /\(HTTP 401\): no x-phota-signature header /);
		expect(secretReads()).toBe(0);
	});

	test('signed with another secret: 401; a sha256= prefix is accepted', async () => {
		const wrong = await deliver(
			photaTriggerNode(),
			signed(jobDocument(), { secret: 'whsec_not_the_account_secret' }),
		);
		expectRefused(wrong.call, 401, /does not match the webhook secret/);

		// A digest of the wrong length is refused before the constant-time comparison.
		logLines().length = 0;
		const short = await deliver(photaTriggerNode(), signed(jobDocument(), { signature: 'abcd' }));
		expectRefused(short.call, 401, /does not match the webhook secret/);

		const request = signed(jobDocument());
		request.headers!['x-phota-signature'] = `sha256=${request.headers!['x-phota-signature']}`;
		const prefixed = await deliver(photaTriggerNode(), request);
		expect(prefixed.call.answer.status).toBe(200);
	});

	test('the signature covers the bytes as sent, not the body as n8n parsed it', async () => {
		const pretty = Buffer.from(JSON.stringify(jobDocument(), null, 2).replace('{', '{ '));
		const { call } = await deliver(photaTriggerNode(), signed(pretty));
		expect(call.answer.status).toBe(200);
		expect(call.startsExecution).toBe(true);
	});

	test('signed, but not JSON: 400; not a job document: 400', async () => {
		const notJson = await deliver(
			photaTriggerNode(),
			signed(Buffer.from('job finished!'), { contentType: 'text/plain' }),
		);
		expectRefused(notJson.call, 400, /\(HTTP 400\): the body is not JSON /);
		expect(notJson.call.answer.body).toEqual({
			error: 'bad request',
			detail: 'the body is not JSON',
		});

		for (const document of [[1, 2], { job_id: 'job_x' }, { job_id: 7, status: 'succeeded' }]) {
			logLines().length = 0;
			const { call } = await deliver(photaTriggerNode(), signed(document));
			expectRefused(call, 400, /\(HTTP 400\): the body is not a Phota job document /);
		}
	});

	test("a body that claims JSON and is not gets n8n's own 422 before the node runs", async () => {
		const { call } = await deliver(photaTriggerNode(), signed(Buffer.from('{"job_id": ')));
		expect(call).toMatchObject({ answeredBy: 'n8n', startsExecution: false });
		expect(call.answer.status).toBe(422);
		expect(secretReads()).toBe(0);
	});

	test('the secret cannot be read from Phota: 503, and the next delivery reads it again', async () => {
		env.sim.faults.add({ route: 'GET /webhook-secret', kind: 'status', status: 500, times: 1 });
		// A key of its own: the secret of TEST_API_KEY may already be kept from another test.
		const credentials = apiCredentials(UNAVAILABLE_KEY);
		const request = signed(jobDocument());
		const failed = await deliver(photaTriggerNode(), request, credentials);
		expectRefused(
			failed.call,
			503,
			/the webhook secret could not be read: GET \/webhook-secret: Phota had an internal error \(500\)/,
		);

		const retried = await deliver(photaTriggerNode(), request, credentials);
		expect(retried.call.answer.status).toBe(200);
		expect(secretReads()).toBe(2);
	});
});

describe('Phota Trigger: repeated and concurrent deliveries', () => {
	test('the same delivery again starts no second execution; another status of the job does', async () => {
		const node = photaTriggerNode();
		const document = jobDocument();
		const first = await deliver(node, signed(document));
		expect(first.items).toHaveLength(1);

		const again = await deliver(node, signed(document));
		expect(again.call.answer).toMatchObject({
			status: 200,
			body: { received: true, started: false, reason: 'repeated delivery' },
		});
		expect(again.call.startsExecution).toBe(false);
		expect(warnings()).toEqual([]);

		const laterStatus = await deliver(node, signed({ ...document, status: 'archived' }));
		expect(laterStatus.call.startsExecution).toBe(true);
		// Another Phota Trigger (another node or workflow) has its own memory.
		const otherNode = await deliver(photaTriggerNode(), signed(document));
		expect(otherNode.call.startsExecution).toBe(true);
	});

	test('two identical deliveries at the same time: exactly one execution', async () => {
		const node = photaTriggerNode();
		const request = signed(jobDocument());
		const calls = await Promise.all([
			env.n8n.webhook(node, request, apiCredentials()),
			env.n8n.webhook(node, request, apiCredentials()),
		]);
		expect(calls.map((call) => call.answer.status)).toEqual([200, 200]);
		expect(calls.filter((call) => call.startsExecution)).toHaveLength(1);
	});
});

describe('Phota Trigger: the webhook secret', () => {
	test('rotated: read again once and accepted; another bad signature soon after reads nothing', async () => {
		const credentials = apiCredentials(ROTATION_KEY);
		const node = photaTriggerNode();
		expect((await deliver(node, signed(jobDocument()), credentials)).call.answer.status).toBe(200);
		const readsBefore = secretReads();

		env.sim.settings.webhookSecret = 'whsec_rotated_secret_8d3a';
		recordKeys([env.sim.settings.webhookSecret]);
		const rotated = await deliver(node, signed(jobDocument()), credentials);
		expect(rotated.call.answer.status).toBe(200);
		expect(rotated.items).toHaveLength(1);
		expect(secretReads()).toBe(readsBefore + 1);

		const garbage = await deliver(
			node,
			signed(jobDocument(), { signature: 'ab'.repeat(32) }),
			credentials,
		);
		expectRefused(
			garbage.call,
			401,
			/not read again from Phota: the last re-read was less than 30 s ago/,
		);
		expect(secretReads()).toBe(readsBefore + 1);

		// Half a minute later a mismatch may read it again (once).
		const realNow = Date.now;
		const later = realNow() + 31_000;
		const clock = jest.spyOn(Date, 'now').mockImplementation(() => later);
		try {
			logLines().length = 0;
			const again = await deliver(
				node,
				signed(jobDocument(), { signature: 'cd'.repeat(32) }),
				credentials,
			);
			expectRefused(again.call, 401, /nor the secret just read again from Phota/);
			expect(secretReads()).toBe(readsBefore + 2);
		} finally {
			clock.mockRestore();
		}
	});

	test('deliveries that fail to match at the same time share one read', async () => {
		const credentials = apiCredentials(SHARED_READ_KEY);
		const node = photaTriggerNode();
		expect((await deliver(node, signed(jobDocument()), credentials)).call.answer.status).toBe(200);
		env.sim.settings.webhookSecret = 'whsec_rotated_secret_2f90';
		recordKeys([env.sim.settings.webhookSecret]);
		env.sim.faults.add({ route: 'GET /webhook-secret', kind: 'delay', delayMs: 200 });

		const calls = await Promise.all(
			[1, 2, 3].map(async () => await env.n8n.webhook(node, signed(jobDocument()), credentials)),
		);
		expect(calls.map((call) => call.answer.status)).toEqual([200, 200, 200]);
		expect(secretReads()).toBe(2);
	});

	test('typed into a Phota Webhook Secret credential: checked against it, Phota never asked', async () => {
		const node = photaTriggerNode({ secretSource: 'secretCredential' });
		const credentials = { photaWebhookSecretApi: { secret: TYPED_SECRET } };

		const accepted = await deliver(
			node,
			signed(jobDocument(), { secret: TYPED_SECRET }),
			credentials,
		);
		expect(accepted.call.answer.status).toBe(200);
		expect(accepted.items).toHaveLength(1);

		const refused = await deliver(node, signed(jobDocument()), credentials);
		expectRefused(refused.call, 401, /does not match the webhook secret /);
		expect(secretReads()).toBe(0);

		const empty = await env.n8n.webhook(node, signed(jobDocument()), {
			photaWebhookSecretApi: { secret: ' ' },
		});
		expect(empty.answer.status).toBe(503);
	});

	test("the Phota Webhook Secret credential's test checks what it can", async () => {
		const type = env.n8n.types.getByNameAndVersion('n8n-nodes-phota.photaTrigger', 1);
		const test = type.methods?.credentialTest?.photaWebhookSecretTest;
		expect(type.description.credentials?.[1]).toMatchObject({
			name: 'photaWebhookSecretApi',
			testedBy: 'photaWebhookSecretTest',
		});
		const run = async (secret: string) =>
			await test!.call(new CredentialTestContext(), {
				id: '1',
				name: 'secret',
				type: 'photaWebhookSecretApi',
				data: { secret },
			});
		expect(await run(TYPED_SECRET)).toMatchObject({ status: 'OK' });
		expect(await run('')).toEqual({ status: 'Error', message: 'Enter the webhook secret' });
		expect((await run('whsec_a b')).status).toBe('Error');
	});

	test('no answer, output, log line or error holds the secret, the signature or the API key', async () => {
		const secret = env.sim.settings.webhookSecret;
		const node = photaTriggerNode();
		const good = signed(jobDocument());
		const deliveries = [
			await deliver(node, good),
			await deliver(node, signed(jobDocument(), { secret: 'whsec_wrong_one_1234' })),
			await deliver(node, { ...good, rawBody: Buffer.concat([good.rawBody, Buffer.from(' ')]) }),
			await deliver(node, signed(Buffer.from('nope'), { contentType: 'text/plain' })),
			await deliver(node, signed([1])),
		];
		const text = JSON.stringify([deliveries, logLines()]);
		for (const hidden of [secret, TEST_API_KEY, good.headers!['x-phota-signature']]) {
			expect(text).not.toContain(hidden);
		}
		expect(warnings()).toHaveLength(4);
		recordKeys([secret, TYPED_SECRET]);
	});
});
