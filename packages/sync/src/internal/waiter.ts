import {
  clearWaitTimer,
  isStopRequested,
  isTracing,
  onStop,
  type StopLike,
  type StopRegistration,
  setWaitTimer,
  traceAwait,
  type WaitTimer,
} from '@coro/task';
import { ITERATE, iterDone } from './resolved.ts';
import { keepShape } from './shapes.ts';

/**
 * A waiter is a small state machine: it starts `WAITING` and ends exactly once, as `GRANTED`
 * (it was handed what it waited for), `TIMED_OUT` or `CANCELLED`. Whoever ends it first takes it
 * out of the line and clears its timer and stop registration in the same synchronous step, so a
 * timeout or stop that arrives later in the same turn finds a finished waiter and does nothing:
 * a granted lock, permit or item is never lost, and a timed-out waiter is never granted.
 */
export const WAITING = 0;
export const GRANTED = 1;
export const TIMED_OUT = 2;
export const CANCELLED = 3;

let captured: ((value: never) => void) | undefined;
// The promise executor runs synchronously, so a shared function can hand the resolver out
// through a module variable: no closure is allocated per wait.
function capture(resolve: (value: never) => void): void {
  captured = resolve;
}

/** One queued wait. */
export class Waiter<R> {
  /** `WAITING` while in line; anything else once it has left (a left waiter is skipped). */
  state = WAITING;
  resolve: (value: R) => void;
  timer: WaitTimer | undefined = undefined;
  registration: StopRegistration | undefined = undefined;
  /** What the primitive needs to know about this waiter (a value to produce, a mode, a lock). */
  data: unknown;

  constructor(resolve: (value: R) => void, data: unknown) {
    this.resolve = resolve;
    this.data = data;
  }
}

function noop(): void {}

// A waiter is made per wait: keep its shape across full GCs (see shapes.ts).
keepShape(new Waiter<unknown>(noop, undefined));

function onWaiterTimeout<R>(waiter: Waiter<R>, list: WaitList<R>): void {
  waiter.timer = undefined;
  if (waiter.state === WAITING) list.abandon(waiter, TIMED_OUT);
}

const initialCapacity = 8;
/** The slots of a line nobody waits in: allocated on the first wait (never written). */
const noSlots: never[] = [];
/** Above this many slots, an emptied line gives its array back. */
const shrinkAbove = 1024;

/**
 * The line of waiters of one primitive, first come first served, with the values it resolves
 * them with when they give up. The owning primitive decides who is granted what (always the
 * waiter at the head); the line guarantees each waiter ends exactly once and leaves no timer,
 * listener or slot behind.
 *
 * Why a circular array and not a linked list: measured with 100,000 tasks queued on a semaphore,
 * a chain of linked nodes made the garbage collector's scavenges 2.5× slower (a chain can only be
 * traced one node after the other). A waiter that gives up is marked and left in its slot (O(1));
 * marked slots are dropped when they reach the head, and the array is compacted once they
 * outnumber the waiters, so removal stays O(1) amortized and the array stays bounded.
 */
export class WaitList<R> {
  #slots: (Waiter<R> | undefined)[] = noSlots;
  #mask = -1;
  #first = 0;
  /** Occupied slots: waiting waiters plus the ones that gave up and are not dropped yet. */
  #used = 0;
  /** Waiters still waiting. */
  length = 0;
  /** What a waiting task shows in `dumpTasks()` while tracing is on, e.g. `'Mutex.lock'`. */
  readonly label: string;
  readonly timeoutValue: R;
  readonly cancelledValue: R;
  /** Called after a waiter left by timeout or stop, so the owner can admit the ones behind it. */
  onAbandon: ((waiter: Waiter<R>) => void) | undefined;
  /** The waiter the last `enqueue` made (for an iterator that may end its pending `next()`). */
  lastEnqueued: Waiter<R> | undefined = undefined;

  constructor(
    label: string,
    timeoutValue: R,
    cancelledValue: R,
    onAbandon?: (waiter: Waiter<R>) => void,
  ) {
    this.label = label;
    this.timeoutValue = timeoutValue;
    this.cancelledValue = cancelledValue;
    this.onAbandon = onAbandon;
  }

  /** The oldest waiter still waiting (dropping the ones ahead of it that gave up). */
  get head(): Waiter<R> | undefined {
    const slots = this.#slots;
    while (this.#used !== 0) {
      const waiter = slots[this.#first] as Waiter<R>;
      if (waiter.state === WAITING) return waiter;
      slots[this.#first] = undefined;
      this.#first = (this.#first + 1) & this.#mask;
      this.#used--;
    }
    return undefined;
  }

  /** Queues a waiter at the tail and returns the promise it resolves. */
  enqueue(data: unknown, signal: StopLike | undefined, timeout: number | undefined): Promise<R> {
    const promise = new Promise<R>(capture as (resolve: (value: R) => void) => void);
    const waiter = new Waiter<R>(captured as unknown as (value: R) => void, data);
    captured = undefined;
    if (this.#used > this.#mask) {
      this.#resize(Math.max(initialCapacity, this.#slots.length * 2));
    }
    this.#slots[(this.#first + this.#used) & this.#mask] = waiter;
    this.#used++;
    this.length++;
    this.lastEnqueued = waiter;
    if (timeout !== undefined)
      waiter.timer = setWaitTimer(onWaiterTimeout<R>, timeout, waiter, this);
    if (signal !== undefined) {
      // Callers check `isStopRequested` first, so this never fires synchronously here.
      waiter.registration = onStop(signal, () => {
        if (waiter.state === WAITING) this.abandon(waiter, CANCELLED);
      });
    }
    // Only waits that really wait are labelled; the check costs a call while tracing is off.
    return isTracing() ? traceAwait(this.label, promise) : promise;
  }

  /** Ends the head waiter (which `head` just returned) with `value`. */
  grant(waiter: Waiter<R>, value: R): void {
    if (this.#slots[this.#first] !== waiter || waiter.state !== WAITING) {
      throw new Error('coro internal error: only the waiting head of the line can be granted');
    }
    this.#slots[this.#first] = undefined;
    this.#first = (this.#first + 1) & this.#mask;
    this.#used--;
    this.length--;
    waiter.state = GRANTED;
    finish(waiter, value);
    if (this.#used === 0) this.#shrink();
  }

  /** Grants the head waiter, if any. Returns whether there was one. */
  grantHead(value: R): boolean {
    const waiter = this.head;
    if (waiter === undefined) return false;
    this.grant(waiter, value);
    return true;
  }

  /** Grants every waiter `value`, oldest first or (`lifo`) newest first. */
  grantAll(value: R, lifo = false): void {
    const slots = this.#slots;
    const mask = this.#mask;
    const first = this.#first;
    const used = this.#used;
    // Empty the line first: resolving only queues continuations, but stay safe if a waiter's
    // resolution ever ran code that touched this line.
    this.#slots = noSlots;
    this.#mask = -1;
    this.#first = 0;
    this.#used = 0;
    this.length = 0;
    for (let k = 0; k < used; k++) {
      const waiter = slots[(first + (lifo ? used - 1 - k : k)) & mask] as Waiter<R>;
      if (waiter.state !== WAITING) continue;
      waiter.state = GRANTED;
      finish(waiter, value);
    }
  }

  /** @internal Ends a waiter that gave up (timeout or stop); its slot is dropped later. */
  abandon(waiter: Waiter<R>, state: typeof TIMED_OUT | typeof CANCELLED): void {
    waiter.state = state;
    this.length--;
    // An iterator's `next()` that gives up ends the iteration.
    const value =
      waiter.data === ITERATE
        ? (iterDone as R)
        : state === TIMED_OUT
          ? this.timeoutValue
          : this.cancelledValue;
    finish(waiter, value);
    const marked = this.#used - this.length;
    if (marked > 32 && marked > this.length) this.#compact();
    this.onAbandon?.(waiter);
  }

  /** Drops every slot of a waiter that gave up, keeping the order of the others. */
  #compact(): void {
    const slots = this.#slots;
    const mask = this.#mask;
    let capacity = initialCapacity;
    while (capacity < this.length * 2) capacity *= 2;
    const kept: (Waiter<R> | undefined)[] = new Array(capacity);
    let count = 0;
    for (let k = 0; k < this.#used; k++) {
      const waiter = slots[(this.#first + k) & mask] as Waiter<R>;
      if (waiter.state === WAITING) kept[count++] = waiter;
    }
    this.#slots = kept;
    this.#mask = capacity - 1;
    this.#first = 0;
    this.#used = count;
  }

  #resize(capacity: number): void {
    const slots = this.#slots;
    const mask = this.#mask;
    const resized: (Waiter<R> | undefined)[] = new Array(capacity);
    for (let k = 0; k < this.#used; k++) resized[k] = slots[(this.#first + k) & mask];
    this.#slots = resized;
    this.#mask = capacity - 1;
    this.#first = 0;
  }

  #shrink(): void {
    if (this.#slots.length > shrinkAbove) {
      this.#slots = noSlots;
      this.#mask = -1;
    }
    this.#first = 0;
  }
}

function finish<R>(waiter: Waiter<R>, value: R): void {
  if (waiter.timer !== undefined) {
    clearWaitTimer(waiter.timer);
    waiter.timer = undefined;
  }
  if (waiter.registration !== undefined) {
    waiter.registration.unregister();
    waiter.registration = undefined;
  }
  const resolve = waiter.resolve;
  // A waiter that gave up may sit in its slot a while: let go of what it holds.
  waiter.resolve = noop;
  waiter.data = undefined;
  resolve(value);
}

export { isStopRequested };
