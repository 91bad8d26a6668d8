/** End-to-end suite: real n8n, installed in this folder, against the local Phota simulator. */
module.exports = {
	rootDir: '..',
	testEnvironment: 'node',
	roots: ['<rootDir>/e2e'],
	testMatch: ['**/*.test.ts'],
	transform: {
		'^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
	},
	modulePathIgnorePatterns: ['<rootDir>/e2e/node_modules', '<rootDir>/e2e/compat/.*/node_modules'],
	testTimeout: 300_000,
	maxWorkers: 1,
	watchman: false,
};
