/**
 * Where jestEnvironment.ts keeps the running test's n8n log lines: a global of the test file's
 * context, which testLog.ts fills (its own module, so the environment loads nothing of n8n).
 */
export const TEST_LOG_GLOBAL = '__photaTestLog';
