/**
 * What the modules of processes/ share within one process: the children started here, the temp
 * folders made here, the cleanups to run on an interrupt and whether one is being handled.
 */
import type { ChildProcess } from 'node:child_process';

/** How long children get to stop after SIGTERM before they are killed. */
export const GRACE_MS = 2000;
/** Set for every child started here: one of these tools started by another prints no line itself. */
export const PARENT_ENV = 'PHOTA_LIFECYCLE_PARENT';
/** Set by a process that removes the temp folders its descendants leave (see makeTempDir). */
export const OWNER_ENV = 'PHOTA_TEMP_OWNER';

export const children = new Set<ChildProcess>();
export const tempDirs = new Set<string>();
export const cleanups: Array<() => unknown> = [];

export const status: {
	interruptedBy: NodeJS.Signals | undefined;
	/** A second Ctrl-C: no more grace. */
	hurry: boolean;
	/** The descendants seen while handling an interrupt. */
	stoppedPids: Set<number>;
} = { interruptedBy: undefined, hurry: false, stoppedPids: new Set() };
