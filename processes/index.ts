/**
 * processes/: what makes the demo and the developer tools (npm run demo, npm test, npm run bench,
 * npm run test:compat, the n8n install into e2e/, the simulator) behave like a well-kept CLI, in
 * one place: children in their own process groups (children.ts), temp folders named after their
 * owner (exitHook.ts makes them, tempDirs.ts finds and removes them), and interrupts that stop
 * everything and clean up (interrupts.ts).
 */
export type { RunError, RunOptions } from './children';
export { run, spawnChild, stopChild } from './children';
export { makeTempDir } from './exitHook';
export { failUnlessInterrupted, handleInterrupts, isInterrupted, onInterrupt } from './interrupts';
export { isAlive } from './processTable';
export { GRACE_MS } from './state';
export {
	ownTempDirsOfDescendants,
	removeStaleTempDirs,
	removeTempDir,
	removeTempDirsOf,
} from './tempDirs';
