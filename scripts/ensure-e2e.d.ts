/** Types of scripts/ensure-e2e.js. */
export function ensureInstalled(options?: {
	dir?: string;
	label?: string;
	npmArgs?: string[];
}): Promise<void>;
