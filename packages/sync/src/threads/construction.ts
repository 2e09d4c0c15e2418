/**
 * Helpers of the primitives' constructors: argument checks, and how `Primitive.from` hands
 * attached memory to the constructor.
 *
 * @internal
 */
import { InvalidArgumentError } from '@coro/task';
import type { SharedCore } from './core.ts';

/** Throws `InvalidArgumentError` unless `value` is a safe integer in `[min, max]`. */
export function checkInteger(value: unknown, name: string, min = 0, max = 0x7fffffff): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      `${name} must be an integer from ${min} to ${max}, got ${typeof value === 'number' ? value : typeof value}`,
    );
  }
  return value;
}

/** Shared memory of a primitive: its engine and its buffer. */
export interface Shared {
  readonly core: SharedCore;
  readonly buffer: SharedArrayBuffer;
}

let attached: Shared | undefined;

/**
 * Lets `Primitive.from` reuse the constructor (private fields can only be set there): it
 * parks the attached memory here, and the constructor picks it up with `takeAttached()`.
 */
export function attachNext(shared: Shared): void {
  attached = shared;
}

/** The memory parked by `attachNext`, if this construction is a `from`. */
export function takeAttached(): Shared | undefined {
  const shared = attached;
  attached = undefined;
  return shared;
}
