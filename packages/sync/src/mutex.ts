import { isStopRequested, readWaitOptions, type WaitOptions } from '@coro/task';
import { LockNotHeldError } from './errors.ts';
import { resolvedCancelled, resolvedTimeout } from './internal/resolved.ts';
import { WaitList } from './internal/waiter.ts';
import { type LockOwner, ScopedLock } from './scoped-lock.ts';

/** What `lock({ signal, timeout })` resolves with when it gives up. */
export type LockStatus = 'timeout' | 'cancelled';

/**
 * libcoro's `coro::mutex`: one holder at a time, waiters served strictly first come, first
 * served. `unlock()` hands the lock straight to the next waiter (no barging: a caller arriving
 * between the release and the waiter's resumption cannot take it). An uncontended `lock()`
 * resolves at once.
 *
 * @example
 * const mutex = new Mutex();
 * {
 *   using lock = await mutex.lock();      // ScopedLock, released on scope exit
 *   await appendToFile(line);
 * }
 * const got = await mutex.lock({ timeout: 100 }); // ScopedLock | 'timeout' | 'cancelled'
 * if (typeof got === 'string') console.log('gave up:', got); else got.unlock();
 */
export class Mutex implements LockOwner {
  #holder: ScopedLock | undefined = undefined;
  readonly #waiters = new WaitList<ScopedLock | LockStatus>('Mutex.lock', 'timeout', 'cancelled');

  /** Whether the mutex is held. */
  get isLocked(): boolean {
    return this.#holder !== undefined;
  }

  /** How many `lock()` calls are waiting: for tests and diagnostics. */
  get waiterCount(): number {
    return this.#waiters.length;
  }

  /**
   * Takes the lock, waiting in line if it is held. Resolves with a `ScopedLock`; with
   * `{ timeout }` or `{ signal }` resolves `'timeout'` or `'cancelled'` if that comes first (and
   * then does not hold the lock).
   */
  lock(): Promise<ScopedLock>;
  lock(options: WaitOptions | undefined): Promise<ScopedLock | LockStatus>;
  lock(options?: WaitOptions): Promise<ScopedLock | LockStatus> {
    if (options === undefined) {
      if (this.#holder === undefined)
        return Promise.resolve((this.#holder = new ScopedLock(this, false)));
      return this.#waiters.enqueue(undefined, undefined, undefined);
    }
    const { signal, timeout } = readWaitOptions(options);
    if (isStopRequested(signal)) return resolvedCancelled;
    if (this.#holder === undefined)
      return Promise.resolve((this.#holder = new ScopedLock(this, false)));
    if (timeout === 0) return resolvedTimeout;
    return this.#waiters.enqueue(undefined, signal, timeout);
  }

  /** Takes the lock if it is free: a `ScopedLock`, or `undefined` if it is held. */
  tryLock(): ScopedLock | undefined {
    if (this.#holder !== undefined) return undefined;
    return (this.#holder = new ScopedLock(this, false));
  }

  /**
   * Releases the lock, whoever's `ScopedLock` holds it, handing it to the next waiter. Throws
   * `LockNotHeldError` if the mutex is not locked.
   */
  unlock(): void {
    const holder = this.#holder;
    if (holder === undefined) throw new LockNotHeldError('unlock() of a mutex that is not locked');
    this._unlock(holder);
  }

  /** @internal */
  _unlock(lock: ScopedLock): void {
    lock._held = false;
    const waiters = this.#waiters;
    const next = waiters.head;
    if (next === undefined) {
      this.#holder = undefined;
      return;
    }
    // A condition variable re-taking the lock waits with its own ScopedLock as data.
    const handed = (next.data as ScopedLock | undefined) ?? new ScopedLock(this, false);
    handed._held = true;
    this.#holder = handed;
    waiters.grant(next, handed);
  }

  /** @internal */
  _relock(lock: ScopedLock): Promise<void> {
    if (this.#holder === undefined) {
      lock._held = true;
      this.#holder = lock;
      return Promise.resolve();
    }
    return this.#waiters.enqueue(lock, undefined, undefined) as Promise<unknown> as Promise<void>;
  }
}
