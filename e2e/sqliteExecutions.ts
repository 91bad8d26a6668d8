/**
 * The executions an `n8n start` on SQLite (its default database) saved, read from its database file
 * with the sqlite3 module that comes with that n8n: for the callbacks suite and the benchmark.
 */
import path from 'node:path';

import type { INodeExecutionData, IRunExecutionData } from 'n8n-workflow';

import { fromN8n, sleep } from './clusterProcesses';
import type { N8nInstance } from './n8nInstance';
import { parseFlatted } from './queueCluster';

export interface ExecutionRow {
	id: string;
	status: string;
	/** When n8n started the execution (ms since the epoch; NaN before it has). */
	startedAt: number;
}

type Sqlite = {
	Database: new (
		file: string,
		mode: number,
		callback: (error: Error | null) => void,
	) => {
		all(
			sql: string,
			params: unknown[],
			callback: (error: Error | null, rows: unknown[]) => void,
		): void;
		close(): void;
	};
	OPEN_READONLY: number;
};

async function query<T>(n8n: N8nInstance, sql: string, params: unknown[] = []): Promise<T[]> {
	const sqlite = fromN8n('sqlite3') as Sqlite;
	const file = path.join(n8n.userFolder, '.n8n', 'database.sqlite');
	for (let attempt = 0; ; attempt++) {
		try {
			return await new Promise<T[]>((resolve, reject) => {
				const db = new sqlite.Database(file, sqlite.OPEN_READONLY, (error) => {
					if (error) reject(error);
				});
				db.all(sql, params, (error, rows) => {
					db.close();
					if (error) reject(error);
					else resolve(rows as T[]);
				});
			});
		} catch (error) {
			// n8n may hold a write lock for a moment.
			if (attempt >= 20 || !String(error).includes('SQLITE_BUSY')) throw error;
			await sleep(100);
		}
	}
}

export async function executionsOf(n8n: N8nInstance, workflowId: string): Promise<ExecutionRow[]> {
	const rows = await query<{ id: number; status: string; startedAt: string | null }>(
		n8n,
		'SELECT id, status, startedAt FROM execution_entity WHERE workflowId = ? ORDER BY id',
		[workflowId],
	);
	// SQLite holds UTC without a zone: "2026-12-06 09:20:01.123".
	return rows.map((row) => ({
		id: String(row.id),
		status: row.status,
		startedAt: row.startedAt ? Date.parse(`${row.startedAt.replace(' ', 'T')}Z`) : Number.NaN,
	}));
}

/** Waits until the workflow has `count` executions that ended; returns all of its executions. */
export async function waitForExecutions(
	n8n: N8nInstance,
	workflowId: string,
	count: number,
	timeoutMs: number,
): Promise<ExecutionRow[]> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const rows = await executionsOf(n8n, workflowId);
		const ended = rows.filter((row) => !['new', 'running', 'waiting'].includes(row.status));
		if (ended.length >= count) return rows;
		if (Date.now() > deadline)
			throw new Error(`${workflowId}: ${ended.length}/${count} executions after ${timeoutMs} ms`);
		await sleep(300);
	}
}

export async function runDataOf(n8n: N8nInstance, executionId: string): Promise<IRunExecutionData> {
	const [row] = await query<{ data: string }>(
		n8n,
		'SELECT data FROM execution_data WHERE executionId = ?',
		[executionId],
	);
	return parseFlatted(row.data) as IRunExecutionData;
}

/** Items a node sent to its first output in its first run. */
export function nodeOutput(data: IRunExecutionData, node: string): INodeExecutionData[] {
	return (data.resultData.runData[node]?.[0]?.data?.main?.[0] ?? []) as INodeExecutionData[];
}
