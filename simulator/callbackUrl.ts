/** Which callback_url an image request may name (settings.requireHttpsCallback, httpCallbacksOnLoopback). */
import type { SimulatorSettings } from './settings';

/**
 * Hosts where plain http:// cannot cross a network, as the node's credential has them: `localhost`
 * and loopback addresses. Not `*.localhost`: such a name may be resolved elsewhere.
 */
function isLoopback(hostname: string): boolean {
	return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** https://; or any URL when https is not required; or with httpCallbacksOnLoopback, http:// to this machine. */
export function callbackUrlAllowed(settings: SimulatorSettings, url: string): boolean {
	if (!settings.requireHttpsCallback || url.startsWith('https://')) return true;
	if (!settings.httpCallbacksOnLoopback || !URL.canParse(url)) return false;
	const { protocol, hostname } = new URL(url);
	return protocol === 'http:' && isLoopback(hostname);
}
