import type { WaitOptions } from '@coro/task';
import { InvalidArgumentError } from '../errors.ts';

/**
 * The options of a condition variable's `wait(lock, predicate?, options?)`, unchecked: the
 * third argument when the second is a predicate or `undefined` (so `wait(lock, undefined,
 * options)` is `wait(lock, options)`), else the second. A third argument after a second that
 * is neither is refused with `InvalidArgumentError` rather than ignored. Allocates nothing.
 */
export function waitOptionsOf(
  predicateOrOptions: (() => boolean) | WaitOptions | undefined,
  maybeOptions: WaitOptions | undefined,
): WaitOptions | undefined {
  if (predicateOrOptions === undefined || typeof predicateOrOptions === 'function') {
    return maybeOptions;
  }
  if (maybeOptions !== undefined) {
    throw new InvalidArgumentError(
      `ConditionVariable.wait(lock, predicate, options): the predicate must be a function or undefined, got ${predicateOrOptions === null ? 'null' : typeof predicateOrOptions}`,
    );
  }
  return predicateOrOptions;
}
