/**
 * One callback from Phota, from the request to the HTTP answer and the workflow's items: the
 * signature is checked on the raw body, the body must be a job document, only a finished job's
 * first delivery starts the workflow, and the answer goes out before any image is downloaded.
 */
import type { IDataObject, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import { outputBinaryField } from '../helpers/settings';
import { messageOf } from '../transport/errorWording';
import { deliveryKeyOf, isFirstDelivery } from './deliveries';
import { UNFINISHED_JOB_STATUSES } from '../helpers/imageJobs';
import { parseJobDocument } from './jobDocument';
import { jobItems } from './outputItems';
import { signatureMatches, SIGNATURE_HEADER } from './signature';
import type { SecretSource, SecretSourceName } from './webhookSecret';
import { REREAD_INTERVAL_MS, secretSourceOf } from './webhookSecret';

/** The part of n8n's (Express) response object this node answers with. */
interface HttpResponse {
	status(code: number): { json(body: unknown): unknown };
}

type Verdict =
	| { kind: 'valid' }
	| { kind: 'mismatch'; note: string }
	| { kind: 'unavailable'; reason: string };

const UNAUTHORIZED = { error: 'unauthorized' };

/** Why the secret could not be read: the source's own words, which name no secret and no key. */
function reasonOf(error: unknown): string {
	return messageOf(error).slice(0, 300);
}

/** The header's value, when it is one non-empty string. */
function headerText(value: unknown): string | undefined {
	return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/**
 * Whether `signature` signs `rawBody`. A mismatch reads the secret again (at most once per
 * REREAD_INTERVAL_MS per account, shared by the deliveries that need it), so a rotated secret
 * works without restarting n8n.
 */
async function checkSignature(
	this: IWebhookFunctions,
	rawBody: Buffer,
	signature: string,
): Promise<Verdict> {
	const sourceName = this.getNodeParameter('secretSource', 'apiCredential') as SecretSourceName;
	let source: SecretSource;
	let secret: string;
	try {
		source = await secretSourceOf.call(this, sourceName);
		secret = await source.current();
	} catch (error) {
		return { kind: 'unavailable', reason: reasonOf(error) };
	}
	if (signatureMatches(rawBody, signature, secret)) return { kind: 'valid' };
	let fresher: string | undefined;
	try {
		fresher = await source.fresher(secret);
	} catch (error) {
		return { kind: 'mismatch', note: ` (reading the secret again failed: ${reasonOf(error)})` };
	}
	if (fresher !== undefined && signatureMatches(rawBody, signature, fresher)) {
		return { kind: 'valid' };
	}
	if (sourceName === 'secretCredential') return { kind: 'mismatch', note: '' };
	const note =
		fresher === undefined
			? ` (not read again from Phota: the last re-read was less than ${REREAD_INTERVAL_MS / 1000} s ago)`
			: ' (nor the secret just read again from Phota)';
	return { kind: 'mismatch', note };
}

export async function receiveCallback(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const response: HttpResponse = this.getResponseObject();
	const node = this.getNode();
	const scope = `${this.getWorkflow().id ?? ''}:${node.id}`;
	const answer = (status: number, body: IDataObject): IWebhookResponseData => {
		response.status(status).json(body);
		return { noWebhookResponse: true };
	};
	/** One log line per refused delivery: the reason, never the secret, signature or body. */
	const refuse = (status: number, reason: string, body: IDataObject): IWebhookResponseData => {
		this.logger.warn(`Phota Trigger refused a callback (HTTP ${status}): ${reason}`, {
			workflowId: this.getWorkflow().id,
			node: node.name,
		});
		return answer(status, body);
	};

	// n8n keeps the request's bytes as they came: the signature covers those, not a re-serialised body.
	const { rawBody } = this.getRequestObject();
	const raw = Buffer.isBuffer(rawBody) ? rawBody : Buffer.alloc(0);
	const signature = headerText(this.getHeaderData()[SIGNATURE_HEADER]);
	if (!signature) return refuse(401, `no ${SIGNATURE_HEADER} header`, UNAUTHORIZED);

	const verdict = await checkSignature.call(this, raw, signature);
	if (verdict.kind === 'unavailable') {
		const reason = `the webhook secret could not be read: ${verdict.reason}`;
		return refuse(503, reason, { error: 'the signature cannot be checked now' });
	}
	if (verdict.kind === 'mismatch') {
		const reason = `the ${SIGNATURE_HEADER} header does not match the webhook secret${verdict.note}`;
		return refuse(401, reason, UNAUTHORIZED);
	}

	const parsed = parseJobDocument(raw);
	if (!parsed.ok) {
		return refuse(400, parsed.reason, { error: 'bad request', detail: parsed.reason });
	}
	const { document } = parsed;
	if (UNFINISHED_JOB_STATUSES.includes(document.status)) {
		return answer(200, { received: true, started: false, reason: 'the job is not finished' });
	}

	// A repeated delivery (same job, same status) starts no second execution in this process. The
	// check and the record are one synchronous call, so two identical deliveries arriving together
	// cannot both pass. Across processes and restarts this cannot be reliable: the items carry
	// `delivery_key` for n8n's Remove Duplicates node (deliveries.ts says why).
	if (!isFirstDelivery(scope, deliveryKeyOf(document.jobId, document.status))) {
		this.logger.debug('Phota Trigger: a repeated callback started no execution', {
			workflowId: this.getWorkflow().id,
			node: node.name,
		});
		return answer(200, { received: true, started: false, reason: 'repeated delivery' });
	}

	// Phota is answered now; the images are downloaded after, while nothing waits on this request.
	answer(200, { received: true, started: true });
	const options = this.getNodeParameter('options', {}) as IDataObject;
	const items = await jobItems.call(this, document, {
		download: options.download !== false,
		binaryProperty: outputBinaryField(options),
	});
	return { noWebhookResponse: true, workflowData: [items] };
}
