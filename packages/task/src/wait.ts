import { InvalidArgumentError } from './errors.ts';
import { type StopLike, type StopRegistration, toStopLike, type WaitOptions } from './stop.ts';

/**
 * Checks a `timeout` option: `undefined` (no timeout) or a finite number of milliseconds ≥ 0.
 * Throws `InvalidArgumentError` otherwise. Returns it unchanged.
 */
export function checkTimeout(timeout: number | undefined, where = 'timeout'): number | undefined {
  if (timeout === undefined) return undefined;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0) {
    throw new InvalidArgumentError(
      `${where} must be a finite number of milliseconds ≥ 0, got ${String(timeout)}`,
    );
  }
  return timeout;
}

/**
 * Reads and checks `{ signal, timeout }`: returns the signal as a `StopLike` and the timeout as
 * a checked number. For packages building their own waits on top of coro's model.
 */
export function readWaitOptions(options: WaitOptions | undefined): {
  signal: StopLike | undefined;
  timeout: number | undefined;
} {
  if (options === undefined) return { signal: undefined, timeout: undefined };
  return { signal: toStopLike(options.signal), timeout: checkTimeout(options.timeout) };
}

/** @internal A timer and a stop registration, cleared together. */
export interface WaitGuards {
  timer: ReturnType<typeof setTimeout> | undefined;
  registration: StopRegistration | undefined;
}

/** @internal Clears what a wait installed. */
export function clearGuards(guards: WaitGuards): void {
  if (guards.timer !== undefined) clearTimeout(guards.timer);
  guards.registration?.unregister();
  guards.timer = undefined;
  guards.registration = undefined;
}
