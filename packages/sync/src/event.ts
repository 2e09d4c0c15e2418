import {
  isStopRequested,
  isTracing,
  readWaitOptions,
  type Continuation,
  resumeSoon,
  type Suspendable,
  suspend,
  traceAwait,
  type WaitOptions,
} from '@coro/task';
import { InvalidArgumentError } from './errors.ts';
import { resolvedFalse, resolvedTrue } from './internal/resolved.ts';
import { keepShape } from './internal/shapes.ts';
import { WaitList } from './internal/waiter.ts';

let captured: ((value: true) => void) | undefined;
// The executor runs synchronously: a shared function hands the resolver out, no closure per wait.
function captureFirst(resolve: (value: true) => void): void {
  captured = resolve;
}

// Coroutine waiters (`yield event` in a generator task body) are resumed after `set()` returns,
// as promise waiters are, all of one microtask in one batch: plain calls, no promise
// (`resumeSoon`).

/** The order in which `Event.set()` resumes its waiters. */
export type ResumeOrder = 'fifo' | 'lifo';

/**
 * libcoro's `coro::event` (and co's `Event`): one or more tasks wait until the event is set.
 * Waiting on a set event does not wait at all (an already-resolved promise, nothing allocated).
 *
 * `wait()` resolves `true` when the event is set; with `{ timeout }` or `{ signal }` it resolves
 * `false` if it gave up first (its waiter is removed at once).
 *
 * @example
 * const ready = new Event();
 * const waiting = ready.wait();          // Promise<true>
 * ready.set();                            // resumes every waiter, oldest first
 * await ready.wait({ timeout: 100 });     // true at once: already set
 *
 * In a coroutine task (a generator body), `yield event` waits like `await event.wait()`, and is
 * resumed by a plain call rather than a promise.
 */
export class Event implements Suspendable<true> {
  #set: boolean;
  /**
   * The resolver of the oldest waiter, when it waits without options: the common case (one
   * task waiting for another) costs its promise and nothing else. Always older than every
   * waiter in `#waiters`.
   */
  #first: ((value: true) => void) | Continuation<true> | undefined = undefined;
  /** The other waiters, made on first need. */
  #waiters: WaitList<boolean> | undefined = undefined;

  /** Creates an event, unset unless `initiallySet` is `true`. */
  constructor(initiallySet = false) {
    if (typeof initiallySet !== 'boolean') {
      throw new InvalidArgumentError(
        `Event: initiallySet must be a boolean, got ${String(initiallySet)}`,
      );
    }
    this.#set = initiallySet;
  }

  /** Whether the event is set. */
  get isSet(): boolean {
    return this.#set;
  }

  /** How many waits are pending: for tests and diagnostics (a timed-out wait is not counted). */
  get waiterCount(): number {
    return (this.#first === undefined ? 0 : 1) + (this.#waiters?.length ?? 0);
  }

  /**
   * Sets the event and resumes every waiter (`'fifo'`, the default: oldest first; `'lifo'`:
   * newest first, as libcoro does). Setting a set event does nothing.
   */
  set(order: ResumeOrder = 'fifo'): void {
    if (order !== 'fifo' && order !== 'lifo') {
      throw new InvalidArgumentError(`order must be 'fifo' or 'lifo', got ${String(order)}`);
    }
    if (this.#set) return;
    this.#set = true;
    const first = this.#first;
    const waiters = this.#waiters;
    this.#first = undefined;
    if (order === 'lifo') {
      if (waiters !== undefined && waiters.length !== 0) waiters.grantAll(true, true);
      if (first !== undefined) this.#resumeFirst(first);
    } else {
      if (first !== undefined) this.#resumeFirst(first);
      if (waiters !== undefined && waiters.length !== 0) waiters.grantAll(true, false);
    }
  }

  /** The oldest waiter: a promise's resolver, or a coroutine (see `[suspend]`). */
  #resumeFirst(first: ((value: true) => void) | Continuation<true>): void {
    if (typeof first === 'function') first(true);
    else resumeSoon(first, true);
  }

  /**
   * The suspend protocol (`yield event` in a coroutine task): resumes with `true` once the event
   * is set — at once if it is set now.
   */
  [suspend](waiting: Continuation<true>): void {
    if (this.#set) {
      waiting.resume(true);
      return;
    }
    if (this.#first === undefined && (this.#waiters === undefined || this.#waiters.length === 0)) {
      this.#first = waiting;
      return;
    }
    this.#list()
      .enqueue(undefined, undefined, undefined)
      .then(
        () => waiting.resume(true),
        (error: unknown) => waiting.fail(error),
      );
  }

  /** Unsets the event; later waits wait for the next `set()`. */
  reset(): void {
    this.#set = false;
  }

  /**
   * Waits until the event is set: `true`. With `{ timeout }` (ms) or `{ signal }` (a
   * `StopToken` or `AbortSignal`) resolves `false` if that comes first.
   */
  wait(): Promise<true>;
  wait(options: WaitOptions | undefined): Promise<boolean>;
  wait(options?: WaitOptions): Promise<boolean> {
    if (options === undefined) {
      if (this.#set) return resolvedTrue;
      if (
        this.#first === undefined &&
        (this.#waiters === undefined || this.#waiters.length === 0)
      ) {
        const promise = new Promise<true>(captureFirst);
        this.#first = captured;
        captured = undefined;
        return isTracing() ? traceAwait('Event.wait', promise) : promise;
      }
      return this.#list().enqueue(undefined, undefined, undefined);
    }
    const { signal, timeout } = readWaitOptions(options);
    if (isStopRequested(signal)) return resolvedFalse;
    if (this.#set) return resolvedTrue;
    if (timeout === 0) return resolvedFalse;
    return this.#list().enqueue(undefined, signal, timeout);
  }

  #list(): WaitList<boolean> {
    this.#waiters ??= new WaitList<boolean>('Event.wait', false, false);
    return this.#waiters;
  }
}

// Events are often made per hand-off: keep the shape across full GCs (see internal/shapes.ts).
keepShape(new Event());
