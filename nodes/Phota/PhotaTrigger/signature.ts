/**
 * How Phota signs a callback. Phota's documentation names only the header and "HMAC" (PHOTA_API.md
 * §3.4, unknowns §9.11): everything else here is an ASSUMPTION, kept in this one file so that it
 * can be changed in one place once the contract is published.
 */
import { createHmac, timingSafeEqual } from 'crypto';

/** The header that carries the signature (documented; Node lower-cases header names). */
export const SIGNATURE_HEADER = 'x-phota-signature';

/** ASSUMPTION: HMAC-SHA256 of the raw request body, keyed with the account's webhook secret. */
const ALGORITHM = 'sha256';

/** ASSUMPTION: the digest is sent as hex; a `sha256=` prefix (GitHub's style) is tolerated. */
const TOLERATED_PREFIX = 'sha256=';

/** The hex digest a header carries, or undefined when the header holds no hex digest at all. */
function digestOf(header: string): Buffer | undefined {
	let text = header.trim();
	if (text.toLowerCase().startsWith(TOLERATED_PREFIX)) text = text.slice(TOLERATED_PREFIX.length);
	if (!/^[0-9a-f]+$/i.test(text) || text.length % 2 !== 0) return undefined;
	return Buffer.from(text, 'hex');
}

/**
 * Whether `header` is the signature of `rawBody` under `secret`. Compared in constant time, on
 * buffers of equal length (a digest of the wrong length is refused before the comparison, which
 * reveals only that length, the algorithm's public output size).
 */
export function signatureMatches(rawBody: Buffer, header: string, secret: string): boolean {
	const given = digestOf(header);
	if (!given) return false;
	const expected = createHmac(ALGORITHM, secret).update(rawBody).digest();
	return given.length === expected.length && timingSafeEqual(given, expected);
}
