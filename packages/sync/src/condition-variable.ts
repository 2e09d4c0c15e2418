import { isStopRequested, readWaitOptions, type StopLike, type WaitOptions } from '@coro/task';
import { InvalidArgumentError, LockNotHeldError } from './errors.ts';
import { waitOptionsOf } from './internal/predicate-options.ts';
import { WaitList } from './internal/waiter.ts';
import { ScopedLock } from './scoped-lock.ts';

/**
 * libcoro's `coro::condition_variable`: tasks holding a lock wait for a condition, releasing the
 * lock while they wait and holding it again when `wait` returns (whatever it returns).
 * `notifyOne()` wakes the oldest waiter, `notifyAll()` every waiter; both are synchronous and
 * safe to call while holding the lock — a woken waiter simply queues for the lock behind the
 * notifier, so there is no deadlock (unlike libcoro, which documents one).
 *
 * `wait(lock)` resolves `true` when notified; `wait(lock, predicate)` waits until `predicate()`
 * is true (checked under the lock) and resolves `true`. With `{ timeout }` / `{ signal }` either
 * form resolves `false` if that came first (with a predicate: the predicate's final value).
 *
 * @example
 * const mutex = new Mutex();
 * const ready = new ConditionVariable();
 * const items: number[] = [];
 * async function take() {
 *   using lock = await mutex.lock();
 *   if (!(await ready.wait(lock, () => items.length > 0, { timeout: 1000 }))) return undefined;
 *   return items.shift();
 * }
 * async function put(n: number) {
 *   using lock = await mutex.lock();
 *   items.push(n);
 *   ready.notifyOne();
 * }
 */
export class ConditionVariable {
  readonly #waiters = new WaitList<boolean>('ConditionVariable.wait', false, false);

  /** How many tasks are waiting to be notified: for tests and diagnostics. */
  get waiterCount(): number {
    return this.#waiters.length;
  }

  /** Wakes the oldest waiter, if any. */
  notifyOne(): void {
    this.#waiters.grantHead(true);
  }

  /** Wakes every waiter, oldest first. */
  notifyAll(): void {
    if (this.#waiters.length !== 0) this.#waiters.grantAll(true);
  }

  /**
   * Releases `lock` (a held `ScopedLock` of a `Mutex` or `SharedMutex`), waits to be notified
   * (or, given `predicate`, until it holds), then takes the lock again before resolving. Throws
   * `LockNotHeldError` at the call if `lock` is not held. `wait(lock, undefined, options)` is
   * `wait(lock, options)`.
   */
  wait(lock: ScopedLock, options?: WaitOptions): Promise<boolean>;
  wait(lock: ScopedLock, predicate: () => boolean, options?: WaitOptions): Promise<boolean>;
  wait(
    lock: ScopedLock,
    predicateOrOptions?: (() => boolean) | WaitOptions,
    maybeOptions?: WaitOptions,
  ): Promise<boolean> {
    if (!(lock instanceof ScopedLock)) {
      throw new InvalidArgumentError('ConditionVariable.wait needs the ScopedLock from lock()');
    }
    if (!lock.isHeld) {
      throw new LockNotHeldError('ConditionVariable.wait with a lock that is not held');
    }
    // Read without building an options object: the plain wait allocates no more than Mutex.lock.
    const predicate = typeof predicateOrOptions === 'function' ? predicateOrOptions : undefined;
    const options = waitOptionsOf(predicateOrOptions, maybeOptions);
    if (options === undefined) return this.#wait(lock, predicate, undefined, undefined);
    const { signal, timeout } = readWaitOptions(options);
    return this.#wait(lock, predicate, signal, timeout);
  }

  async #wait(
    lock: ScopedLock,
    predicate: (() => boolean) | undefined,
    signal: StopLike | undefined,
    timeout: number | undefined,
  ): Promise<boolean> {
    if (predicate === undefined) {
      if (isStopRequested(signal) || timeout === 0) return false;
      const waiting = this.#waiters.enqueue(undefined, signal, timeout);
      lock._owner._unlock(lock);
      const notified = await waiting;
      await lock._owner._relock(lock);
      return notified;
    }
    const deadline = timeout === undefined ? undefined : performance.now() + timeout;
    while (!predicate()) {
      const remaining =
        deadline === undefined ? undefined : Math.max(0, Math.ceil(deadline - performance.now()));
      if (isStopRequested(signal) || remaining === 0) return false;
      // Queue first, then release: a notify from whoever takes the lock next reaches us.
      const waiting = this.#waiters.enqueue(undefined, signal, remaining);
      lock._owner._unlock(lock);
      const notified = await waiting;
      await lock._owner._relock(lock);
      if (!notified) return predicate();
    }
    return true;
  }
}
