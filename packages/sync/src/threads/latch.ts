import { refuseUnknownOptions, type WaitOptions } from '@coro/task';
import {
  attachNext,
  checkInteger,
  GRANTED,
  type SharedCore,
  type SharedHandle,
  SharedCore as Core,
  type SharedOptions,
  sharedOptionKeys,
  takeAttached,
} from './core.ts';
import { waitUntilReady } from './wait.ts';

const MAGIC = 0x436c7463; // 'Cltc'
const REMAINING = 0;
const FIELDS = 1;
const WAITERS = 0;

/**
 * A one-shot countdown shared by threads: `countDown()` from any thread, and every `wait()`
 * resolves `true` once the count reaches zero (`false` on timeout / stop). Send it to workers
 * and rebuild it there with `Latch.from`.
 *
 * @example
 * const done = new Latch(4);
 * for (let i = 0; i < 4; i++) new Worker(url, { workerData: { done } }); // each: countDown()
 * await done.wait();
 */
export class Latch {
  /** The shared memory holding this latch; what a structured clone carries. */
  readonly buffer: SharedArrayBuffer;
  readonly #core: SharedCore;

  /** A latch that opens after `count` count-downs (an integer ≥ 0). */
  constructor(count: number, options?: SharedOptions) {
    refuseUnknownOptions(options, sharedOptionKeys, 'threads Latch');
    const shared = takeAttached();
    if (shared !== undefined) {
      this.#core = shared.core;
      this.buffer = shared.buffer;
      return;
    }
    checkInteger(count, 'Latch count');
    const { core, buffer } = Core.create(MAGIC, FIELDS, 1, options);
    core.set(REMAINING, count);
    this.#core = core;
    this.buffer = buffer;
  }

  /** Rebuilds the latch on this thread from itself, its structured clone or its buffer. */
  static from(handle: Latch | SharedHandle): Latch {
    if (handle instanceof Latch) return handle;
    attachNext(Core.attach(handle, MAGIC, FIELDS, 1, 'Latch'));
    return new Latch(0);
  }

  /** Count-downs still needed. */
  get remaining(): number {
    return this.#core.load(REMAINING);
  }

  /** Whether the count reached zero. */
  get isReady(): boolean {
    return this.#core.load(REMAINING) === 0;
  }

  /** How many waiters (on all threads) are waiting: for tests and diagnostics. */
  get waiterCount(): number {
    return this.#core.loadCount(WAITERS);
  }

  /** @internal Free waiter slots: for leak tests. */
  get _freeSlots(): number {
    return this.#core.freeSlots();
  }

  /** Counts down by `n` (default 1, never below zero); at zero every waiter wakes. */
  countDown(n = 1): void {
    checkInteger(n, 'countDown n');
    const core = this.#core;
    core.lock();
    const remaining = Math.max(0, core.get(REMAINING) - n);
    core.set(REMAINING, remaining);
    if (remaining === 0) core.wakeAll(WAITERS, GRANTED);
    core.unlock();
  }

  /** Waits until the count is zero: `true`, or `false` on timeout or stop. */
  wait(options?: WaitOptions): Promise<boolean> {
    const core = this.#core;
    return waitUntilReady(
      core,
      WAITERS,
      () => core.get(REMAINING) === 0,
      options,
      'threads Latch.wait',
    );
  }
}
