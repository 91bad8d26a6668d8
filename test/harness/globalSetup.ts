import { handleInterrupts } from '../../scripts/lifecycle';
import { startLeakCheck } from './leakCheck';

export default function globalSetup(): void {
	// Ctrl-C or SIGTERM: jest's workers and whatever they started stop, temp folders go, one line.
	handleInterrupts();
	startLeakCheck();
}
