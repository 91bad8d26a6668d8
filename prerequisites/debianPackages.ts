/**
 * The one way the test suites get what they need from the machine: Debian's packages, installed
 * with apt-get (as root, or through sudo) when missing, with one line saying what and why. Used for
 * Chromium (the editor test) and for Redis and PostgreSQL (the queue-mode suite).
 */
import { existsSync } from 'node:fs';

import { run } from '../processes';

export interface DebianNeed {
	/** The Debian package, e.g. "chromium". */
	package: string;
	/** Why the suite needs it, for the one line printed before installing ("the editor test's browser"). */
	why: string;
	/** Whether it is there already (then nothing is installed). */
	present(): boolean;
}

/** `apt-get update`, then `apt-get install` of `packages`, as root or through sudo. */
export async function aptInstall(packages: string[]): Promise<void> {
	const root = typeof process.getuid === 'function' && process.getuid() === 0;
	const prefix = root ? [] : ['sudo'];
	const onPath = (name: string) =>
		(process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(`${dir}/${name}`));
	if (!root && !onPath('sudo'))
		throw new Error(
			`installing ${packages.join(' ')} needs root or sudo; as root: apt-get install ${packages.join(' ')}`,
		);
	if (!onPath('apt-get'))
		throw new Error(`${packages.join(' ')} missing, and this is no Debian system (no apt-get)`);
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	const apt = async (args: string[]) => {
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
	// Another apt-get on the machine (a shared CI host, unattended upgrades) holds dpkg's lock: wait.
	await apt([
		'-o',
		'DPkg::Lock::Timeout=600',
		'install',
		'-y',
		'--no-install-recommends',
		...packages,
	]);
}

/**
 * Installs the needs that are missing, in one apt-get run; fails naming what is still missing.
 * `install` is for tests (default: apt-get).
 */
export async function ensureDebianPackages(
	label: string,
	needs: DebianNeed[],
	install: (packages: string[]) => Promise<void> = aptInstall,
): Promise<void> {
	const missing = needs.filter((need) => !need.present());
	if (!missing.length) return;
	const list = missing.map((need) => `${need.package} (${need.why})`).join(', ');
	console.log(`${label}: installing ${list} with apt-get from Debian's packages...`);
	const started = Date.now();
	await install(missing.map((need) => need.package));
	const still = missing.filter((need) => !need.present()).map((need) => need.package);
	if (still.length) throw new Error(`${still.join(' and ')} still missing after apt-get install`);
	console.log(`${label}: installed in ${Math.round((Date.now() - started) / 1000)} s`);
}
