/**
 * n8n's log during the workflow tests (the nodes' `this.logger.info` lines, n8n-core's warnings):
 * kept quiet. Each line is collected for the test that is running; jestEnvironment.ts prints a
 * test's lines when it fails. PHOTA_TEST_LOG=1 prints every line as it is logged instead, as does
 * a run outside that environment (the benchmarks). Every line also goes to the API-key leak check.
 */
import { Logger } from '@n8n/backend-common';
import { Container } from '@n8n/di';

import { recordArtifact } from './leakCheck';
import { TEST_LOG_GLOBAL } from './testLogGlobal';

const printTestLog = (): boolean => /^(1|true|yes)$/i.test(process.env.PHOTA_TEST_LOG ?? '');

/** The running test's lines; undefined outside jestEnvironment.ts (benchmarks, other configs). */
function testLogLines(): string[] | undefined {
	return (globalThis as unknown as Record<string, string[] | undefined>)[TEST_LOG_GLOBAL];
}

/**
 * Routes n8n's logger (the Logger every node's `this.logger` and LoggerProxy return) into
 * testLogLines, instead of its console transport.
 */
export function collectN8nLog(): void {
	const collector = {
		log(level: string, message: string, metadata: Record<string, unknown> = {}) {
			// The caller's file and function, which n8n's Logger adds, say nothing here.
			const { file: _file, function: _function, ...rest } = metadata;
			const details = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
			const line = `${level}: ${message}${details}`;
			recordArtifact('n8n log line', line);
			const lines = testLogLines();
			if (lines && !printTestLog()) lines.push(line);
			else console.log(line);
		},
		child() {
			return collector;
		},
	};
	// setInternalLogger is private in the typings; n8n's Logger writes through it, whoever holds it.
	const logger = Container.get(Logger) as unknown as { setInternalLogger(logger: unknown): void };
	logger.setInternalLogger(collector);
}
