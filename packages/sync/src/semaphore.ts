import { isStopRequested, readWaitOptions, type WaitOptions } from '@coro/task';
import { InvalidArgumentError, SemaphoreOverflowError } from './errors.ts';
import { checkCount } from './internal/check.ts';
import { resolvedCancelled, resolvedTimeout } from './internal/resolved.ts';
import { WaitList } from './internal/waiter.ts';

/** What `Semaphore.acquire()` resolves with. */
export type AcquireResult = 'acquired' | 'shutdown' | 'timeout' | 'cancelled';

const resolvedAcquired: Promise<'acquired'> = Promise.resolve('acquired');
const resolvedShutdown: Promise<'shutdown'> = Promise.resolve('shutdown');

/**
 * libcoro's `coro::semaphore`: a counting semaphore of at most `max` permits, starting with
 * `initial` (default `max`). Waiters get permits strictly first come, first served: `release()`
 * hands its permit straight to the oldest waiter.
 *
 * `acquire()` resolves `'acquired'`, or `'shutdown'` once `shutdown()` was called; with
 * `{ timeout }` / `{ signal }` also `'timeout'` / `'cancelled'` (and then holds no permit).
 *
 * @example
 * const limit = new Semaphore(8);
 * async function fetchLimited(url: string) {
 *   if ((await limit.acquire()) !== 'acquired') return;
 *   try { return await fetch(url) } finally { limit.release() }
 * }
 */
export class Semaphore {
  readonly #max: number;
  #value: number;
  #shutdown = false;
  readonly #waiters = new WaitList<AcquireResult>('Semaphore.acquire', 'timeout', 'cancelled');

  /**
   * Throws `InvalidArgumentError` unless `max` is an integer ≥ 1 and `initial` an integer in
   * `0..max`.
   */
  constructor(max: number, initial: number = max) {
    this.#max = checkCount(max, 'Semaphore max', 1);
    this.#value = checkCount(initial, 'Semaphore initial');
    if (initial > max) {
      throw new InvalidArgumentError(`Semaphore initial (${initial}) exceeds max (${max})`);
    }
  }

  /** The permits available now. */
  get value(): number {
    return this.#value;
  }

  /** The most permits the semaphore holds. */
  get max(): number {
    return this.#max;
  }

  /** Whether `shutdown()` was called. */
  get isShutdown(): boolean {
    return this.#shutdown;
  }

  /** How many `acquire()` calls are waiting: for tests and diagnostics. */
  get waiterCount(): number {
    return this.#waiters.length;
  }

  /**
   * Takes a permit, waiting in line when none is free: `'acquired'`, or `'shutdown'` after
   * `shutdown()`. With `{ timeout }` or `{ signal }` also `'timeout'` or `'cancelled'`.
   */
  acquire(): Promise<'acquired' | 'shutdown'>;
  acquire(options: WaitOptions | undefined): Promise<AcquireResult>;
  acquire(options?: WaitOptions): Promise<AcquireResult> {
    if (options === undefined) {
      if (this.#shutdown) return resolvedShutdown;
      if (this.#value !== 0) {
        this.#value--;
        return resolvedAcquired;
      }
      return this.#waiters.enqueue(undefined, undefined, undefined);
    }
    const { signal, timeout } = readWaitOptions(options);
    // An already-stopped signal answers first, shut down or not (the precedence rule).
    if (isStopRequested(signal)) return resolvedCancelled;
    if (this.#shutdown) return resolvedShutdown;
    if (this.#value !== 0) {
      this.#value--;
      return resolvedAcquired;
    }
    if (timeout === 0) return resolvedTimeout;
    return this.#waiters.enqueue(undefined, signal, timeout);
  }

  /** Takes a permit if one is free (and not shut down). */
  tryAcquire(): boolean {
    if (this.#shutdown || this.#value === 0) return false;
    this.#value--;
    return true;
  }

  /**
   * Returns a permit: to the oldest waiter if there is one, else to the count. Throws
   * `SemaphoreOverflowError` (count unchanged) if the count is already `max`.
   */
  release(): void {
    if (this.#waiters.grantHead('acquired')) return;
    if (this.#value >= this.#max) {
      throw new SemaphoreOverflowError(
        `release() with the semaphore already at its max of ${this.#max}: more releases than acquires`,
        { max: this.#max },
      );
    }
    this.#value++;
  }

  /**
   * Shuts the semaphore down: every waiter resolves `'shutdown'` now, and later `acquire()`s
   * resolve `'shutdown'` at once. Holders may still `release()`.
   */
  shutdown(): void {
    this.#shutdown = true;
    if (this.#waiters.length !== 0) this.#waiters.grantAll('shutdown');
  }
}
