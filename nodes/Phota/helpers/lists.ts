/** Lists typed or mapped into one text box, and the URL checks every URL field shares. */
import { isLoopback } from '../transport/credential';

const HTTP_URL = /^https?:\/\/\S+$/i;
const HTTPS_URL = /^https:\/\/\S+$/i;

export function isHttpUrl(text: string): boolean {
	return HTTP_URL.test(text);
}

export function isHttpsUrl(text: string): boolean {
	return HTTPS_URL.test(text);
}

/**
 * A URL Phota may call back: https, or plain http to this machine (a local n8n receiving the local
 * simulator's callbacks), as for the credential's Base URL.
 */
export function isCallbackUrl(text: string): boolean {
	if (isHttpsUrl(text)) return true;
	return isHttpUrl(text) && URL.canParse(text) && isLoopback(new URL(text).hostname);
}

/** The entries of a text split at `separator`, trimmed, without empty ones. */
export function splitList(text: string, separator: string | RegExp = ','): string[] {
	return text
		.split(separator)
		.map((entry) => entry.trim())
		.filter(Boolean);
}

/**
 * URLs written in one text: separated by whitespace or new lines, or by commas that start a new
 * http(s) URL. A comma inside a URL (Cloudinary's `w_400,h_400`) stays part of it.
 */
export function splitUrls(text: string): string[] {
	return splitList(text, /\s+|,\s*(?=https?:\/\/)/i);
}
