/**
 * Number fields as every option of both nodes reads them (readNumber): an expression may give a
 * string or nothing, and n8n passes either through unchecked.
 */
import type { NumberRule } from '../../nodes/Phota/helpers/settings';
import { readNumber } from '../../nodes/Phota/helpers/settings';
import { requestOptions } from '../../nodes/Phota/helpers/descriptions';
import {
	MAX_RETRIES,
	PARALLEL_REQUESTS,
	RATE_LIMIT_WAIT_MINUTES,
	REQUEST_TIMEOUT_SECONDS,
} from '../../nodes/Phota/helpers/settings';
import { fakeContext, nodeErrorOf } from './fakeContext';

const WHOLE: NumberRule = {
	label: 'Parallel Requests',
	min: 1,
	max: 20,
	integer: true,
	fallback: 5,
};
const FRACTION: NumberRule = { label: 'Timeout (Minutes)', min: 0.5, max: 60, fallback: 10 };

function read(value: unknown, rule: NumberRule, itemIndex = 0): number {
	return readNumber.call(fakeContext(), value, rule, itemIndex);
}

test.each([undefined, null, ''])('%j: not set, the fallback', (value) => {
	expect(read(value, WHOLE)).toBe(5);
	expect(read(value, FRACTION)).toBe(10);
});

test('numbers and numeric strings (as an expression gives them), the bounds included', () => {
	expect([1, 20, '7', ' 12 ', '1e1'].map((value) => read(value, WHOLE))).toEqual([
		1, 20, 7, 12, 10,
	]);
	expect([0.5, 60, '2.5'].map((value) => read(value, FRACTION))).toEqual([0.5, 60, 2.5]);
});

test.each<[unknown, NumberRule, string]>([
	[0, WHOLE, 'Parallel Requests must be a whole number from 1 to 20, got 0'],
	[21, WHOLE, 'Parallel Requests must be a whole number from 1 to 20, got 21'],
	[2.5, WHOLE, 'Parallel Requests must be a whole number from 1 to 20, got 2.5'],
	['many', WHOLE, 'Parallel Requests must be a whole number from 1 to 20, got "many"'],
	[true, WHOLE, 'Parallel Requests must be a whole number from 1 to 20, got true'],
	[[3], WHOLE, 'Parallel Requests must be a whole number from 1 to 20, got [3]'],
	[Infinity, WHOLE, 'Parallel Requests must be a whole number from 1 to 20, got Infinity'],
	[0.25, FRACTION, 'Timeout (Minutes) must be a number from 0.5 to 60, got 0.25'],
])('%j is refused before any request', (value, rule, message) => {
	const error = nodeErrorOf(() => read(value, rule, 3), 3);
	expect(error.message).toBe(message);
	expect(error.description).toMatch(/for item 3/);
});

test('an infinite number (an expression such as 1/0) is refused', () => {
	expect(nodeErrorOf(() => read(Infinity, FRACTION)).message).toMatch(
		/^Timeout \(Minutes\) must be a number from 0\.5 to 60, got /,
	);
});

test('the request options show the defaults the node falls back to', () => {
	const rules: Record<string, NumberRule> = {
		parallelRequests: PARALLEL_REQUESTS,
		maxRetries: MAX_RETRIES,
		rateLimitWaitMinutes: RATE_LIMIT_WAIT_MINUTES,
		requestTimeoutSeconds: REQUEST_TIMEOUT_SECONDS,
	};
	const numberOptions = requestOptions.filter((option) => option.type === 'number');
	expect(numberOptions.map((option) => option.name).sort()).toEqual(Object.keys(rules).sort());
	for (const option of numberOptions) {
		expect([option.name, option.default]).toEqual([option.name, rules[option.name].fallback]);
		expect(option.typeOptions).toEqual({
			minValue: rules[option.name].min,
			maxValue: rules[option.name].max,
		});
	}
});
