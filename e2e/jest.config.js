/** End-to-end suite: real n8n, installed in this folder, against the local Phota simulator. */
module.exports = {
	rootDir: '..',
	testEnvironment: 'node',
	roots: ['<rootDir>/e2e'],
	testMatch: ['**/*.test.ts'],
	// The queue-mode suite has its own config (jest.queue.config.js, npm run test:queue).
	testPathIgnorePatterns: ['/node_modules/', '<rootDir>/e2e/queue'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
	},
	modulePathIgnorePatterns: ['<rootDir>/e2e/node_modules', '<rootDir>/e2e/compat/.*/node_modules'],
	testTimeout: 300_000,
	maxWorkers: 1,
	watchman: false,
	// Holds n8n's default ports 5678 and 5679 during the run: every n8n started must pick free ones.
	globalSetup: '<rootDir>/e2e/globalSetup.ts',
	globalTeardown: '<rootDir>/e2e/globalTeardown.ts',
};
