import { isStopRequested, readWaitOptions, type WaitOptions } from '@coro/task';
import { InvalidArgumentError, NegativeCountError } from './errors.ts';
import { checkCount } from './internal/check.ts';
import { resolvedFalse, resolvedTrue } from './internal/resolved.ts';
import { WaitList } from './internal/waiter.ts';

/**
 * co's `WaitGroup` (Go's `sync.WaitGroup`): `add(n)` work, `done()` as each piece finishes, and
 * `wait()` until the count is back to zero. Unlike a `Latch` it can be reused: adding again after
 * it reached zero makes later waits wait again.
 *
 * @example
 * const group = new WaitGroup();          // or new WaitGroup(urls.length), then only done()
 * for (const url of urls) { group.add(); void fetch(url).finally(() => group.done()); }
 * await group.wait();                      // true when every fetch is done
 */
export class WaitGroup {
  #count: number;
  readonly #waiters = new WaitList<boolean>('WaitGroup.wait', false, false);

  /**
   * Starts with `initial` (default 0) pieces of work outstanding, like co's `WaitGroup(n)`.
   * Throws `InvalidArgumentError` unless it is an integer ≥ 0.
   */
  constructor(initial = 0) {
    this.#count = checkCount(initial, 'WaitGroup initial count');
  }

  /** The outstanding count. */
  get count(): number {
    return this.#count;
  }

  /** How many waits are pending: for tests and diagnostics. */
  get waiterCount(): number {
    return this.#waiters.length;
  }

  /**
   * Adds `n` (default 1; an integer, may be negative) to the count. At zero every waiter
   * resumes. Throws `NegativeCountError` (count unchanged) if the count would go below zero.
   */
  add(n = 1): void {
    if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
      throw new InvalidArgumentError(`add(n) needs an integer, got ${String(n)}`);
    }
    const count = this.#count + n;
    if (count < 0) {
      throw new NegativeCountError(
        `WaitGroup count would become ${count}: done() called more often than add()`,
      );
    }
    this.#count = count;
    if (count === 0 && this.#waiters.length !== 0) this.#waiters.grantAll(true);
  }

  /** Marks one piece of work done: `add(-1)`. */
  done(): void {
    this.add(-1);
  }

  /**
   * Waits until the count is zero: `true`. With `{ timeout }` or `{ signal }` resolves `false`
   * if that comes first.
   */
  wait(): Promise<true>;
  wait(options: WaitOptions | undefined): Promise<boolean>;
  wait(options?: WaitOptions): Promise<boolean> {
    if (options === undefined) {
      if (this.#count === 0) return resolvedTrue;
      return this.#waiters.enqueue(undefined, undefined, undefined);
    }
    const { signal, timeout } = readWaitOptions(options);
    if (isStopRequested(signal)) return resolvedFalse;
    if (this.#count === 0) return resolvedTrue;
    if (timeout === 0) return resolvedFalse;
    return this.#waiters.enqueue(undefined, signal, timeout);
  }
}
