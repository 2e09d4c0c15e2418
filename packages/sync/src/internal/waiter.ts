import {
  isStopRequested,
  isTracing,
  onStop,
  type StopLike,
  type StopRegistration,
  traceAwait,
} from '@coro/task';

/**
 * A waiter is a small state machine: it starts `WAITING` and ends exactly once, as `GRANTED`
 * (it was handed what it waited for), `TIMED_OUT` or `CANCELLED`. Whoever ends it first removes
 * it from its list and clears its timer and stop registration in the same synchronous step, so a
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

/** One queued wait: a node of an intrusive doubly linked list (O(1) removal on timeout/stop). */
export class Waiter<R> {
  prev: Waiter<R> | undefined = undefined;
  next: Waiter<R> | undefined = undefined;
  /** `WAITING` while in its list; anything else once it has left. */
  state = WAITING;
  resolve: (value: R) => void;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  registration: StopRegistration | undefined = undefined;
  /** What the primitive needs to know about this waiter (a value to produce, a mode, a lock). */
  data: unknown;

  constructor(resolve: (value: R) => void, data: unknown) {
    this.resolve = resolve;
    this.data = data;
  }
}

function onWaiterTimeout<R>(waiter: Waiter<R>, list: WaitList<R>): void {
  waiter.timer = undefined;
  if (waiter.state === WAITING) list.abandon(waiter, TIMED_OUT);
}

/**
 * A FIFO list of waiters with the values it resolves them with when they give up. The owning
 * primitive decides who is granted what; the list guarantees each waiter ends exactly once and
 * leaves no timer, listener or node behind.
 */
export class WaitList<R> {
  head: Waiter<R> | undefined = undefined;
  tail: Waiter<R> | undefined = undefined;
  length = 0;
  /** What a waiting task shows in `dumpTasks()` while tracing is on, e.g. `'Mutex.lock'`. */
  readonly label: string;
  readonly timeoutValue: R;
  readonly cancelledValue: R;
  /** Called after a waiter left by timeout or stop, so the owner can admit the ones behind it. */
  onAbandon: ((waiter: Waiter<R>) => void) | undefined;

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

  /** Queues a waiter at the tail and returns the promise it resolves. */
  enqueue(data: unknown, signal: StopLike | undefined, timeout: number | undefined): Promise<R> {
    const promise = new Promise<R>(capture as (resolve: (value: R) => void) => void);
    const waiter = new Waiter<R>(captured as unknown as (value: R) => void, data);
    captured = undefined;
    const tail = this.tail;
    if (tail === undefined) this.head = waiter;
    else {
      tail.next = waiter;
      waiter.prev = tail;
    }
    this.tail = waiter;
    this.length++;
    if (timeout !== undefined) waiter.timer = setTimeout(onWaiterTimeout<R>, timeout, waiter, this);
    if (signal !== undefined) {
      // Callers check `isStopRequested` first, so this never fires synchronously here.
      waiter.registration = onStop(signal, () => {
        if (waiter.state === WAITING) this.abandon(waiter, CANCELLED);
      });
    }
    // Only waits that really wait are labelled; the check costs a call while tracing is off.
    return isTracing() ? traceAwait(this.label, promise) : promise;
  }

  /** Unlinks a waiter (which must be in this list). */
  unlink(waiter: Waiter<R>): void {
    const prev = waiter.prev;
    const next = waiter.next;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next === undefined) this.tail = prev;
    else next.prev = prev;
    waiter.prev = waiter.next = undefined;
    this.length--;
  }

  /** Ends a waiting waiter with `value`: unlinks it and clears its guards first. */
  grant(waiter: Waiter<R>, value: R): void {
    waiter.state = GRANTED;
    this.unlink(waiter);
    finish(waiter, value);
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
    let waiter = lifo ? this.tail : this.head;
    this.head = this.tail = undefined;
    this.length = 0;
    while (waiter !== undefined) {
      const following = lifo ? waiter.prev : waiter.next;
      waiter.state = GRANTED;
      waiter.prev = waiter.next = undefined;
      finish(waiter, value);
      waiter = following;
    }
  }

  /** @internal Ends a waiter that gave up (timeout or stop). */
  abandon(waiter: Waiter<R>, state: typeof TIMED_OUT | typeof CANCELLED): void {
    waiter.state = state;
    this.unlink(waiter);
    finish(waiter, state === TIMED_OUT ? this.timeoutValue : this.cancelledValue);
    this.onAbandon?.(waiter);
  }
}

function finish<R>(waiter: Waiter<R>, value: R): void {
  if (waiter.timer !== undefined) {
    clearTimeout(waiter.timer);
    waiter.timer = undefined;
  }
  if (waiter.registration !== undefined) {
    waiter.registration.unregister();
    waiter.registration = undefined;
  }
  waiter.resolve(value);
}

export { isStopRequested };
