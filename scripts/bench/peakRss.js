// Preloaded (`node --require`) into the `n8n execute` process by scripts/bench/scale.ts: when the
// process exits it appends its peak resident memory (Linux VmHWM) and command line to the file
// PHOTA_PEAK_RSS_FILE names, one JSON line per process (n8n's task runners write their own lines).
const { appendFileSync, readFileSync } = require('node:fs');

const file = process.env.PHOTA_PEAK_RSS_FILE;
if (file) {
	process.on('exit', () => {
		const status = readFileSync('/proc/self/status', 'utf8');
		const peakKb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
		appendFileSync(
			file,
			`${JSON.stringify({ pid: process.pid, argv: process.argv.slice(1), peakBytes: peakKb * 1024 })}\n`,
		);
	});
}
