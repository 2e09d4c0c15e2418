// The one reading of durations, time points and `{ timeout }` options for the whole package:
// milliseconds; `Infinity` = no deadline; 0 = due now; negative, NaN or non-number =
// InvalidArgumentError at the call.
import { InvalidArgumentError, type StopLike, toStopLike, type WaitOptions } from '@coro/task';

/** The largest delay a Node.js timer takes; longer ones are armed in stretches of this. */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** A duration in ms: a number ≥ 0, `Infinity` allowed (no deadline). Throws otherwise. */
export function checkDuration(ms: unknown, where: string): number {
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) {
    throw new InvalidArgumentError(
      `${where} expects a number of milliseconds ≥ 0 (Infinity for none), got ${describe(ms)}`,
    );
  }
  return ms;
}

/** A duration that must be finite (moving virtual time). Throws otherwise. */
export function checkFiniteDuration(ms: unknown, where: string): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new InvalidArgumentError(
      `${where} expects a finite number of milliseconds ≥ 0, got ${describe(ms)}`,
    );
  }
  return ms;
}

/** A time point (a `now()` value); `+Infinity` is "never". Throws for NaN, -Infinity, non-numbers. */
export function checkTimePoint(t: unknown, where: string): number {
  if (typeof t !== 'number' || Number.isNaN(t) || t === Number.NEGATIVE_INFINITY) {
    throw new InvalidArgumentError(
      `${where} expects a time point (a scheduler.now() value, or Infinity), got ${describe(t)}`,
    );
  }
  return t;
}

/** A `timeout` option: `undefined` or `Infinity` → no timeout, else a checked duration. */
export function checkTimeout(timeout: unknown, where = 'timeout'): number | undefined {
  if (timeout === undefined) return undefined;
  const ms = checkDuration(timeout, where);
  return ms === Number.POSITIVE_INFINITY ? undefined : ms;
}

/**
 * An options argument: `undefined` (none) or an object. Throws `InvalidArgumentError` for
 * anything else, `null` included, as `@coro/task`'s `readWaitOptions` does.
 */
export function checkOptions<T extends object>(
  options: T | undefined,
  where: string,
): T | undefined {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new InvalidArgumentError(
      `${where}: options must be an object, got ${options === null ? 'null' : typeof options}`,
    );
  }
  return options;
}

/** Reads `{ signal, timeout }` with the rules above. */
export function readWaitOptions(
  options: WaitOptions | undefined,
  where: string,
): {
  signal: StopLike | undefined;
  timeout: number | undefined;
} {
  const checked = checkOptions(options, where);
  if (checked === undefined) return { signal: undefined, timeout: undefined };
  return { signal: toStopLike(checked.signal), timeout: checkTimeout(checked.timeout) };
}

function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : `${typeof value} ${String(value)}`;
}
