import { isStopRequested, refuseUnknownOptions, type StopLike, type WaitOptions } from '@coro/task';
import { LockNotHeldError } from '../errors.ts';
import {
  attachNext,
  CANCELLED,
  GRANTED,
  type SharedHandle,
  SharedCore,
  type SharedOptions,
  sharedOptionKeys,
  THREAD_TAG,
  TIMED_OUT,
  takeAttached,
} from './core.ts';
import { ScopedLock, type ThreadLockOwner } from './scoped-lock.ts';
import { readThreadWaitOptions } from './timing.ts';
import { waitOn } from './wait.ts';
import { EXCLUSIVE_HOLD_FIELDS, ExclusiveHold } from './exclusive-hold.ts';

/** What `lock({ signal, timeout })` resolves with when it gives up. */
export type LockStatus = 'timeout' | 'cancelled';

const MAGIC = 0x436d7478; // 'Cmtx'
const HOLD = 0; // the exclusive hold: held, owner, ticket (see exclusive-hold.ts)
const FIELDS = EXCLUSIVE_HOLD_FIELDS;
const WAITERS = 0;
const LABEL = 'threads Mutex.lock';
const resolvedCancelled = Promise.resolve('cancelled' as const);
const resolvedTimeout = Promise.resolve('timeout' as const);

/**
 * A mutex shared by threads: its state lives in a `SharedArrayBuffer`, so it can be created on
 * one thread and sent to workers (`postMessage`, `workerData`) and rebuilt there with
 * `Mutex.from(received)`. `lock()` never blocks a thread: it parks with `Atomics.waitAsync`.
 * The lock is handed directly to the oldest waiter (FIFO, no barging), whatever its thread; a
 * waiter whose thread ends before it took the lock is skipped.
 *
 * `lock()` resolves with a `ScopedLock`; with `{ timeout }` or `{ signal }` it resolves with
 * `'timeout'` or `'cancelled'` when it gives up.
 *
 * Ownership: the lock belongs to the thread that took it (its id is kept in the shared memory)
 * and, on that thread, to the `ScopedLock` that took it. `scopedLock.unlock()` releases exactly
 * that hold. A bare `mutex.unlock()` releases the calling thread's hold, and throws
 * `LockNotHeldError` (changing nothing) on any other thread; tasks of one thread tell their
 * holds apart by their `ScopedLock`.
 *
 * @example
 * // main thread
 * const mutex = new Mutex();
 * new Worker(url, { workerData: { mutex } });
 * // worker
 * const mutex = Mutex.from(workerData.mutex);
 * using lock = await mutex.lock();
 */
export class Mutex implements ThreadLockOwner {
  /** The shared memory holding this mutex; what a structured clone carries. */
  readonly buffer: SharedArrayBuffer;
  readonly #core: SharedCore;
  readonly #hold: ExclusiveHold;

  /** Creates an unlocked mutex. `maxWaiters` bounds how many may wait at once (default 1024). */
  constructor(options?: SharedOptions) {
    refuseUnknownOptions(options, sharedOptionKeys, 'threads Mutex');
    const { core, buffer } = takeAttached() ?? SharedCore.create(MAGIC, FIELDS, 1, options);
    this.#core = core;
    this.#hold = new ExclusiveHold(core, HOLD);
    this.buffer = buffer;
    core.handOff = this;
  }

  /**
   * Rebuilds a mutex on this thread from the instance, its structured clone (what a worker
   * receives) or its `buffer`; all of them share one lock. Throws `InvalidArgumentError` for
   * anything else.
   */
  static from(handle: Mutex | SharedHandle): Mutex {
    if (handle instanceof Mutex) return handle;
    attachNext(SharedCore.attach(handle, MAGIC, FIELDS, 1, 'Mutex'));
    return new Mutex();
  }

  /** @internal Whether a thread is inside an operation on it: for tests that kill threads. */
  get _guardHeld(): boolean {
    return this.#core.guardHeld();
  }

  /** @internal Free waiter slots (all of them when nobody waits): for leak tests. */
  get _freeSlots(): number {
    return this.#core.freeSlots();
  }

  /**
   * @internal For tests: takes the guard and keeps it for `ms` with this thread blocked, as a
   * thread preempted in the middle of an operation does on a loaded machine. Workers only.
   */
  _holdGuardFor(ms: number): void {
    this.#core.lock();
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    } finally {
      this.#core.unlock();
    }
  }

  /** Whether some thread holds the lock. */
  get isLocked(): boolean {
    return this.#hold.isHeld;
  }

  /** How many waiters (on all threads) are in line: for tests and diagnostics. */
  get waiterCount(): number {
    return this.#core.loadCount(WAITERS);
  }

  /** Takes the lock if it is free and nobody waits; `undefined` otherwise. */
  tryLock(): ScopedLock | undefined {
    const core = this.#core;
    core.lock();
    if (!this.#hold.held) {
      const ticket = this.#hold.take(THREAD_TAG);
      core.unlock();
      return new ScopedLock(this, false, ticket);
    }
    core.unlock();
    return undefined;
  }

  /** Waits for the lock (FIFO). Resolves with a `ScopedLock`. */
  lock(): Promise<ScopedLock>;
  /** Waits for the lock at most `timeout` ms or until `signal` stops. */
  lock(options: WaitOptions | undefined): Promise<ScopedLock | LockStatus>;
  lock(options?: WaitOptions): Promise<ScopedLock | LockStatus> {
    const { signal, timeout } = readThreadWaitOptions(options);
    const core = this.#core;
    let now: boolean;
    try {
      now = core.tryLockBriefly();
    } catch (error) {
      return Promise.reject(error);
    }
    return now
      ? this.#locked(signal, timeout)
      : core.lockAsync(() => this.#locked(signal, timeout));
  }

  /** The rest of `lock`, with the guard held. */
  #locked(
    signal: StopLike | undefined,
    timeout: number | undefined,
  ): Promise<ScopedLock | LockStatus> {
    const core = this.#core;
    // The one precedence rule: a call whose stop came first takes nothing, even a free lock.
    if (isStopRequested(signal)) {
      core.unlock();
      return resolvedCancelled;
    }
    if (!this.#hold.held) {
      const ticket = this.#hold.take(THREAD_TAG);
      core.unlock();
      return Promise.resolve(new ScopedLock(this, false, ticket));
    }
    if (timeout === 0) {
      core.unlock();
      return resolvedTimeout;
    }
    const slot = core.enqueue(WAITERS, THREAD_TAG);
    return this.#parked(waitOn(core, WAITERS, slot, signal, timeout, undefined, LABEL));
  }

  async #parked(wait: Promise<number>): Promise<ScopedLock | LockStatus> {
    const state = await wait;
    // Granted: the granter made this thread the owner with a new ticket, and nobody else can
    // change it since (we hold the lock).
    if (state === GRANTED) return new ScopedLock(this, false, this.#hold.ticket);
    if (state === TIMED_OUT) return 'timeout';
    if (state === CANCELLED) return 'cancelled';
    throw new Error(`unexpected mutex wait state ${state}`);
  }

  /** Under the guard: hands the lock to the oldest live waiter, or frees it. */
  #passOn(): void {
    const core = this.#core;
    for (let slot = core.head(WAITERS); slot !== -1; slot = core.head(WAITERS)) {
      const owner = core.tag(slot);
      if (core.grant(WAITERS, slot, GRANTED)) {
        this.#hold.take(owner);
        return;
      }
    }
    this.#hold.clear();
  }

  /**
   * Releases this thread's hold: hands the lock to the oldest waiter, or frees it if nobody
   * waits. Throws `LockNotHeldError` (and changes nothing) if the mutex is not locked, or is
   * held by another thread.
   */
  unlock(): void {
    const core = this.#core;
    core.lock();
    if (!this.#hold.held) {
      core.unlock();
      throw new LockNotHeldError('unlock() of a Mutex that is not locked');
    }
    if (!this.#hold.heldHere) {
      core.unlock();
      throw new LockNotHeldError(
        'unlock() of a Mutex held by another thread; only the holding thread may release it',
      );
    }
    this.#passOn();
    core.unlock();
  }

  /** @internal */
  _release(_shared: boolean, ticket: number): void {
    const core = this.#core;
    core.lock();
    if (!this.#hold.isHold(ticket)) {
      core.unlock();
      throw new LockNotHeldError(
        'this ScopedLock no longer holds the Mutex (its hold was released by unlock()); nothing was released',
      );
    }
    this.#passOn();
    core.unlock();
  }

  /** @internal Releases the hold `ticket` if it is still this thread's (what `using` does). */
  _releaseIfHeld(_shared: boolean, ticket: number): void {
    const core = this.#core;
    core.lock();
    if (this.#hold.isHold(ticket)) this.#passOn();
    core.unlock();
  }

  /** @internal */
  async _acquire(_shared: boolean): Promise<number> {
    return (await this.lock())._ticket;
  }

  /** @internal */
  _holds(_shared: boolean, ticket: number): boolean {
    return this.#hold.isHoldNow(ticket);
  }

  /** @internal Under the guard: the lock was handed to a thread that ended; pass it on. */
  reclaim(_list: number, state: number): void {
    if (state === GRANTED) this.#passOn();
  }
}
