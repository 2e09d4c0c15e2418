import { LockNotHeldError } from '../errors.ts';

/** What a thread `ScopedLock` releases and takes again: a thread `Mutex` or `SharedMutex`. */
export interface ThreadLockOwner {
  /** Releases one hold (exclusive, or shared when `shared`). */
  _release(shared: boolean): void;
  /** Takes a hold again, without timeout (a condition variable must hold it on return). */
  _acquire(shared: boolean): Promise<void>;
}

/**
 * Proof of holding a thread-safe `Mutex` or `SharedMutex` (exclusively, or shared when
 * `shared`): `unlock()` it once, or let `using` release it at the end of the scope, also on
 * throw. Unlocking it a second time throws `LockNotHeldError` and releases nothing. It is local
 * to the thread that locked; the lock itself is what other threads see.
 *
 * @example
 * using lock = await mutex.lock();
 * counter[0]++;
 */
export class ScopedLock implements Disposable {
  readonly #owner: ThreadLockOwner;
  #held = true;
  /** Whether this is a shared (reader) hold of a `SharedMutex`. */
  readonly shared: boolean;

  /** @internal Made by `Mutex` and `SharedMutex`. */
  constructor(owner: ThreadLockOwner, shared: boolean) {
    this.#owner = owner;
    this.shared = shared;
  }

  /** Whether this lock is still held. */
  get isHeld(): boolean {
    return this.#held;
  }

  /** The mutex this lock belongs to. */
  get mutex(): ThreadLockOwner {
    return this.#owner;
  }

  /** Releases the lock (handing it on to the next waiter, on whichever thread it waits). */
  unlock(): void {
    if (!this.#held) {
      throw new LockNotHeldError('this ScopedLock was already unlocked; nothing was released');
    }
    this.#held = false;
    this.#owner._release(this.shared);
  }

  /** Releases the lock if it is still held (what `using` calls on scope exit). */
  [Symbol.dispose](): void {
    if (this.#held) this.unlock();
  }

  /** @internal For `ConditionVariable.wait`: release while waiting… */
  _suspend(): void {
    this.unlock();
  }

  /** @internal …and hold it again before returning. */
  async _resume(): Promise<void> {
    await this.#owner._acquire(this.shared);
    this.#held = true;
  }
}
