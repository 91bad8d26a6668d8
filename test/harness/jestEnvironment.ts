/**
 * The workflow tests' Jest environment: Node's, plus the running test's n8n log lines (testLog.ts),
 * printed under the test's name when it fails and dropped when it passes.
 */
import type { Circus } from '@jest/types';
import { TestEnvironment } from 'jest-environment-node';

import { TEST_LOG_GLOBAL } from './testLogGlobal';

export default class PhotaTestEnvironment extends TestEnvironment {
	private readonly lines: string[] = [];

	constructor(...args: ConstructorParameters<typeof TestEnvironment>) {
		super(...args);
		this.global[TEST_LOG_GLOBAL] = this.lines;
	}

	handleTestEvent(event: Circus.Event): void {
		if (event.name === 'test_start') this.lines.length = 0;
		if (event.name === 'test_done' && event.test.errors.length > 0 && this.lines.length > 0) {
			const name = testPath(event.test).join(' › ');
			(this.global.console as Console).log(
				`n8n log of the failed test "${name}":\n${this.lines.join('\n')}`,
			);
		}
	}
}

/** The names of the test's describe blocks (not the file's root block) and its own. */
function testPath(test: Circus.TestEntry): string[] {
	const names = [test.name];
	for (
		let block: Circus.DescribeBlock | undefined = test.parent;
		block?.parent;
		block = block.parent
	)
		names.unshift(block.name);
	return names;
}
