// What drives a scheduler: when its run queues drain, how outside events are delivered, and
// how results from elsewhere are handed over. Two implementations: the event loop (here) and
// the manual driver on virtual time (manual-driver.ts).
import type { Notifier } from './notifier.ts';
import { MicrotaskQueue, RunQueue, type WorkQueue } from './run-queue.ts';

/** The scheduler's view of its driver. */
export interface Driver {
  /** `schedule()`: resumes after what is queued, without waiting for I/O. */
  readonly ready: WorkQueue;
  /** `yield()`: resumes on the next turn, after I/O (the same queue as `ready` when manual). */
  readonly turn: WorkQueue;
  /** Delivers the outcome of an outside event (I/O, a stop request): the one way in. */
  deliver(fn: () => void): void;
  /** Hands over a result produced elsewhere (another thread, an outside promise). */
  handOver<T>(promise: Promise<T>): Promise<T>;
}

/**
 * The Node.js event loop as the driver. The ready queue is the microtask queue (see
 * `MicrotaskQueue`); the turn queue drains in one `setImmediate` callback, in the check phase,
 * after the poll phase ran I/O callbacks — so a task yielding in a loop never starves I/O, and
 * one loop turn resumes every yielder with one callback resolving one shared promise. Outside
 * events are delivered at once.
 */
export class LoopDriver implements Driver {
  readonly ready: MicrotaskQueue;
  readonly turn: RunQueue;
  readonly #notifier: Notifier;

  readonly #drainTurn = (): void => {
    this.turn.drain();
    this.#notifier.notify();
  };

  constructor(notifier: Notifier) {
    this.#notifier = notifier;
    this.ready = new MicrotaskQueue(() => notifier.notify());
    this.turn = new RunQueue(() => setImmediate(this.#drainTurn));
  }

  deliver(fn: () => void): void {
    fn();
  }

  handOver<T>(promise: Promise<T>): Promise<T> {
    return promise;
  }
}
