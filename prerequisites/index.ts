/**
 * prerequisites/: what the suites, the demo and the benchmark need on the machine, installed when
 * missing: n8n into e2e/ (n8nInstall.ts, one install at a time: installLock.ts), and Debian's
 * packages through one helper (debianPackages.ts): Chromium (browser.ts), Redis and PostgreSQL
 * (queueServices.ts). cli.ts is what package.json runs before each suite.
 */
export { DEBIAN_CHROMIUM, chromiumNeed, chromiumPath, isExecutable } from './browser';
export type { DebianNeed } from './debianPackages';
export { aptInstall, ensureDebianPackages } from './debianPackages';
export { ensureInstalled } from './n8nInstall';
export type { QueueServices } from './queueServices';
export { ensureQueueServices, findQueueServices, queueServiceNeeds } from './queueServices';
