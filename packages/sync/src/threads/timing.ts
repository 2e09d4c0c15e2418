/**
 * Durations of the threads primitives: `{ signal, timeout }` read by the rules every coro wait
 * follows (ms; `Infinity` = none; 0 = only if ready now; more than 2^31-1 ms works; negative,
 * NaN or non-number → `InvalidArgumentError`). Long timers are chained in `wait.ts`.
 *
 * @internal
 */
import { readWaitOptions, type StopLike, type WaitOptions } from '@coro/task';

/**
 * `options` with an infinite timeout dropped: no deadline. Anything that is not an options
 * object (`null`, a number) is passed on as it is, for `readWaitOptions` to refuse.
 */
export function finiteOptions<T extends WaitOptions | undefined>(options: T): T {
  if (
    options === undefined ||
    options === null ||
    typeof options !== 'object' ||
    options.timeout !== Number.POSITIVE_INFINITY
  ) {
    return options;
  }
  return { ...options, timeout: undefined };
}

/** Reads and checks `{ signal, timeout }`; `timeout` is `undefined` for no deadline. */
export function readThreadWaitOptions(options: WaitOptions | undefined): {
  signal: StopLike | undefined;
  timeout: number | undefined;
} {
  const { signal, timeout } = readWaitOptions(finiteOptions(options));
  return { signal, timeout: timeout === Number.POSITIVE_INFINITY ? undefined : timeout };
}
