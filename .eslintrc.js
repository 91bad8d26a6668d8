/**
 * Lint rules n8n applies to community node packages (eslint-plugin-n8n-nodes-base: community,
 * credentials and nodes sets), plus the globals and imports n8n's community-package scanner rejects.
 *
 * @type {import('@types/eslint').ESLint.ConfigData}
 */
const scannerRestrictions = {
	'no-restricted-globals': [
		'error',
		...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'process', 'global', 'globalThis', '__dirname', '__filename', 'require'].map(
			(name) => ({ name, message: 'Not available to verified community nodes: use n8n helpers (e.g. sleepWithAbort).' }),
		),
	],
	'no-restricted-imports': [
		'error',
		{
			patterns: [
				{
					group: ['node:*', 'fs', 'fs/*', 'child_process', 'worker_threads', 'http', 'https', 'net', 'os', 'path', 'axios', 'undici'],
					message: 'Community nodes may import only n8n-workflow and their own files; HTTP goes through this.helpers.',
				},
			],
		},
	],
};

module.exports = {
	root: true,
	env: { es2022: true, node: true },
	parser: '@typescript-eslint/parser',
	parserOptions: {
		project: ['./tsconfig.json'],
		sourceType: 'module',
		extraFileExtensions: ['.json'],
	},
	ignorePatterns: ['.eslintrc.js', '**/*.js', '**/node_modules/**', '**/dist/**', 'test/**', 'e2e/**'],
	overrides: [
		{
			files: ['package.json'],
			plugins: ['eslint-plugin-n8n-nodes-base'],
			extends: ['plugin:n8n-nodes-base/community'],
			rules: {
				'n8n-nodes-base/community-package-json-name-still-default': 'off',
			},
		},
		{
			files: ['./credentials/**/*.ts'],
			plugins: ['eslint-plugin-n8n-nodes-base'],
			extends: ['plugin:n8n-nodes-base/credentials'],
			rules: {
				...scannerRestrictions,
				// Applies to n8n's own docs slugs only; community credentials link to the vendor's docs.
				'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
			},
		},
		{
			files: ['./nodes/**/*.ts'],
			plugins: ['eslint-plugin-n8n-nodes-base'],
			extends: ['plugin:n8n-nodes-base/nodes'],
			rules: {
				...scannerRestrictions,
				// Off in n8n's scanner too: inputs/outputs are NodeConnectionTypes.Main, which its
				// community rules require; maxValue matches limits the API really has.
				'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
				'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
				'n8n-nodes-base/node-param-type-options-max-value-present': 'off',
			},
		},
	],
};
