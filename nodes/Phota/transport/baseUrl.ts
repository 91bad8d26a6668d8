export const DEFAULT_BASE_URL = 'https://api.photalabs.com/v1/phota';

/**
 * Hosts where plain http:// cannot cross a network: the local simulator. Only the names the
 * credential promises: `localhost` and loopback addresses. Not `*.localhost`: whether such a name
 * stays on this machine depends on the resolver, and a DNS search domain could send it elsewhere.
 */
function isLoopback(hostname: string): boolean {
	return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * The credential's Base URL, checked: an absolute https:// URL (plain http:// only on this machine,
 * for the simulator) with no user name, query or fragment. Returns the URL without trailing
 * slashes, or throws an Error whose message says what to change.
 */
export function checkedBaseUrl(raw: unknown): string {
	const text = (typeof raw === 'string' ? raw.trim() : '') || DEFAULT_BASE_URL;
	const url = URL.canParse(text) ? new URL(text) : undefined;
	if (!url) {
		throw new Error(
			`The Base URL "${text}" is not a URL. Use ${DEFAULT_BASE_URL}, or your proxy's address.`,
		);
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') {
		throw new Error(`The Base URL must start with https://, got "${url.protocol}//"`);
	}
	if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
		throw new Error(
			`The Base URL uses plain http:// to ${url.hostname}, which would send your API key unencrypted. Use https://; plain http:// is allowed only for this machine (localhost, 127.0.0.1, ::1), e.g. the local Phota simulator.`,
		);
	}
	if (url.username || url.password || url.search || url.hash) {
		throw new Error(
			'The Base URL must not contain a user name, password, query (?…) or fragment (#…)',
		);
	}
	return url.href.replace(/\/+$/, '');
}

/** The origin (scheme, host, port) the API key may be sent to. */
export function originOf(url: string): string {
	return new URL(url).origin;
}
