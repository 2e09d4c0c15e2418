import { readWaitOptions, type StopLike, type WaitOptions } from '@coro/task';

/**
 * Reads the `(predicate?, options?)` tail of a condition variable's `wait`: the predicate when
 * the first is a function, and the checked `{ signal, timeout }`.
 */
export function readPredicateAndOptions(
  predicateOrOptions: (() => boolean) | WaitOptions | undefined,
  maybeOptions: WaitOptions | undefined,
): {
  predicate: (() => boolean) | undefined;
  signal: StopLike | undefined;
  timeout: number | undefined;
} {
  const hasPredicate = typeof predicateOrOptions === 'function';
  const { signal, timeout } = readWaitOptions(hasPredicate ? maybeOptions : predicateOrOptions);
  return { predicate: hasPredicate ? predicateOrOptions : undefined, signal, timeout };
}
