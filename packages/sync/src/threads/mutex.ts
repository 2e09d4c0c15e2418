import { isStopRequested, readWaitOptions, type WaitOptions } from '@coro/task';
import { LockNotHeldError } from '../errors.ts';
import { ScopedLock, type ThreadLockOwner } from './scoped-lock.ts';
import {
  attachNext,
  CANCELLED,
  GRANTED,
  type SharedHandle,
  SharedCore,
  type SharedOptions,
  TIMED_OUT,
  takeAttached,
  waitOn,
} from './core.ts';

/** What `lock({ signal, timeout })` resolves with when it gives up. */
export type LockStatus = 'timeout' | 'cancelled';

const MAGIC = 0x436d7478; // 'Cmtx'
const LOCKED = 0;
const FIELDS = 1;
const WAITERS = 0;
const LABEL = 'threads Mutex.lock';
const resolvedCancelled = Promise.resolve('cancelled' as const);
const resolvedTimeout = Promise.resolve('timeout' as const);

/**
 * A mutex shared by threads: its state lives in a `SharedArrayBuffer`, so it can be created on
 * one thread and sent to workers (`postMessage`, `workerData`) and rebuilt there with
 * `Mutex.from(received)`. `lock()` never blocks a thread: it parks with `Atomics.waitAsync`.
 * The lock is handed directly to the oldest waiter (FIFO, no barging), whatever its thread.
 *
 * `lock()` resolves with a `ScopedLock`; with `{ timeout }` or `{ signal }` it resolves with
 * `'timeout'` or `'cancelled'` when it gives up.
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

  /** Creates an unlocked mutex. `maxWaiters` bounds how many may wait at once (default 1024). */
  constructor(options?: SharedOptions) {
    const { core, buffer } = takeAttached() ?? SharedCore.create(MAGIC, FIELDS, 1, options);
    this.#core = core;
    this.buffer = buffer;
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

  /** Whether some thread holds the lock. */
  get isLocked(): boolean {
    return this.#core.load(LOCKED) === 1;
  }

  /** How many waiters (on all threads) are in line: for tests and diagnostics. */
  get waiterCount(): number {
    return this.#core.loadCount(WAITERS);
  }

  /** Takes the lock if it is free and nobody waits; `undefined` otherwise. */
  tryLock(): ScopedLock | undefined {
    const core = this.#core;
    core.lock();
    if (core.get(LOCKED) === 0) {
      core.set(LOCKED, 1);
      core.unlock();
      return new ScopedLock(this, false);
    }
    core.unlock();
    return undefined;
  }

  /** Waits for the lock (FIFO). Resolves with a `ScopedLock`. */
  lock(): Promise<ScopedLock>;
  /** Waits for the lock at most `timeout` ms or until `signal` stops. */
  lock(options: WaitOptions | undefined): Promise<ScopedLock | LockStatus>;
  lock(options?: WaitOptions): Promise<ScopedLock | LockStatus> {
    const { signal, timeout } = readWaitOptions(options);
    const core = this.#core;
    core.lock();
    if (core.get(LOCKED) === 0) {
      core.set(LOCKED, 1);
      core.unlock();
      return Promise.resolve(new ScopedLock(this, false));
    }
    if (isStopRequested(signal)) {
      core.unlock();
      return resolvedCancelled;
    }
    if (timeout === 0) {
      core.unlock();
      return resolvedTimeout;
    }
    const slot = core.enqueue(WAITERS, 0);
    return this.#parked(waitOn(core, WAITERS, slot, signal, timeout, undefined, LABEL));
  }

  async #parked(wait: Promise<number>): Promise<ScopedLock | LockStatus> {
    const state = await wait;
    if (state === GRANTED) return new ScopedLock(this, false);
    if (state === TIMED_OUT) return 'timeout';
    if (state === CANCELLED) return 'cancelled';
    throw new Error(`unexpected mutex wait state ${state}`);
  }

  /**
   * Releases the lock: hands it to the oldest waiter, or frees it if nobody waits. Throws
   * `LockNotHeldError` if the mutex is not locked (and changes nothing).
   */
  unlock(): void {
    const core = this.#core;
    core.lock();
    if (core.get(LOCKED) === 0) {
      core.unlock();
      throw new LockNotHeldError('unlock() of a Mutex that is not locked');
    }
    // Hand-off: the lock stays taken and passes to the head waiter.
    if (!core.wakeHead(WAITERS, GRANTED)) core.set(LOCKED, 0);
    core.unlock();
  }

  /** @internal */
  _release(_shared: boolean): void {
    this.unlock();
  }

  /** @internal */
  async _acquire(_shared: boolean): Promise<void> {
    await this.lock();
  }
}
