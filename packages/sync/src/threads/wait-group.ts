import { refuseUnknownOptions, type WaitOptions } from '@coro/task';
import { InvalidArgumentError, NegativeCountError } from '../errors.ts';
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

const MAGIC = 0x43776770; // 'Cwgp'
const COUNT = 0;
const FIELDS = 1;
const WAITERS = 0;

/**
 * A reusable counter of outstanding work shared by threads (Go's / co's wait group): `add(n)`
 * before starting work, `done()` when a piece ends (on any thread), and `wait()` resolves `true`
 * when the count is zero (`false` on timeout / stop). Send it to workers and rebuild it there
 * with `WaitGroup.from`. `done()` below zero throws `NegativeCountError`.
 *
 * @example
 * const wg = new WaitGroup();
 * wg.add(2);
 * for (let i = 0; i < 2; i++) new Worker(url, { workerData: { wg } }); // each: wg.done()
 * await wg.wait();
 */
export class WaitGroup {
  /** The shared memory holding this wait group; what a structured clone carries. */
  readonly buffer: SharedArrayBuffer;
  readonly #core: SharedCore;

  /** A wait group starting at `count` (default 0). */
  constructor(count = 0, options?: SharedOptions) {
    refuseUnknownOptions(options, sharedOptionKeys, 'threads WaitGroup');
    const shared = takeAttached();
    if (shared !== undefined) {
      this.#core = shared.core;
      this.buffer = shared.buffer;
      return;
    }
    checkInteger(count, 'WaitGroup count');
    const { core, buffer } = Core.create(MAGIC, FIELDS, 1, options);
    core.set(COUNT, count);
    this.#core = core;
    this.buffer = buffer;
  }

  /** Rebuilds the wait group on this thread from itself, its structured clone or its buffer. */
  static from(handle: WaitGroup | SharedHandle): WaitGroup {
    if (handle instanceof WaitGroup) return handle;
    attachNext(Core.attach(handle, MAGIC, FIELDS, 1, 'WaitGroup'));
    return new WaitGroup();
  }

  /** Outstanding work. */
  get count(): number {
    return this.#core.load(COUNT);
  }

  /** How many waiters (on all threads) are waiting: for tests and diagnostics. */
  get waiterCount(): number {
    return this.#core.loadCount(WAITERS);
  }

  /** @internal Free waiter slots: for leak tests. */
  get _freeSlots(): number {
    return this.#core.freeSlots();
  }

  /**
   * Adds `n` (default 1; may be negative) to the count; at zero every waiter wakes. Throws
   * `NegativeCountError` (changing nothing) if the count would drop below zero.
   */
  add(n = 1): void {
    checkInteger(n, 'WaitGroup add n', -0x7fffffff);
    const core = this.#core;
    core.lock();
    const count = core.get(COUNT) + n;
    if (count < 0) {
      core.unlock();
      throw new NegativeCountError(`WaitGroup count would become ${count}`);
    }
    if (count > 0x7fffffff) {
      core.unlock();
      throw new InvalidArgumentError(`WaitGroup count would overflow to ${count}`);
    }
    core.set(COUNT, count);
    if (count === 0) core.wakeAll(WAITERS, GRANTED);
    core.unlock();
  }

  /** Marks one piece of work done (`add(-1)`). */
  done(): void {
    this.add(-1);
  }

  /** Waits until the count is zero: `true`, or `false` on timeout or stop. */
  wait(options?: WaitOptions): Promise<boolean> {
    const core = this.#core;
    return waitUntilReady(
      core,
      WAITERS,
      () => core.get(COUNT) === 0,
      options,
      'threads WaitGroup.wait',
    );
  }
}
