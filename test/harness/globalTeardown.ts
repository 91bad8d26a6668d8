import { removeTempDirsOf } from '../../processes';
import { finishLeakCheck } from './leakCheck';

export default function globalTeardown(): void {
	try {
		finishLeakCheck();
	} finally {
		// n8n-core's user folders of the workers (test/harness/n8n.ts), named after this process.
		removeTempDirsOf();
	}
}
