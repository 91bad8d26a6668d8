/** Types of scripts/ensure-queue.js. */
export interface QueueServices {
	/** redis-server binary */
	redisServer?: string;
	/** Folder with PostgreSQL's initdb and postgres */
	postgresBin?: string;
}
export function findQueueServices(): QueueServices;
export function ensureQueueServices(): Promise<Required<QueueServices>>;
