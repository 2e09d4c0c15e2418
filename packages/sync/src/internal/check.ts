import { InvalidArgumentError } from '../errors.ts';

/**
 * Throws `InvalidArgumentError` unless `value` is an integer in `min..max` (a safe integer).
 */
export function checkCount(
  value: unknown,
  name: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in ${min}..${max}`;
    throw new InvalidArgumentError(
      `${name} must be an integer ${range}, got ${typeof value === 'number' ? value : typeof value}`,
    );
  }
  return value;
}
