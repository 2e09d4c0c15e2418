import { InvalidArgumentError } from '../errors.ts';

/** Throws `InvalidArgumentError` unless `value` is an integer ≥ `min` (a safe integer). */
export function checkCount(value: unknown, name: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidArgumentError(
      `${name} must be an integer ≥ ${min}, got ${typeof value === 'number' ? value : typeof value}`,
    );
  }
  return value;
}
