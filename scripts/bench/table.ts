/** The rows every section of `npm run bench` adds, their units, and the table they print as. */
export interface Row {
	measure: string;
	phota: string;
	baseline: string;
	ratio: string;
	/** 'info' when the row has no target (its "met" column stays empty). */
	target: string;
	met: boolean;
}

export function seconds(ms: number): string {
	return `${(ms / 1000).toFixed(2)} s`;
}

export function megabytes(bytes: number): string {
	return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function printTable(rows: Row[]): void {
	const headers: Array<keyof Row> = ['measure', 'phota', 'baseline', 'ratio', 'target'];
	const widths = headers.map((header) =>
		Math.max(header.length, ...rows.map((row) => String(row[header]).length)),
	);
	const line = (cells: string[]) =>
		cells.map((cell, index) => cell.padEnd(widths[index])).join(' | ');
	console.log(`\n${line(headers)} | met`);
	console.log(widths.map((width) => '-'.repeat(width)).join('-|-') + '-|----');
	for (const row of rows) {
		console.log(
			`${line(headers.map((header) => String(row[header])))} | ${row.target === 'info' ? '' : row.met ? 'yes' : 'NO'}`,
		);
	}
}
