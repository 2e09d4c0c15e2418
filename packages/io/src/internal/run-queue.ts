// A run queue: what resumes on the next drain, in FIFO order. The driver decides when a drain
// happens (a microtask, the next turn of the event loop, or a round of processEvents).
//
// Callers that only need to be resumed (`schedule()`, `yield()`) join the trailing shared run:
// one promise for all of them, resolved by one call, so a drain resumes N waiting tasks with
// one callback and N promise reactions — no promise, closure or macrotask per task. A function
// pushed in between (a spawned task's start, an outside delivery) ends the run, which keeps the
// order; callers after it start a new run.
//
// The count of pending resumptions has one owner: it grows here and drops when a drain takes
// the batch.
//
// Coroutine tasks (generator bodies, see @coro/task) resume without a promise: the promises
// handed out here are suspendables, so a coroutine that yields one is queued itself, and the
// drain calls its `resume()` — a plain call, no promise reaction. It runs in the batch of the
// run it joined, after the run's awaiting callers are released (they continue once the
// batch's callback returns, with the microtasks, so the coroutine is not ahead of them by more
// than the batch).
import { type Continuation, resumeSoon, type Suspendable, suspend } from '@coro/task';

type Item = (() => void) | Continuation<void>;

/** What the scheduler queues work on: `join()` to resume a caller, `push(fn)` to run a function. */
export interface WorkQueue {
  /** Pending resumptions. */
  readonly size: number;
  /** A promise resolved after everything queued before. */
  join(): Promise<void>;
  /** Runs `fn` after everything queued before. */
  push(fn: () => void): void;
}

/** Pending resumptions, drained in batches. */
/** Above this many slots, a drained batch array is dropped rather than kept for reuse. */
const keepAtMost = 1024;

export class RunQueue implements WorkQueue {
  // Two arrays used in turn, each with its own fill count: a drain clears the slots it ran and
  // keeps the array (setting `length = 0` would give the backing store back, and the next
  // turn's first push would allocate a new one).
  #items: (Item | undefined)[] = [];
  #filled = 0;
  #spare: (Item | undefined)[] = [];
  #count = 0;
  /** The promise of the trailing shared run, while the last item is its resolver. */
  #run: Promise<void> | undefined = undefined;
  // The executor queues the new run's resolver itself: the queue is long-lived (old space), and
  // every young object stored into it costs a write barrier, so the resolver is stored once.
  readonly #queueResolver = (resolve: () => void): void => {
    this.#append(resolve);
  };
  readonly #onFirst: () => void;
  /** The suspend protocol of every run promise: `this` is the promise a coroutine yielded. */
  readonly #suspendOnRun: Suspendable<void>[typeof suspend];

  /** `onFirst` is called when the queue stops being empty: the driver plans a drain. */
  constructor(onFirst: () => void) {
    this.#onFirst = onFirst;
    const queue = this;
    this.#suspendOnRun = function (this: Promise<void>, waiting: Continuation<void>): void {
      // The coroutine joined this run (and was counted): it resumes in the same drain. A run
      // that drained already has resolved; its promise resumes the caller as for `await`.
      if (this === queue.#run) queue.#append(waiting);
      else this.then(() => waiting.resume());
    };
  }

  /** Pending resumptions (every caller of a shared run counts). */
  get size(): number {
    return this.#count;
  }

  /** A promise resolved on the next drain, after everything queued before. */
  join(): Promise<void> {
    this.#count++;
    let run = this.#run;
    if (run === undefined) {
      run = new Promise<void>(this.#queueResolver);
      (run as unknown as Suspendable<void>)[suspend] = this.#suspendOnRun;
      this.#run = run;
    }
    return run;
  }

  /** Runs `fn` on the next drain, after everything queued before. */
  push(fn: () => void): void {
    this.#count++;
    this.#run = undefined;
    this.#append(fn);
  }

  /**
   * Runs what is queued now, in order; what is queued while it runs waits for the next drain.
   * Returns whether anything ran.
   */
  drain(): boolean {
    const batch = this.#items;
    const n = this.#filled;
    if (n === 0) return false;
    this.#items = this.#spare;
    this.#filled = 0;
    this.#count = 0;
    this.#run = undefined;
    for (let i = 0; i < n; i++) {
      const item = batch[i] as Item;
      batch[i] = undefined;
      if (typeof item === 'function') item();
      else item.resume();
    }
    this.#spare = n > keepAtMost ? [] : batch;
    return true;
  }

  #append(fn: Item): void {
    const n = this.#filled++;
    this.#items[n] = fn;
    if (n === 0) this.#onFirst();
  }
}

const resolved = Promise.resolve();
// Coroutines that yield `schedule()`'s promise resume in one microtask for all of them, by plain
// calls (`resumeSoon`): the first one queues it, at the place an `await` would have had. Callers
// that `await` in between resume after that batch; among coroutines, and among awaiting
// callers, the order is first come, first served.
(resolved as unknown as Suspendable<void>)[suspend] = (waiting: Continuation<void>): void => {
  resumeSoon(waiting, undefined);
};

/**
 * The event loop's ready queue is the microtask queue itself: `join()` returns a resolved
 * promise, so `await` queues the caller's continuation directly, in FIFO order with every
 * function pushed (`queueMicrotask`). No promise, closure or callback per caller: measured,
 * this is cheaper than `await null`. The count drops, with one microtask per batch, just
 * before the batch resumes.
 */
export class MicrotaskQueue implements WorkQueue {
  #count = 0;
  readonly #onEmpty: () => void;
  readonly #reset = (): void => {
    this.#count = 0;
    this.#onEmpty();
  };

  /** `onEmpty` is called when a batch was taken (the count dropped to zero). */
  constructor(onEmpty: () => void) {
    this.#onEmpty = onEmpty;
  }

  get size(): number {
    return this.#count;
  }

  join(): Promise<void> {
    if (this.#count++ === 0) queueMicrotask(this.#reset);
    return resolved;
  }

  push(fn: () => void): void {
    if (this.#count++ === 0) queueMicrotask(this.#reset);
    queueMicrotask(fn);
  }
}
