/**
 * The executions an `n8n start` on SQLite (its default database) saved, read from its database file
 * with the sqlite3 module that comes with that n8n, on that n8n's Node.js: for the callbacks suite
 * and the benchmark.
 */
import path from 'node:path';

import type { INodeExecutionData, IRunExecutionData } from 'n8n-workflow';

import { run } from '../processes';
import { sleep } from './clusterProcesses';
import type { N8nInstance } from './n8nInstance';
import { parseFlatted } from './queueCluster';

export interface ExecutionRow {
	id: string;
	status: string;
	/** When n8n started the execution (ms since the epoch; NaN before it has). */
	startedAt: number;
}

/**
 * Runs in a child process on the Node.js that runs this n8n: its sqlite3 is a native module built
 * for that Node.js (Node 24 for the newest n8n of the compatibility matrix), which would crash a
 * test process on another version. Arguments: the n8n folder, the database file, the SQL, the
 * parameters as JSON; prints the rows as JSON.
 */
const QUERY_SCRIPT = `
const { createRequire } = require('node:module');
const [n8nDir, file, sql, params] = process.argv.slice(1);
const sqlite3 = createRequire(n8nDir + '/package.json')('sqlite3');
const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (error) => {
	if (error) { console.error(String(error)); process.exit(1); }
});
db.all(sql, JSON.parse(params), (error, rows) => {
	db.close();
	if (error) { console.error(String(error)); process.exit(1); }
	process.stdout.write(JSON.stringify(rows));
});
`;

async function query<T>(n8n: N8nInstance, sql: string, params: unknown[] = []): Promise<T[]> {
	const file = path.join(n8n.userFolder, '.n8n', 'database.sqlite');
	const n8nDir = path.dirname(path.dirname(n8n.binary));
	for (let attempt = 0; ; attempt++) {
		try {
			const { stdout } = await run(
				n8n.nodeBinary,
				['-e', QUERY_SCRIPT, n8nDir, file, sql, JSON.stringify(params)],
				{ maxBuffer: 512 * 1024 * 1024 },
			);
			return JSON.parse(stdout) as T[];
		} catch (error) {
			// n8n may hold a write lock for a moment.
			const said = `${String(error)} ${(error as { stderr?: string }).stderr ?? ''}`;
			if (attempt >= 20 || !said.includes('SQLITE_BUSY')) throw error;
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
