import { isStopRequested, readWaitOptions, type WaitOptions } from '@coro/task';
import { LockNotHeldError } from '../errors.ts';
import {
  attachNext,
  CANCELLED,
  GRANTED,
  type LeaveHook,
  type SharedCore,
  type SharedHandle,
  SharedCore as Core,
  type SharedOptions,
  TIMED_OUT,
  takeAttached,
  waitOn,
} from './core.ts';
import type { LockStatus } from './mutex.ts';
import { ScopedLock, type ThreadLockOwner } from './scoped-lock.ts';

const MAGIC = 0x4373686d; // 'Cshm'
const EXCLUSIVE = 0;
const SHARED = 1;
const FIELDS = 2;
const WAITERS = 0;
const TAG_EXCLUSIVE = 0;
const TAG_SHARED = 1;

/**
 * A readers–writer lock shared by threads. `lockShared()` holders may overlap; `lock()` is
 * exclusive. Waiters form one FIFO line across all threads: a waiting exclusive locker blocks
 * later shared lockers (no writer starvation), and when the lock frees up, every shared waiter
 * queued ahead of the next exclusive one is admitted at once. Both resolve with a `ScopedLock`,
 * or `'timeout'` / `'cancelled'` when they give up. Send it to workers and rebuild it there with
 * `SharedMutex.from`.
 *
 * @example
 * const rw = SharedMutex.from(workerData.rw);
 * { using read = await rw.lockShared(); total = view[0] + view[1]; }
 * { using write = await rw.lock(); view[0]++; view[1]--; }
 */
export class SharedMutex implements ThreadLockOwner, LeaveHook {
  /** The shared memory holding this lock; what a structured clone carries. */
  readonly buffer: SharedArrayBuffer;
  readonly #core: SharedCore;

  /** Creates an unlocked shared mutex. */
  constructor(options?: SharedOptions) {
    const { core, buffer } = takeAttached() ?? Core.create(MAGIC, FIELDS, 1, options);
    this.#core = core;
    this.buffer = buffer;
  }

  /** Rebuilds the shared mutex on this thread from itself, its structured clone or its buffer. */
  static from(handle: SharedMutex | SharedHandle): SharedMutex {
    if (handle instanceof SharedMutex) return handle;
    attachNext(Core.attach(handle, MAGIC, FIELDS, 1, 'SharedMutex'));
    return new SharedMutex();
  }

  /** Whether it is held exclusively. */
  get isLocked(): boolean {
    return this.#core.load(EXCLUSIVE) === 1;
  }

  /** How many shared holds there are. */
  get sharedCount(): number {
    return this.#core.load(SHARED);
  }

  /** How many waiters (on all threads) are in line: for tests and diagnostics. */
  get waiterCount(): number {
    return this.#core.loadCount(WAITERS);
  }

  /** @internal Whether a thread is inside an operation on it: for tests that kill threads. */
  get _guardHeld(): boolean {
    return this.#core.guardHeld();
  }

  /** @internal Free waiter slots: for leak tests. */
  get _freeSlots(): number {
    return this.#core.freeSlots();
  }

  /** Takes the lock exclusively if nobody holds or waits for it; `undefined` otherwise. */
  tryLock(): ScopedLock | undefined {
    const core = this.#core;
    core.lock();
    const free = core.get(EXCLUSIVE) === 0 && core.get(SHARED) === 0 && core.count(WAITERS) === 0;
    if (free) core.set(EXCLUSIVE, 1);
    core.unlock();
    return free ? new ScopedLock(this, false) : undefined;
  }

  /** Takes a shared hold if no one holds it exclusively or waits; `undefined` otherwise. */
  tryLockShared(): ScopedLock | undefined {
    const core = this.#core;
    core.lock();
    const free = core.get(EXCLUSIVE) === 0 && core.count(WAITERS) === 0;
    if (free) core.set(SHARED, core.get(SHARED) + 1);
    core.unlock();
    return free ? new ScopedLock(this, true) : undefined;
  }

  /** Waits for the exclusive lock (FIFO). */
  lock(): Promise<ScopedLock>;
  /** Waits for the exclusive lock at most `timeout` ms or until `signal` stops. */
  lock(options: WaitOptions | undefined): Promise<ScopedLock | LockStatus>;
  lock(options?: WaitOptions): Promise<ScopedLock | LockStatus> {
    return this.#lock(false, options);
  }

  /** Waits for a shared hold (FIFO, behind any exclusive waiter). */
  lockShared(): Promise<ScopedLock>;
  /** Waits for a shared hold at most `timeout` ms or until `signal` stops. */
  lockShared(options: WaitOptions | undefined): Promise<ScopedLock | LockStatus>;
  lockShared(options?: WaitOptions): Promise<ScopedLock | LockStatus> {
    return this.#lock(true, options);
  }

  async #lock(shared: boolean, options: WaitOptions | undefined): Promise<ScopedLock | LockStatus> {
    const { signal, timeout } = readWaitOptions(options);
    const core = this.#core;
    core.lock();
    if (core.get(EXCLUSIVE) === 0 && core.count(WAITERS) === 0) {
      if (shared) {
        core.set(SHARED, core.get(SHARED) + 1);
        core.unlock();
        return new ScopedLock(this, true);
      }
      if (core.get(SHARED) === 0) {
        core.set(EXCLUSIVE, 1);
        core.unlock();
        return new ScopedLock(this, false);
      }
    }
    if (isStopRequested(signal)) {
      core.unlock();
      return 'cancelled';
    }
    if (timeout === 0) {
      core.unlock();
      return 'timeout';
    }
    const slot = core.enqueue(WAITERS, shared ? TAG_SHARED : TAG_EXCLUSIVE);
    const state = await waitOn(
      core,
      WAITERS,
      slot,
      signal,
      timeout,
      this,
      shared ? 'threads SharedMutex.lockShared' : 'threads SharedMutex.lock',
    );
    if (state === GRANTED) return new ScopedLock(this, shared);
    if (state === TIMED_OUT) return 'timeout';
    if (state === CANCELLED) return 'cancelled';
    throw new Error(`unexpected shared mutex wait state ${state}`);
  }

  /** Releases the exclusive lock. Throws `LockNotHeldError` if it is not held exclusively. */
  unlock(): void {
    const core = this.#core;
    core.lock();
    if (core.get(EXCLUSIVE) === 0) {
      core.unlock();
      throw new LockNotHeldError('unlock() of a SharedMutex that is not locked exclusively');
    }
    core.set(EXCLUSIVE, 0);
    this.#dispatch();
    core.unlock();
  }

  /** Releases one shared hold. Throws `LockNotHeldError` if there is none. */
  unlockShared(): void {
    const core = this.#core;
    core.lock();
    if (core.get(SHARED) === 0) {
      core.unlock();
      throw new LockNotHeldError('unlockShared() of a SharedMutex with no shared holder');
    }
    core.set(SHARED, core.get(SHARED) - 1);
    this.#dispatch();
    core.unlock();
  }

  /**
   * Under the guard: admits waiters from the head of the line while they fit — one exclusive
   * waiter when nobody holds the lock, or every shared waiter up to the next exclusive one.
   */
  #dispatch(): void {
    const core = this.#core;
    if (core.get(EXCLUSIVE) === 1) return;
    for (let slot = core.head(WAITERS); slot !== -1; slot = core.head(WAITERS)) {
      if (core.tag(slot) === TAG_EXCLUSIVE) {
        if (core.get(SHARED) !== 0) return;
        if (core.grant(WAITERS, slot, GRANTED)) {
          core.set(EXCLUSIVE, 1);
          return;
        }
        continue; // its thread is gone: skipped
      }
      if (core.grant(WAITERS, slot, GRANTED)) core.set(SHARED, core.get(SHARED) + 1);
    }
  }

  /** @internal A waiter left the line (under the guard): the ones behind may now fit. */
  afterLeave(_list: number): void {
    this.#dispatch();
  }

  /** @internal */
  _release(shared: boolean): void {
    if (shared) this.unlockShared();
    else this.unlock();
  }

  /** @internal */
  async _acquire(shared: boolean): Promise<void> {
    await this.#lock(shared, undefined);
  }
}
