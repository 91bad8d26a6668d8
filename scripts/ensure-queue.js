#!/usr/bin/env node
// @ts-check
// Makes sure the queue-mode suite (npm run test:queue) has Redis and PostgreSQL: Debian's
// `redis-server` and `postgresql` packages, installed with apt-get when missing (as root, or
// through sudo). Prints where it found them. `findQueueServices()` is what e2e/queueCluster.ts uses.
'use strict';
const { existsSync, readdirSync } = require('node:fs');
const path = require('node:path');

const { failUnlessInterrupted, handleInterrupts, run } = require('./lifecycle');

const LABEL = 'test:queue';

/** The newest PostgreSQL server binaries folder Debian's packages installed, if any. */
function postgresBinDir() {
	const root = '/usr/lib/postgresql';
	let versions = [];
	try {
		versions = readdirSync(root).filter((name) => /^\d+$/.test(name));
	} catch {
		return undefined;
	}
	const found = versions
		.sort((a, b) => Number(b) - Number(a))
		.map((version) => path.join(root, version, 'bin'))
		.find((dir) => existsSync(path.join(dir, 'postgres')) && existsSync(path.join(dir, 'initdb')));
	return found;
}

/** `redis-server` on the PATH or in Debian's place. */
function redisServer() {
	for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/sbin']) {
		if (dir && existsSync(path.join(dir, 'redis-server'))) return path.join(dir, 'redis-server');
	}
	return undefined;
}

/** @returns {{ redisServer?: string, postgresBin?: string }} */
function findQueueServices() {
	return { redisServer: redisServer(), postgresBin: postgresBinDir() };
}

/** @param {string[]} packages */
async function aptInstall(packages) {
	const root = typeof process.getuid === 'function' && process.getuid() === 0;
	const prefix = root ? [] : ['sudo'];
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	console.log(`${LABEL}: installing ${packages.join(' ')} with apt-get (Debian's packages)...`);
	const started = Date.now();
	const apt = async (/** @type {string[]} */ args) => {
		const [command, ...rest] = [
			...prefix,
			'env',
			'DEBIAN_FRONTEND=noninteractive',
			'apt-get',
			...args,
		];
		await run(command, rest, { env, timeout: 900_000 });
	};
	await apt(['update']);
	await apt(['install', '-y', '--no-install-recommends', ...packages]);
	console.log(`${LABEL}: installed in ${Math.round((Date.now() - started) / 1000)} s`);
}

async function ensureQueueServices() {
	let found = findQueueServices();
	/** @type {string[]} */
	const missing = [];
	if (!found.redisServer) missing.push('redis-server');
	if (!found.postgresBin) missing.push('postgresql');
	if (missing.length) {
		await aptInstall(missing);
		found = findQueueServices();
	}
	if (!found.redisServer || !found.postgresBin)
		throw new Error(`${LABEL}: ${missing.join(' and ')} still missing after apt-get install`);
	return found;
}

if (require.main === module) {
	handleInterrupts();
	ensureQueueServices().then(
		(found) =>
			console.log(`${LABEL}: redis-server ${found.redisServer}, PostgreSQL ${found.postgresBin}`),
		(error) => failUnlessInterrupted(`${LABEL}: ${error instanceof Error ? error.message : error}`),
	);
}

module.exports = { ensureQueueServices, findQueueServices };
