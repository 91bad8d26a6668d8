import { finishLeakCheck } from './leakCheck';

export default function globalTeardown(): void {
	finishLeakCheck();
}
