import { LockNotHeldError } from '../errors.ts';

/**
 * What a thread `ScopedLock` releases and takes again: a thread `Mutex` or `SharedMutex`.
 * Its members are internal.
 */
export interface ThreadLockOwner {
  /** @internal Releases the hold `ticket` (exclusive, or shared when `shared`), or throws. */
  _release(shared: boolean, ticket: number): void;
  /** @internal Releases the hold `ticket` if it is still this thread's; never throws. */
  _releaseIfHeld(shared: boolean, ticket: number): void;
  /** @internal Takes a hold again, without timeout; resolves with its ticket. */
  _acquire(shared: boolean): Promise<number>;
  /** @internal Whether the hold `ticket` is still this thread's. */
  _holds(shared: boolean, ticket: number): boolean;
}

/**
 * Proof of holding a thread-safe `Mutex` or `SharedMutex` (exclusively, or shared when
 * `shared`): `unlock()` it once, or let `using` release it at the end of the scope, also on
 * throw. It stands for one hold, on the thread that locked: unlocking it a second time, or
 * after that hold was released otherwise (a bare `mutex.unlock()` or `unlockShared()` on its
 * thread), throws `LockNotHeldError` and releases nothing — never someone else's hold.
 *
 * @example
 * using lock = await mutex.lock();
 * counter[0]++;
 */
export class ScopedLock implements Disposable {
  readonly #owner: ThreadLockOwner;
  #held = true;
  #ticket: number;
  /** Whether this is a shared (reader) hold of a `SharedMutex`. */
  readonly shared: boolean;

  /** @internal Made by `Mutex` and `SharedMutex`. */
  constructor(owner: ThreadLockOwner, shared: boolean, ticket: number) {
    this.#owner = owner;
    this.shared = shared;
    this.#ticket = ticket;
  }

  /** Whether this lock is still held. */
  get isHeld(): boolean {
    return this.#held && this.#owner._holds(this.shared, this.#ticket);
  }

  /** The mutex this lock belongs to. */
  get mutex(): ThreadLockOwner {
    return this.#owner;
  }

  /** @internal Which hold this is. */
  get _ticket(): number {
    return this.#ticket;
  }

  /**
   * Releases the lock (handing it on to the next waiter, on whichever thread it waits). Throws
   * `LockNotHeldError` if this hold was already released.
   */
  unlock(): void {
    if (!this.#held) {
      throw new LockNotHeldError('this ScopedLock was already unlocked; nothing was released');
    }
    this.#held = false;
    this.#owner._release(this.shared, this.#ticket);
  }

  /** Releases the lock if it is still held (what `using` calls on scope exit). */
  [Symbol.dispose](): void {
    if (!this.#held) return;
    this.#held = false;
    this.#owner._releaseIfHeld(this.shared, this.#ticket);
  }

  /** @internal For `ConditionVariable.wait`: release while waiting… */
  _suspend(): void {
    this.unlock();
  }

  /** @internal …and hold it again before returning. */
  async _resume(): Promise<void> {
    this.#ticket = await this.#owner._acquire(this.shared);
    this.#held = true;
  }
}
