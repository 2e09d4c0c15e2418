import { refuseUnknownOptions, type WaitOptions } from '@coro/task';
import { InvalidArgumentError } from '../errors.ts';
import {
  attachNext,
  GRANTED,
  type SharedCore,
  type SharedHandle,
  SharedCore as Core,
  type SharedOptions,
  sharedOptionKeys,
  takeAttached,
} from './core.ts';
import { waitUntilReady } from './wait.ts';

const MAGIC = 0x43657674; // 'Cevt'
const SET = 0;
const FIELDS = 1;
const WAITERS = 0;

/** The order in which `Event.set` wakes its waiters. */
export type ResumeOrder = 'fifo' | 'lifo';

/**
 * A manual-reset event shared by threads. `wait()` resolves `true` once the event is set (at
 * once if it already is), or `false` on timeout / stop. `set()` wakes every waiter on every
 * thread; `reset()` makes later waits wait again. Send it to workers and rebuild it there with
 * `Event.from`.
 *
 * @example
 * const ready = new Event();
 * new Worker(url, { workerData: { ready } });  // worker: await Event.from(workerData.ready).wait()
 * ready.set();
 */
export class Event {
  /** The shared memory holding this event; what a structured clone carries. */
  readonly buffer: SharedArrayBuffer;
  readonly #core: SharedCore;

  /** An event, set from the start if `initiallySet`. */
  constructor(initiallySet = false, options?: SharedOptions) {
    if (typeof initiallySet !== 'boolean') {
      throw new InvalidArgumentError(
        `threads Event: initiallySet must be a boolean, got ${String(initiallySet)}`,
      );
    }
    refuseUnknownOptions(options, sharedOptionKeys, 'threads Event');
    const shared = takeAttached();
    if (shared !== undefined) {
      this.#core = shared.core;
      this.buffer = shared.buffer;
      return;
    }
    const { core, buffer } = Core.create(MAGIC, FIELDS, 1, options);
    core.set(SET, initiallySet ? 1 : 0);
    this.#core = core;
    this.buffer = buffer;
  }

  /** Rebuilds the event on this thread from itself, its structured clone or its buffer. */
  static from(handle: Event | SharedHandle): Event {
    if (handle instanceof Event) return handle;
    attachNext(Core.attach(handle, MAGIC, FIELDS, 1, 'Event'));
    return new Event();
  }

  /** Whether the event is set. */
  get isSet(): boolean {
    return this.#core.load(SET) === 1;
  }

  /** How many waiters (on all threads) are waiting: for tests and diagnostics. */
  get waiterCount(): number {
    return this.#core.loadCount(WAITERS);
  }

  /** @internal Free waiter slots: for leak tests. */
  get _freeSlots(): number {
    return this.#core.freeSlots();
  }

  /** Sets the event and wakes every waiter, oldest first (`'fifo'`, default) or newest first. */
  set(order: ResumeOrder = 'fifo'): void {
    if (order !== 'fifo' && order !== 'lifo') {
      throw new InvalidArgumentError(`order must be 'fifo' or 'lifo', got ${String(order)}`);
    }
    const core = this.#core;
    core.lock();
    core.set(SET, 1);
    core.wakeAll(WAITERS, GRANTED, order === 'lifo');
    core.unlock();
  }

  /** Clears the event: later `wait()`s wait for the next `set()`. */
  reset(): void {
    const core = this.#core;
    core.lock();
    core.set(SET, 0);
    core.unlock();
  }

  /** Waits until the event is set: `true`, or `false` on timeout or stop. */
  wait(options?: WaitOptions): Promise<boolean> {
    const core = this.#core;
    return waitUntilReady(core, WAITERS, () => core.get(SET) === 1, options, 'threads Event.wait');
  }
}
