import { LockNotHeldError } from './errors.ts';

/** What a `ScopedLock` holds: a `Mutex` or a `SharedMutex` (its members are internal). */
export interface LockOwner {
  /** @internal Releases `lock`, which is held. */
  _unlock(lock: ScopedLock): void;
  /** @internal Takes the lock again for `lock` (no timeout: a condition variable must hold it on return). */
  _relock(lock: ScopedLock): Promise<void>;
}

/**
 * libcoro's `coro::scoped_lock`: proof that you hold a `Mutex` (or a `SharedMutex`, exclusively
 * or shared), returned by `lock()`. Release it with `unlock()` or let `using` do it on scope exit
 * — also when the scope throws.
 *
 * Each acquisition gets its own `ScopedLock`, so a stale one can never release somebody else's
 * hold. `unlock()` on a lock that is no longer held throws `LockNotHeldError` (the mutex is left
 * as it was); disposing one that is no longer held does nothing, so an early `unlock()` inside a
 * `using` scope is fine.
 *
 * @example
 * {
 *   using lock = await mutex.lock();
 *   shared.push(value);
 * } // unlocked here
 */
export class ScopedLock implements Disposable {
  /** @internal */ _owner: LockOwner;
  /** @internal */ _held = true;
  /** @internal Shared holders of a `SharedMutex` form an intrusive list. */
  _prev: ScopedLock | undefined = undefined;
  /** @internal */ _next: ScopedLock | undefined = undefined;
  /** Whether this is a shared (reader) hold of a `SharedMutex`. */
  readonly shared: boolean;

  /** @internal Made by `Mutex` and `SharedMutex`. */
  constructor(owner: LockOwner, shared: boolean) {
    this._owner = owner;
    this.shared = shared;
  }

  /** Whether this lock is still held. */
  get isHeld(): boolean {
    return this._held;
  }

  /** The mutex this lock holds. */
  get mutex(): LockOwner {
    return this._owner;
  }

  /** Releases the lock. Throws `LockNotHeldError` if it was already released. */
  unlock(): void {
    if (!this._held) {
      throw new LockNotHeldError('this ScopedLock was already unlocked; nothing was released');
    }
    this._owner._unlock(this);
  }

  /** Releases the lock if it is still held (what `using` calls on scope exit). */
  [Symbol.dispose](): void {
    if (this._held) this._owner._unlock(this);
  }
}
