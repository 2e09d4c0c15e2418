import { isStopRequested, readWaitOptions, type WaitOptions } from '@coro/task';
import { checkCount } from './internal/check.ts';
import { resolvedFalse, resolvedTrue } from './internal/resolved.ts';
import { WaitList } from './internal/waiter.ts';

/**
 * libcoro's `coro::latch`: a one-shot countdown. Tasks `wait()` until `countDown()` has been
 * called `count` times (in total); from then on the latch stays ready. Counting down past zero
 * is harmless (the latch is simply ready), as in libcoro.
 *
 * @example
 * const latch = new Latch(3);
 * for (let i = 0; i < 3; i++) void work(i).then(() => latch.countDown());
 * await latch.wait();                         // true once all three counted down
 * await latch.wait({ timeout: 50 });           // false if not ready in 50 ms
 */
export class Latch {
  #remaining: number;
  readonly #waiters = new WaitList<boolean>('Latch.wait', false, false);

  /** Throws `InvalidArgumentError` unless `count` is an integer ≥ 0 (0: ready at once). */
  constructor(count: number) {
    this.#remaining = checkCount(count, 'Latch count');
  }

  /** How many count-downs are still needed (0 when ready). */
  get remaining(): number {
    return this.#remaining;
  }

  /** Whether the count has reached zero. */
  get isReady(): boolean {
    return this.#remaining === 0;
  }

  /** How many waits are pending: for tests and diagnostics. */
  get waiterCount(): number {
    return this.#waiters.length;
  }

  /** Counts down by `n` (default 1, an integer ≥ 0); at zero every waiter resumes, oldest first. */
  countDown(n = 1): void {
    checkCount(n, 'countDown(n)');
    if (this.#remaining === 0) return;
    this.#remaining = n >= this.#remaining ? 0 : this.#remaining - n;
    if (this.#remaining === 0 && this.#waiters.length !== 0) this.#waiters.grantAll(true);
  }

  /**
   * Waits until the latch is ready: `true`. With `{ timeout }` or `{ signal }` resolves `false`
   * if that comes first.
   */
  wait(): Promise<true>;
  wait(options: WaitOptions | undefined): Promise<boolean>;
  wait(options?: WaitOptions): Promise<boolean> {
    if (options === undefined) {
      if (this.#remaining === 0) return resolvedTrue;
      return this.#waiters.enqueue(undefined, undefined, undefined);
    }
    const { signal, timeout } = readWaitOptions(options);
    if (isStopRequested(signal)) return resolvedFalse;
    if (this.#remaining === 0) return resolvedTrue;
    if (timeout === 0) return resolvedFalse;
    return this.#waiters.enqueue(undefined, signal, timeout);
  }
}
