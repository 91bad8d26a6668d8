import { startLeakCheck } from './leakCheck';

export default function globalSetup(): void {
	startLeakCheck();
}
