/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
	},
	testTimeout: 30_000,
	// Workflow tests start servers and run real HTTP; two workers suit the 2-core CI machine.
	maxWorkers: 2,
	watchman: false,
	// API-key leak check over everything the suite ran (test/harness/leakCheck.ts).
	globalSetup: '<rootDir>/test/harness/globalSetup.ts',
	globalTeardown: '<rootDir>/test/harness/globalTeardown.ts',
};
