/**
 * `npm run mutants`: a mutation pass over the transport and the request limiter. Each mutant removes
 * or weakens one check in the source, the package is built, and the suites that guard the transport
 * run until the first failure. A mutant that no test kills is a check nothing proves: the pass
 * prints it and exits 1. The source is restored after each mutant (and on Ctrl-C).
 *
 * `--only <pattern>` runs the mutants whose label matches the regular expression; `--check` only
 * checks that every mutant applies and compiles (seconds each), for whoever edits the list. Takes about a minute per mutant.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const TRANSPORT = 'nodes/Phota/transport';

interface Mutant {
	label: string;
	file: string;
	/** Exact source text to replace; it must occur exactly once. */
	find: string;
	replace: string;
}

const MUTANTS: Mutant[] = [
	{
		label: 'limiter: a 429 does not lower the limit',
		file: `${TRANSPORT}/limiter.ts`,
		find: 'this.limit = Math.max(1, this.limit - 1);',
		replace: '',
	},
	{
		label: 'limiter: admits one request over the limit',
		file: `${TRANSPORT}/limiter.ts`,
		find: 'while (this.active < this.limit && this.waiting.length > 0)',
		replace: 'while (this.active <= this.limit && this.waiting.length > 0)',
	},
	{
		label: 'limiter: never refuses once the run is lost',
		file: `${TRANSPORT}/limiter.ts`,
		find: 'if (this.lost.signal.aborted) return false;',
		replace: '',
	},
	{
		label: 'limiter: refuses only items that sent nothing (resends after a 429 go on)',
		file: `${TRANSPORT}/limiter.ts`,
		find: 'if (!paid && !firstOfItem) return true;',
		replace: 'if (!(paid && false) && !firstOfItem) return true;',
	},
	{
		label: 'limiter: steps up on successes that did not test the limit',
		file: `${TRANSPORT}/limiter.ts`,
		find: 'if (!limitFullyUsed || this.limit >= this.ceiling) return;',
		replace: 'if ((!limitFullyUsed && false) || this.limit >= this.ceiling) return;',
	},
	{
		label: 'limiter: no step up at all',
		file: `${TRANSPORT}/limiter.ts`,
		find: '\t\tthis.limit += 1;\n',
		replace: '\n',
	},
	{
		label: 'retry loop: no rate-limit budget',
		file: `${TRANSPORT}/retryLoop.ts`,
		find: 'if (this.rateLimitedWaitMs <= this.policy.rateLimitBudgetMs) return delay;',
		replace: 'if (this.rateLimitedWaitMs >= 0) return delay;',
	},
	{
		label: 'retry loop: one retry more than Max Retries',
		file: `${TRANSPORT}/retryLoop.ts`,
		find: 'this.retries < this.policy.maxRetries && mayResend(failure, this.safety)',
		replace: 'this.retries <= this.policy.maxRetries && mayResend(failure, this.safety)',
	},
	{
		label: 'retry loop: resends whatever the billing safety',
		file: `${TRANSPORT}/retryLoop.ts`,
		find: 'this.retries < this.policy.maxRetries && mayResend(failure, this.safety)',
		// `this.safety &&` keeps the field read (an unread private field does not compile).
		replace:
			"this.retries < this.policy.maxRetries && mayResend(failure, this.safety && 'idempotent')",
	},
	{
		label: 'retry loop: forgets that an earlier attempt may have run',
		file: `${TRANSPORT}/retryLoop.ts`,
		find: 'request.notFoundOnResendMeansDone === true && !certainlyNotProcessed(result.failure);',
		replace:
			'request.notFoundOnResendMeansDone === true && !certainlyNotProcessed(result.failure) && false;',
	},
	{
		label: 'retry loop: the bill forgets that an earlier attempt may have run',
		file: `${TRANSPORT}/retryLoop.ts`,
		find: "earlierMayHaveRun ||= billed.kind !== 'notBilled';",
		replace: '',
	},
	{
		label: 'retry loop: a 429 is reported to the limiter as a success',
		file: `${TRANSPORT}/retryLoop.ts`,
		find: 'permit?.release(outcome, rateLimitWaitMs);',
		replace: "permit?.release(outcome === 'rateLimited' ? 'ok' : outcome, rateLimitWaitMs);",
	},
	{
		label: 'retry loop: the wait before a resend ignores Stop',
		file: `${TRANSPORT}/retryLoop.ts`,
		find: 'await sleepUnlessCancelled(delay, cancelSignal, paid ? bounds.lostRun?.signal : undefined);',
		replace:
			'await sleepUnlessCancelled(delay, undefined, paid ? bounds.lostRun?.signal : undefined);',
	},
	{
		label: 'retry loop: a lost run does not end the wait before a resend',
		file: `${TRANSPORT}/retryLoop.ts`,
		find: 'await sleepUnlessCancelled(delay, cancelSignal, paid ? bounds.lostRun?.signal : undefined);',
		replace: 'await sleepUnlessCancelled(delay, cancelSignal, undefined);',
	},
	{
		label: 'retry policy: a bare 503 counts as not processed',
		file: `${TRANSPORT}/retryPolicy.ts`,
		find: 'if (failure.status === 503) return failure.retryAfterHeader !== undefined;',
		replace: 'if (failure.status === 503) return true;',
	},
	{
		label: 'retry policy: a paid 504 is resent',
		file: `${TRANSPORT}/retryPolicy.ts`,
		find: "if (failure.status === 504 && safety !== 'idempotent') return false;",
		replace: '',
	},
	{
		label: 'retry policy: a reset connection counts as never sent',
		file: `${TRANSPORT}/retryPolicy.ts`,
		find: "const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);",
		replace:
			"const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET']);",
	},
	{
		label: 'retry policy: Retry-After: 0 resends at once',
		file: `${TRANSPORT}/retryPolicy.ts`,
		find: 'return Math.round(Math.max(MIN_RATE_LIMIT_DELAY_MS, delay));',
		replace: 'return Math.round(Math.max(MIN_RATE_LIMIT_DELAY_MS * 0, delay));',
	},
	{
		label: 'retry policy: a Retry-After past the longest backoff is waited out anyway',
		file: `${TRANSPORT}/retryPolicy.ts`,
		find: 'if (serverDelay > policy.maxDelayMs) return undefined;',
		replace: '',
	},
	{
		label: 'deadline: the request is not aborted',
		file: `${TRANSPORT}/attempt.ts`,
		find: 'withCancelSignal(this, deadline.signal),',
		replace: 'withCancelSignal(this, new AbortController().signal),',
	},
	{
		label: 'deadline: a body stream is not destroyed',
		file: `${TRANSPORT}/attempt.ts`,
		find: 'for (const stream of this.streams) stream.destroy(error);',
		replace: '',
	},
	{
		label: 'deadline: fails before the aborted request has ended',
		file: `${TRANSPORT}/attempt.ts`,
		find: 'void settledWithin(ended, ABORT_GRACE_MS).then(() => reject(error)),',
		replace: 'void settledWithin(ended, ABORT_GRACE_MS * 0).then(() => reject(error)),',
	},
	{
		label: 'redirects: followed to another origin',
		file: `${TRANSPORT}/attempt.ts`,
		find: "if (next === undefined || next.origin !== origin) return 'otherOrigin';",
		replace: "if (next === undefined || (next.origin !== origin && false)) return 'otherOrigin';",
	},
	{
		label: 'redirects: no limit on hops',
		file: `${TRANSPORT}/attempt.ts`,
		find: "if (hop >= MAX_SAME_ORIGIN_REDIRECTS) return 'tooManyHops';",
		replace: "if (hop >= MAX_SAME_ORIGIN_REDIRECTS && hop < 0) return 'tooManyHops';",
	},
	{
		label: 'redirects: a POST follows a 302',
		file: `${TRANSPORT}/attempt.ts`,
		find: "if (status !== 307 && status !== 308 && method !== 'GET') return 'changesMethod';",
		replace: "if (status !== 307 && status !== 308 && method === 'never') return 'changesMethod';",
	},
	{
		label: 'base URL: plain http to any host',
		file: `${TRANSPORT}/credential.ts`,
		find: "if (url.protocol === 'http:' && !isLoopback(url.hostname)) {",
		replace: "if (url.protocol === 'http:' && !isLoopback(url.hostname) && url.port === 'none') {",
	},
];

const SUITES = [
	'test/unit/limiter.test.ts',
	'test/unit/retryPolicy.test.ts',
	'test/unit/timers.test.ts',
	'test/unit/credentialBaseUrl.test.ts',
	'test/unit/attemptDeadline.test.ts',
	'test/hardening.test.ts',
	'test/phota.errors.test.ts',
	'test/faults.test.ts',
	'test/waitForProfileReady.test.ts',
	'test/billing.test.ts',
];

function run(command: string, args: string[]): number {
	return spawnSync(command, args, { cwd: ROOT, stdio: 'ignore' }).status ?? 1;
}

function main(): void {
	const onlyAt = process.argv.indexOf('--only');
	const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
	const checkOnly = process.argv.includes('--check');
	const mutants = MUTANTS.filter((mutant) => !only || new RegExp(only).test(mutant.label));
	const originals = new Map<string, string>();
	const restore = () => {
		for (const [file, text] of originals) writeFileSync(path.join(ROOT, file), text);
	};
	process.on('SIGINT', () => {
		restore();
		process.exit(130);
	});

	console.log(
		`mutants: ${mutants.length}, against ${SUITES.length} suites (stops at the first failure)`,
	);
	if (run('npx', ['tsc', '-p', 'tsconfig.build.json']) !== 0)
		throw new Error('the unmutated build fails');
	if (!checkOnly && run('npx', ['jest', ...SUITES]) !== 0)
		throw new Error('the suites fail without any mutant');
	const survivors: string[] = [];
	const invalid: string[] = [];
	for (const mutant of mutants) {
		const file = path.join(ROOT, mutant.file);
		const original = readFileSync(file, 'utf8');
		originals.set(mutant.file, original);
		if (original.split(mutant.find).length !== 2)
			throw new Error(`"${mutant.label}": its text is not in ${mutant.file} exactly once`);
		writeFileSync(file, original.replace(mutant.find, mutant.replace));
		const started = Date.now();
		try {
			// A mutant that does not compile proves nothing: it is a mistake in this list.
			const built = run('npx', ['tsc', '-p', 'tsconfig.build.json']) === 0;
			const killed = built && !checkOnly && run('npx', ['jest', '--bail', ...SUITES]) !== 0;
			if (!built) invalid.push(mutant.label);
			else if (!killed && !checkOnly) survivors.push(mutant.label);
			const seconds = Math.round((Date.now() - started) / 1000);
			const verdict = !built
				? 'INVALID '
				: checkOnly
					? 'compiles'
					: killed
						? 'killed  '
						: 'SURVIVED';
			console.log(`${verdict} ${mutant.label} (${seconds} s${built ? '' : ', does not compile'})`);
		} finally {
			writeFileSync(file, original);
		}
	}
	run('npx', ['tsc', '-p', 'tsconfig.build.json']);
	const killedCount = mutants.length - survivors.length - invalid.length;
	if (checkOnly) console.log(`${killedCount} of ${mutants.length} mutants compile`);
	else console.log(`${killedCount} of ${mutants.length} mutants killed`);
	if (survivors.length) console.log(`survived: ${survivors.join('; ')}`);
	if (invalid.length) console.log(`do not compile (fix the mutant): ${invalid.join('; ')}`);
	if (survivors.length || invalid.length) process.exitCode = 1;
}

main();
