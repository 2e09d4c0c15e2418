import { isStopRequested, readWaitOptions, type WaitOptions } from '@coro/task';
import { LockNotHeldError } from './errors.ts';
import { resolvedCancelled, resolvedTimeout } from './internal/resolved.ts';
import { type Waiter, WaitList } from './internal/waiter.ts';
import type { LockStatus } from './mutex.ts';
import { type LockOwner, ScopedLock } from './scoped-lock.ts';

const EXCLUSIVE = 0;
const SHARED = 1;

interface SharedWaitData {
  readonly mode: typeof EXCLUSIVE | typeof SHARED;
  /** Set when a condition variable re-takes the lock with its existing ScopedLock. */
  readonly lock: ScopedLock | undefined;
}

const exclusiveWait: SharedWaitData = Object.freeze({ mode: EXCLUSIVE, lock: undefined });
const sharedWait: SharedWaitData = Object.freeze({ mode: SHARED, lock: undefined });

/**
 * libcoro's `coro::shared_mutex` (a readers–writer lock): many shared holders or one exclusive
 * holder. Strictly first come, first served: a waiting exclusive locker blocks every shared
 * locker that comes after it (writers are not starved), and releasing the exclusive lock admits
 * every shared waiter queued ahead of the next exclusive one at once.
 *
 * @example
 * const rw = new SharedMutex();
 * async function read() { using lock = await rw.lockShared(); return cache.get(key) }
 * async function write(v) { using lock = await rw.lock(); cache.set(key, v) }
 */
export class SharedMutex implements LockOwner {
  #exclusive: ScopedLock | undefined = undefined;
  /** Shared holds, newest first (`#sharedTail` is the oldest). */
  #sharedHead: ScopedLock | undefined = undefined;
  #sharedTail: ScopedLock | undefined = undefined;
  #sharedCount = 0;
  readonly #waiters = new WaitList<ScopedLock | LockStatus>(
    'SharedMutex.lock',
    'timeout',
    'cancelled',
    () =>
      // A waiter that gave up may have been the exclusive one holding back shared waiters.
      this.#dispatch(),
  );

  /** Whether the mutex is held exclusively. */
  get isLocked(): boolean {
    return this.#exclusive !== undefined;
  }

  /** How many shared holders there are. */
  get sharedCount(): number {
    return this.#sharedCount;
  }

  /** How many lock calls (either kind) are waiting: for tests and diagnostics. */
  get waiterCount(): number {
    return this.#waiters.length;
  }

  /**
   * Takes the lock exclusively, waiting in line. Resolves with a `ScopedLock`; with
   * `{ timeout }` or `{ signal }`, `'timeout'` or `'cancelled'` if that comes first.
   */
  lock(): Promise<ScopedLock>;
  lock(options: WaitOptions | undefined): Promise<ScopedLock | LockStatus>;
  lock(options?: WaitOptions): Promise<ScopedLock | LockStatus> {
    if (options === undefined) {
      const lock = this.tryLock();
      if (lock !== undefined) return Promise.resolve(lock);
      return this.#waiters.enqueue(exclusiveWait, undefined, undefined);
    }
    const { signal, timeout } = readWaitOptions(options);
    if (isStopRequested(signal)) return resolvedCancelled;
    const lock = this.tryLock();
    if (lock !== undefined) return Promise.resolve(lock);
    if (timeout === 0) return resolvedTimeout;
    return this.#waiters.enqueue(exclusiveWait, signal, timeout);
  }

  /**
   * Takes the lock shared, waiting behind any exclusive locker in line. Resolves with a shared
   * `ScopedLock`; with `{ timeout }` or `{ signal }`, `'timeout'` or `'cancelled'`.
   */
  lockShared(): Promise<ScopedLock>;
  lockShared(options: WaitOptions | undefined): Promise<ScopedLock | LockStatus>;
  lockShared(options?: WaitOptions): Promise<ScopedLock | LockStatus> {
    if (options === undefined) {
      const lock = this.tryLockShared();
      if (lock !== undefined) return Promise.resolve(lock);
      return this.#waiters.enqueue(sharedWait, undefined, undefined);
    }
    const { signal, timeout } = readWaitOptions(options);
    if (isStopRequested(signal)) return resolvedCancelled;
    const lock = this.tryLockShared();
    if (lock !== undefined) return Promise.resolve(lock);
    if (timeout === 0) return resolvedTimeout;
    return this.#waiters.enqueue(sharedWait, signal, timeout);
  }

  /** Takes the lock exclusively if nobody holds it and nobody waits: a `ScopedLock` or `undefined`. */
  tryLock(): ScopedLock | undefined {
    if (this.#exclusive !== undefined || this.#sharedCount !== 0 || this.#waiters.length !== 0) {
      return undefined;
    }
    return (this.#exclusive = new ScopedLock(this, false));
  }

  /** Takes the lock shared if no exclusive locker holds or waits for it: a `ScopedLock` or `undefined`. */
  tryLockShared(): ScopedLock | undefined {
    // In shared or free mode a non-empty line always starts with an exclusive waiter.
    if (this.#exclusive !== undefined || this.#waiters.length !== 0) return undefined;
    const lock = new ScopedLock(this, true);
    this.#addShared(lock);
    return lock;
  }

  /** Releases the exclusive lock. Throws `LockNotHeldError` if it is not held exclusively. */
  unlock(): void {
    const holder = this.#exclusive;
    if (holder === undefined) {
      throw new LockNotHeldError('unlock() of a shared mutex that is not locked exclusively');
    }
    this._unlock(holder);
  }

  /**
   * Releases one shared hold without its guard: the oldest one (held longest). That hold's
   * `ScopedLock` then reports `isHeld === false`, its `unlock()` throws and its dispose does
   * nothing. Prefer releasing through the guard `lockShared()` returned: it always releases
   * exactly its own hold. Throws `LockNotHeldError` if there is no shared holder.
   */
  unlockShared(): void {
    const holder = this.#sharedTail;
    if (holder === undefined) {
      throw new LockNotHeldError('unlockShared() of a shared mutex with no shared holder');
    }
    this._unlock(holder);
  }

  #addShared(lock: ScopedLock): void {
    lock._held = true;
    const head = this.#sharedHead;
    lock._prev = undefined;
    lock._next = head;
    if (head !== undefined) head._prev = lock;
    else this.#sharedTail = lock;
    this.#sharedHead = lock;
    this.#sharedCount++;
  }

  /** @internal */
  _unlock(lock: ScopedLock): void {
    lock._held = false;
    if (lock.shared) {
      const { _prev: prev, _next: next } = lock;
      if (prev === undefined) this.#sharedHead = next;
      else prev._next = next;
      if (next !== undefined) next._prev = prev;
      else this.#sharedTail = prev;
      lock._prev = lock._next = undefined;
      this.#sharedCount--;
    } else {
      this.#exclusive = undefined;
    }
    this.#dispatch();
  }

  /** @internal */
  _relock(lock: ScopedLock): Promise<void> {
    if (lock.shared) {
      if (this.#exclusive === undefined && this.#waiters.length === 0) {
        this.#addShared(lock);
        return Promise.resolve();
      }
      return this.#waiters.enqueue({ mode: SHARED, lock }, undefined, undefined).then(noop);
    }
    if (this.#exclusive === undefined && this.#sharedCount === 0 && this.#waiters.length === 0) {
      lock._held = true;
      this.#exclusive = lock;
      return Promise.resolve();
    }
    return this.#waiters.enqueue({ mode: EXCLUSIVE, lock }, undefined, undefined).then(noop);
  }

  /** Admits whoever may go now: the exclusive head when free, else shared waiters up to it. */
  #dispatch(): void {
    if (this.#exclusive !== undefined) return;
    const waiters = this.#waiters;
    let waiter: Waiter<ScopedLock | LockStatus> | undefined = waiters.head;
    while (waiter !== undefined) {
      const data = waiter.data as SharedWaitData;
      if (data.mode === EXCLUSIVE) {
        if (this.#sharedCount !== 0) return;
        const lock = data.lock ?? new ScopedLock(this, false);
        lock._held = true;
        this.#exclusive = lock;
        waiters.grant(waiter, lock);
        return;
      }
      const lock = data.lock ?? new ScopedLock(this, true);
      this.#addShared(lock);
      waiters.grant(waiter, lock);
      waiter = waiters.head;
    }
  }
}

function noop(): void {}
