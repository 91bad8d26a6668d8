/** Queue-mode suite (npm run test:queue): n8n main + 2 workers on Redis and PostgreSQL, against the simulator. */
module.exports = {
	rootDir: '..',
	testEnvironment: 'node',
	roots: ['<rootDir>/e2e'],
	testMatch: ['**/e2e/queue*.test.ts'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
	},
	modulePathIgnorePatterns: ['<rootDir>/e2e/node_modules', '<rootDir>/e2e/compat/.*/node_modules'],
	testTimeout: 600_000,
	maxWorkers: 1,
	watchman: false,
	globalSetup: '<rootDir>/e2e/globalSetup.ts',
	globalTeardown: '<rootDir>/e2e/globalTeardown.ts',
};
