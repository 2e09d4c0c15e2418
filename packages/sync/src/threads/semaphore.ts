import { isStopRequested, refuseUnknownOptions, type StopLike, type WaitOptions } from '@coro/task';
import { SemaphoreOverflowError } from '../errors.ts';
import {
  attachNext,
  CANCELLED,
  checkInteger,
  GRANTED,
  type SharedCore,
  type SharedHandle,
  SharedCore as Core,
  type SharedOptions,
  sharedOptionKeys,
  TIMED_OUT,
  takeAttached,
  WOKEN,
} from './core.ts';
import { readThreadWaitOptions } from './timing.ts';
import { waitOn } from './wait.ts';

const MAGIC = 0x43736d70; // 'Csmp'
const VALUE = 0;
const MAX = 1;
const SHUTDOWN = 2;
const FIELDS = 3;
const WAITERS = 0;
const LABEL = 'threads Semaphore.acquire';
const resolvedAcquired = Promise.resolve('acquired' as const);
const resolvedShutdown = Promise.resolve('shutdown' as const);
const resolvedCancelled = Promise.resolve('cancelled' as const);
const resolvedTimeout = Promise.resolve('timeout' as const);

async function parked(wait: Promise<number>): Promise<AcquireResult> {
  const state = await wait;
  if (state === GRANTED) return 'acquired';
  if (state === WOKEN) return 'shutdown';
  if (state === TIMED_OUT) return 'timeout';
  if (state === CANCELLED) return 'cancelled';
  throw new Error(`unexpected semaphore wait state ${state}`);
}

/** What `Semaphore.acquire` resolves with. */
export type AcquireResult = 'acquired' | 'shutdown' | 'timeout' | 'cancelled';

/**
 * A counting semaphore shared by threads (state in a `SharedArrayBuffer`; send it to workers and
 * rebuild it there with `Semaphore.from`). `acquire()` takes a permit or waits for one without
 * blocking the thread; permits released go straight to the oldest waiter (FIFO).
 *
 * Statuses of `acquire`: `'acquired'`, `'shutdown'` (after `shutdown()`), `'timeout'`,
 * `'cancelled'`. Errors: `release()` beyond `max` throws `SemaphoreOverflowError`; a bad `max`
 * or `initial` throws `InvalidArgumentError`.
 *
 * @example
 * const limit = new Semaphore(4);
 * if ((await limit.acquire({ timeout: 1000 })) === 'acquired') {
 *   try { await work() } finally { limit.release() }
 * }
 */
export class Semaphore {
  /** The shared memory holding this semaphore; what a structured clone carries. */
  readonly buffer: SharedArrayBuffer;
  readonly #core: SharedCore;

  /** A semaphore of `max` permits, `initial` (default `max`) of them available. */
  constructor(max: number, initial: number = max, options?: SharedOptions) {
    refuseUnknownOptions(options, sharedOptionKeys, 'threads Semaphore');
    const shared = takeAttached();
    if (shared !== undefined) {
      this.#core = shared.core;
      this.buffer = shared.buffer;
      shared.core.handOff = this;
      return;
    }
    checkInteger(max, 'Semaphore max', 1);
    checkInteger(initial, 'Semaphore initial', 0, max);
    const { core, buffer } = Core.create(MAGIC, FIELDS, 1, options);
    core.set(VALUE, initial);
    core.set(MAX, max);
    this.#core = core;
    this.buffer = buffer;
    core.handOff = this;
  }

  /** Rebuilds the semaphore on this thread from itself, its structured clone or its buffer. */
  static from(handle: Semaphore | SharedHandle): Semaphore {
    if (handle instanceof Semaphore) return handle;
    attachNext(Core.attach(handle, MAGIC, FIELDS, 1, 'Semaphore'));
    return new Semaphore(1);
  }

  /** Permits available now. */
  get value(): number {
    return this.#core.load(VALUE);
  }

  /** The most permits there can be. */
  get max(): number {
    return this.#core.load(MAX);
  }

  /** Whether `shutdown()` was called. */
  get isShutdown(): boolean {
    return this.#core.load(SHUTDOWN) === 1;
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

  /** Takes a permit if one is free and nobody waits; `false` otherwise (and after shutdown). */
  tryAcquire(): boolean {
    const core = this.#core;
    core.lock();
    if (core.get(SHUTDOWN) === 0 && core.get(VALUE) > 0) {
      core.set(VALUE, core.get(VALUE) - 1);
      core.unlock();
      return true;
    }
    core.unlock();
    return false;
  }

  /** Takes a permit, waiting in line (FIFO) while none is free. */
  acquire(options?: WaitOptions): Promise<AcquireResult> {
    const { signal, timeout } = readThreadWaitOptions(options);
    const core = this.#core;
    let now: boolean;
    try {
      now = core.tryLockBriefly();
    } catch (error) {
      return Promise.reject(error);
    }
    return now
      ? this.#acquire(signal, timeout)
      : core.lockAsync(() => this.#acquire(signal, timeout));
  }

  /** The rest of `acquire`, with the guard held. */
  #acquire(signal: StopLike | undefined, timeout: number | undefined): Promise<AcquireResult> {
    const core = this.#core;
    // The one precedence rule: the call's own stop first, then shutdown, then a free permit.
    if (isStopRequested(signal)) {
      core.unlock();
      return resolvedCancelled;
    }
    if (core.get(SHUTDOWN) === 1) {
      core.unlock();
      return resolvedShutdown;
    }
    // Waiters only exist while the count is 0, so a free permit is never taken from one.
    if (core.get(VALUE) > 0) {
      core.set(VALUE, core.get(VALUE) - 1);
      core.unlock();
      return resolvedAcquired;
    }
    if (timeout === 0) {
      core.unlock();
      return resolvedTimeout;
    }
    const slot = core.enqueue(WAITERS, 0);
    return parked(waitOn(core, WAITERS, slot, signal, timeout, undefined, LABEL));
  }

  /**
   * Returns a permit: to the oldest waiter if any, otherwise to the count. Throws
   * `SemaphoreOverflowError` (changing nothing) if the count is already at `max`.
   */
  release(): void {
    const core = this.#core;
    core.lock();
    if (core.wakeHead(WAITERS, GRANTED)) {
      core.unlock();
      return;
    }
    const value = core.get(VALUE);
    const max = core.get(MAX);
    if (value >= max) {
      core.unlock();
      throw new SemaphoreOverflowError(`release() of a Semaphore already at its max of ${max}`, {
        max,
      });
    }
    core.set(VALUE, value + 1);
    core.unlock();
  }

  /** @internal Under the guard: a permit was handed to a thread that ended; pass it on. */
  reclaim(_list: number, state: number): void {
    const core = this.#core;
    if (state !== GRANTED || core.wakeHead(WAITERS, GRANTED)) return;
    core.set(VALUE, core.get(VALUE) + 1);
  }

  /** Wakes every waiter with `'shutdown'`; every later `acquire` returns `'shutdown'` at once. */
  shutdown(): void {
    const core = this.#core;
    core.lock();
    core.set(SHUTDOWN, 1);
    core.wakeAll(WAITERS, WOKEN);
    core.unlock();
  }
}
