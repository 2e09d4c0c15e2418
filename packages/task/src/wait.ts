import { InvalidArgumentError } from './errors.ts';
import { type StopLike, type StopRegistration, toStopLike, type WaitOptions } from './stop.ts';

/** The longest delay Node's `setTimeout` takes as given (longer ones fire after 1 ms). */
const MAX_TIMER_DELAY = 2 ** 31 - 1;

/**
 * The one rule for durations in every coro call: a `timeout` is milliseconds; `undefined` and
 * `Infinity` mean "no timeout" (returned as `undefined`); `0` means "only if ready now"; any
 * finite number ≥ 0 is allowed, also above 2³¹−1 ms (the wait is then made of chained timers).
 * Negative numbers, `NaN` and non-numbers throw `InvalidArgumentError`.
 */
export function checkTimeout(timeout: number | undefined, where = 'timeout'): number | undefined {
  if (timeout === undefined) return undefined;
  if (typeof timeout !== 'number' || !(timeout >= 0)) {
    throw new InvalidArgumentError(
      `${where} must be a number of milliseconds ≥ 0 (or Infinity for none), got ${describe(timeout)}`,
    );
  }
  return timeout === Number.POSITIVE_INFINITY ? undefined : timeout;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** The checked `{ signal, timeout }` of a call. */
export interface CheckedWaitOptions {
  /** The signal as a `StopLike`, or `undefined`. */
  readonly signal: StopLike | undefined;
  /** The timeout in milliseconds, or `undefined` for none (`Infinity` included). */
  readonly timeout: number | undefined;
}

const noOptions: CheckedWaitOptions = Object.freeze({ signal: undefined, timeout: undefined });

/**
 * Reads and checks `{ signal, timeout }`: returns the signal as a `StopLike` and the timeout as
 * a checked number (see `checkTimeout`). Throws `InvalidArgumentError` for a bad signal,
 * timeout or options value. For packages building their own waits on top of coro's model.
 */
export function readWaitOptions(options: WaitOptions | undefined): CheckedWaitOptions {
  if (options === undefined) return noOptions;
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(
      `options must be an object like { signal, timeout }, got ${options === null ? 'null' : typeof options}`,
    );
  }
  const signal = options.signal;
  const timeout = options.timeout;
  if (signal === undefined && timeout === undefined) return noOptions;
  return { signal: toStopLike(signal), timeout: checkTimeout(timeout) };
}

/** A timer made by `setWaitTimer`: a Node timer, or a chain of them for very long delays. */
export type WaitTimer = ReturnType<typeof setTimeout> | LongTimer;

/** A delay longer than one Node timer can take, made of chained timers. */
class LongTimer {
  timer: ReturnType<typeof setTimeout> | undefined;
  readonly deadline: number;
  readonly callback: (a: unknown, b: unknown) => void;
  readonly a: unknown;
  readonly b: unknown;

  constructor(ms: number, callback: (a: unknown, b: unknown) => void, a: unknown, b: unknown) {
    this.deadline = Date.now() + ms;
    this.callback = callback;
    this.a = a;
    this.b = b;
    this.timer = setTimeout(stepLongTimer, MAX_TIMER_DELAY, this);
  }
}

function stepLongTimer(long: LongTimer): void {
  const left = long.deadline - Date.now();
  if (left > 0) {
    long.timer = setTimeout(stepLongTimer, Math.min(left, MAX_TIMER_DELAY), long);
    return;
  }
  long.timer = undefined;
  long.callback(long.a, long.b);
}

/**
 * `setTimeout(callback, ms, a, b)` for any checked duration: above 2³¹−1 ms, Node's own timer
 * would fire after 1 ms, so the delay is made of chained timers and fires after at least `ms`.
 * Clear it with `clearWaitTimer`.
 */
export function setWaitTimer<A, B>(
  callback: (a: A, b: B) => void,
  ms: number,
  a: A,
  b: B,
): WaitTimer {
  if (ms <= MAX_TIMER_DELAY) return setTimeout(callback, ms, a, b);
  return new LongTimer(ms, callback as (a: unknown, b: unknown) => void, a, b);
}

/** Clears a timer made by `setWaitTimer` (it then never fires). */
export function clearWaitTimer(timer: WaitTimer): void {
  if (timer instanceof LongTimer) {
    if (timer.timer !== undefined) clearTimeout(timer.timer);
    timer.timer = undefined;
  } else clearTimeout(timer);
}

/** @internal A timer and a stop registration, cleared together. */
export interface WaitGuards {
  timer: WaitTimer | undefined;
  registration: StopRegistration | undefined;
}

/** @internal Clears what a wait installed. */
export function clearGuards(guards: WaitGuards): void {
  if (guards.timer !== undefined) clearWaitTimer(guards.timer);
  guards.registration?.unregister();
  guards.timer = undefined;
  guards.registration = undefined;
}
