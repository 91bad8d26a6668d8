import { handleInterrupts, ownTempDirsOfDescendants } from '../../processes';
import { startLeakCheck } from './leakCheck';

export default function globalSetup(): void {
	// Ctrl-C or SIGTERM: jest's workers and whatever they started stop, temp folders go, one line.
	handleInterrupts();
	// Workers that jest kills at the end leave their temp folders to this process.
	ownTempDirsOfDescendants();
	startLeakCheck();
}
