/** Settings both projects share. */
const shared = {
	testEnvironment: 'node',
	testMatch: ['**/*.test.ts'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
	},
};

/** @type {import('jest').Config} */
module.exports = {
	testTimeout: 30_000,
	// Workflow tests start servers and run real HTTP; two workers suit the 2-core CI machine.
	maxWorkers: 2,
	watchman: false,
	projects: [
		{
			// The pure modules, straight from the TypeScript source: no build, no n8n, no servers.
			...shared,
			displayName: 'unit',
			roots: ['<rootDir>/test/unit'],
		},
		{
			// The built nodes in n8n's loader against the simulator (the `pretest` script builds).
			...shared,
			displayName: 'workflow',
			roots: ['<rootDir>/test'],
			testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/unit/'],
			// n8n's log lines are collected per test and printed only for a failed one, or all of them
			// as they come with PHOTA_TEST_LOG=1 (test/harness/testLog.ts).
			testEnvironment: '<rootDir>/test/harness/jestEnvironment.ts',
			// API-key leak check over everything these tests ran (test/harness/leakCheck.ts). Jest runs
			// a project's global setup and teardown only when one of its tests runs, so a run of the
			// unit tests alone (`npx jest test/unit`) has nothing to check and does not fail on that.
			globalSetup: '<rootDir>/test/harness/globalSetup.ts',
			globalTeardown: '<rootDir>/test/harness/globalTeardown.ts',
		},
	],
};
