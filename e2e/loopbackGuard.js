// @ts-check
/**
 * Preloaded into n8n by the end-to-end tests (`NODE_OPTIONS=--require <this file>`, see
 * guardLoopback in e2e/n8nCli.ts): every TCP connection n8n opens must go to this machine. Any
 * other destination (and any DNS lookup of a name that is not localhost) is written, one line each,
 * to the file named by PHOTA_E2E_NETWORK_LOG and refused, so a test can assert that nothing left
 * the machine. Unix sockets and pipes are allowed.
 */
'use strict';
const dns = require('node:dns');
const { appendFileSync } = require('node:fs');
const net = require('node:net');

const logFile = process.env.PHOTA_E2E_NETWORK_LOG;

/** @param {unknown} host */
function isLoopback(host) {
	if (typeof host !== 'string' || host === '') return true; // Node's default is localhost
	const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
	return (
		bare === 'localhost' ||
		bare === '::1' ||
		/^127\.\d+\.\d+\.\d+$/.test(bare) ||
		/^::ffff:127\.\d+\.\d+\.\d+$/.test(bare)
	);
}

/** @param {string} what */
function record(what) {
	if (logFile) appendFileSync(logFile, `${new Date().toISOString()} pid ${process.pid} ${what}\n`);
}

/** The destination of a Socket#connect call, whichever of its forms was used. */
function destination(/** @type {unknown[]} */ args) {
	let first = args[0];
	// net.connect() passes its already normalised [options, callback] array.
	if (Array.isArray(first)) first = first[0];
	if (first && typeof first === 'object') {
		const options = /** @type {{ path?: string, host?: string, port?: unknown }} */ (first);
		if (options.path) return undefined;
		return { host: options.host ?? 'localhost', port: options.port };
	}
	if (typeof first === 'string' && !/^\d+$/.test(first)) return undefined; // a pipe path
	return { host: typeof args[1] === 'string' ? args[1] : 'localhost', port: first };
}

const connect = net.Socket.prototype.connect;
/** @this {import('node:net').Socket} */
net.Socket.prototype.connect = /** @type {any} */ (
	function (/** @type {unknown[]} */ ...args) {
		const target = destination(args);
		if (target && !isLoopback(target.host)) {
			record(`connect ${target.host}:${String(target.port)}`);
			process.nextTick(() =>
				this.destroy(
					new Error(`e2e loopback guard: no connection to ${target.host}:${String(target.port)}`),
				),
			);
			return this;
		}
		return connect.apply(this, /** @type {any} */ (args));
	}
);

const lookup = dns.lookup;
dns.lookup = /** @type {any} */ (
	function (/** @type {string} */ hostname, /** @type {unknown[]} */ ...rest) {
		if (!isLoopback(hostname)) record(`dns.lookup ${hostname}`);
		return lookup.call(dns, hostname, .../** @type {[any]} */ (rest));
	}
);
