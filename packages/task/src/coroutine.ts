// Coroutine bodies: a task whose body is a generator function is driven here. Where an async
// body resumes through a promise reaction job at every `await`, a generator is resumed by a plain
// call, `gen.next(value)`, which is what C++20's `handle.resume()` is. Whoever resumes it — a
// scheduler's run queue draining a batch, an event being set, a child task settling — calls the
// coroutine's `resume` function, so a drain of N waiting coroutines is N plain calls.
//
// What a body may yield: a promise or any thenable (resumed by its `then`), a `Task` (started
// directly; a child coroutine task reports to its parent by a plain call, no promise between),
// or a `Suspendable` — any object with a `[suspend](continuation)` method, which keeps the
// continuation and calls its `resume(value)` or `fail(error)` later, or at once. Anything else is
// a mistake (a forgotten call, `yield scheduler.yield`) and is thrown back into the body as an
// `InvalidArgumentError`.
//
// A coroutine is its own continuation (methods, not closures): waiting costs no allocation
// beyond what the suspendable stores. Closures are made only for promises, which need them.

import { currentOwner, runWithin } from './context.ts';
import { InvalidArgumentError } from './errors.ts';
import { keepShape } from './internal/shapes.ts';

/**
 * The key of the suspend protocol: an object with a `[suspend](continuation)` method can be
 * yielded from a coroutine task body. The method keeps the continuation and calls its
 * `resume(value)` or `fail(error)` once, now or later. The continuation is the coroutine itself
 * (nothing is allocated per wait), so, as with a C++ coroutine handle, it must not be kept and
 * called after that: calls while the coroutine runs, or once it has finished, are ignored, but a
 * late call made while it waits on something else would end that other wait.
 */
export const suspend: unique symbol = Symbol.for('@coro/task.suspend') as never;

/** A coroutine waiting on a suspendable: resume it (as a method call) once, now or later. */
export interface Continuation<T = unknown> {
  /** Resumes the coroutine: the `yield` evaluates to `value`. */
  resume(value: T): void;
  /** Resumes the coroutine by throwing `error` at the `yield`. */
  fail(error: unknown): void;
}

/** Something a coroutine task body can `yield` to wait for a value of type `T`. */
export interface Suspendable<T = unknown> {
  [suspend](continuation: Continuation<T>): void;
}

// Resumptions queued by `resumeSoon`: continuation, value, continuation, value… Two arrays used
// in turn with their own fill count, so that a batch keeps its array (up to `keepAtMost`).
const keepAtMost = 2048;
let batch: unknown[] = [];
let filled = 0;
let spareBatch: unknown[] = [];

function resumeBatch(): void {
  const items = batch;
  const n = filled;
  batch = spareBatch;
  filled = 0;
  for (let i = 0; i < n; i += 2) {
    const continuation = items[i] as Continuation<unknown>;
    const value = items[i + 1];
    items[i] = undefined;
    items[i + 1] = undefined;
    continuation.resume(value);
  }
  spareBatch = n > keepAtMost ? [] : items;
}

/**
 * Resumes `continuation` with `value` after the current job, as a settled promise would resume
 * an `await` — but every resumption queued before the next microtask runs in one microtask, by
 * plain calls, in the order queued. For suspendables that must not resume their waiters inside
 * the call that releases them (an event's `set()`, a run queue's batch).
 */
export function resumeSoon<T>(continuation: Continuation<T>, value: T): void {
  if (filled === 0) queueMicrotask(resumeBatch);
  batch[filled++] = continuation;
  batch[filled++] = value;
}

/** @internal Receives the outcome of a coroutine (or task) by plain calls, with its index. */
export interface Observer {
  fulfilled(index: number, value: unknown): void;
  rejected(index: number, error: unknown): void;
}

/** @internal How a waiting coroutine hands a yielded task to the task module. */
export interface TaskHooks {
  /** Starts `value` reporting to `observer` by plain calls; `false` if it cannot. */
  observe(value: object, observer: Observer, index: number): boolean;
  /** Whether `value` is a `Task`, and its promise (starting it) if so. */
  promiseOf(value: object): Promise<unknown> | undefined;
}

let hooks: TaskHooks | undefined;

/** @internal Called once by the task module. */
export function setTaskHooks(h: TaskHooks): void {
  hooks = h;
}

const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor as Function;

/** @internal Whether `fn` is a generator function (not an async generator function). */
export function isGeneratorFunction(fn: Function): boolean {
  return fn instanceof GeneratorFunction;
}

const RUNNING = 0;
const FULFILLED = 1;
const REJECTED = 2;
type State = typeof RUNNING | typeof FULFILLED | typeof REJECTED;

let capturedResolve: ((value: unknown) => void) | undefined;
let capturedReject: ((error: unknown) => void) | undefined;
function capture(resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (typeof value === 'object') return value.constructor?.name ?? 'an object';
  return typeof value;
}

/** Waiting for a resume: exactly one `resume`/`fail` is taken per suspension. */
const SUSPENDED = 1;
/** Stepping now: a resume that arrives meanwhile is kept for the loop (no recursion). */
const ACTIVE = 2;
/** A resume arrived while stepping; `#value` holds its input. */
const HAS_INPUT = 4;
/** That input is an error to throw in. */
const INPUT_IS_ERROR = 8;

/**
 * @internal Drives one generator: steps it, waits on what it yields, and reports the outcome to
 * an observer and/or a promise made on demand.
 */
export class Coroutine<T = unknown> implements Observer, Continuation<unknown> {
  #gen: Generator<unknown, unknown, unknown> | undefined;
  #observer: Observer | undefined;
  #index: number;
  #state: State = RUNNING;
  #flags = 0;
  /** An input kept while stepping; the outcome once settled. */
  #value: unknown = undefined;
  #promise: Promise<T> | undefined = undefined;
  #resolve: ((value: unknown) => void) | undefined = undefined;
  #reject: ((error: unknown) => void) | undefined = undefined;
  /** `resume` and `fail` as functions, for promises (made on first need). */
  #callbacks: [(value: unknown) => void, (error: unknown) => void] | undefined = undefined;
  /**
   * The task whose body this is, while tracing or implicit stop inheritance is on: every step
   * runs with it as the current task, whoever resumes the coroutine (a drain, an event).
   */
  #owner: object | undefined;

  constructor(
    gen: Generator<unknown, unknown, unknown>,
    observer?: Observer,
    index = 0,
    owner?: object,
  ) {
    this.#gen = gen;
    this.#observer = observer;
    this.#index = index;
    this.#owner = owner;
  }

  /** Runs the body up to its first suspension. */
  start(): void {
    this.#step(undefined, false);
  }

  /** The coroutine's outcome as a promise (made on first use). */
  promise(): Promise<T> {
    if (this.#promise !== undefined) return this.#promise;
    let promise: Promise<unknown>;
    if (this.#state === FULFILLED) promise = Promise.resolve(this.#value);
    else if (this.#state === REJECTED) promise = Promise.reject(this.#value);
    else {
      promise = new Promise(capture);
      this.#resolve = capturedResolve;
      this.#reject = capturedReject;
      capturedResolve = undefined;
      capturedReject = undefined;
    }
    this.#promise = promise as Promise<T>;
    return this.#promise;
  }

  /** Resumes the coroutine: the `yield` evaluates to `value`. */
  resume(value?: unknown): void {
    this.#wake(value, false);
  }

  /** Resumes the coroutine by throwing `error` at the `yield`. */
  fail(error: unknown): void {
    this.#wake(error, true);
  }

  /** A child task this coroutine yielded has fulfilled. */
  fulfilled(_index: number, value: unknown): void {
    this.#wake(value, false);
  }

  /** A child task this coroutine yielded has rejected. */
  rejected(_index: number, error: unknown): void {
    this.#wake(error, true);
  }

  #wake(value: unknown, isError: boolean): void {
    const flags = this.#flags;
    if ((flags & SUSPENDED) === 0) return;
    if ((flags & ACTIVE) !== 0) {
      this.#value = value;
      this.#flags = isError ? ACTIVE | HAS_INPUT | INPUT_IS_ERROR : ACTIVE | HAS_INPUT;
      return;
    }
    this.#flags = 0;
    this.#step(value, isError);
  }

  #step(value: unknown, isError: boolean): void {
    const owner = this.#owner;
    if (owner !== undefined && currentOwner() !== owner) {
      runWithin(owner, () => this.#loop(value, isError));
    } else this.#loop(value, isError);
  }

  #loop(value: unknown, isError: boolean): void {
    const gen = this.#gen as Generator<unknown, unknown, unknown>;
    for (;;) {
      this.#flags = ACTIVE;
      let next: IteratorResult<unknown, unknown>;
      try {
        next = isError ? gen.throw(value) : gen.next(value);
      } catch (error) {
        this.#flags = 0;
        this.#settle(REJECTED, error);
        return;
      }
      this.#flags = ACTIVE | SUSPENDED;
      if (next.done === true) this.#adoptReturn(next.value);
      else this.#wait(next.value);
      const flags = this.#flags;
      if ((flags & HAS_INPUT) === 0) {
        this.#flags = flags & ~ACTIVE;
        return;
      }
      value = this.#value;
      isError = (flags & INPUT_IS_ERROR) !== 0;
      this.#value = undefined;
    }
  }

  #thenCallbacks(): [(value: unknown) => void, (error: unknown) => void] {
    this.#callbacks ??= [(value) => this.#wake(value, false), (error) => this.#wake(error, true)];
    return this.#callbacks;
  }

  /** Waits on a yielded value; the wait ends with `resume` or `fail`, now or later. */
  #wait(value: unknown): void {
    if (value !== null && (typeof value === 'object' || typeof value === 'function')) {
      const protocol = (value as Partial<Suspendable>)[suspend];
      if (typeof protocol === 'function') {
        try {
          protocol.call(value, this);
        } catch (error) {
          this.#wake(error, true);
        }
        return;
      }
      const h = hooks as TaskHooks;
      if (h.observe(value, this, 0)) return;
      let promise = h.promiseOf(value);
      if (promise === undefined) {
        if (typeof (value as PromiseLike<unknown>).then !== 'function') {
          this.#notAwaitable(value);
          return;
        }
        // Through a native promise: a thenable that calls back twice, or throws, is contained.
        promise = value instanceof Promise ? value : Promise.resolve(value);
      }
      const [onValue, onError] = this.#thenCallbacks();
      promise.then(onValue, onError);
      return;
    }
    this.#notAwaitable(value);
  }

  #notAwaitable(value: unknown): void {
    this.#wake(
      new InvalidArgumentError(
        `a coroutine task can yield a promise, a task or a suspendable, got ${describe(value)}` +
          ' (to run another generator inside this one, use yield*)',
      ),
      true,
    );
  }

  /** The body returned: a value settles the coroutine, an awaitable is waited on first. */
  #adoptReturn(value: unknown): void {
    this.#flags = ACTIVE;
    this.#gen = undefined;
    if (
      value !== null &&
      (typeof value === 'object' || typeof value === 'function') &&
      typeof (value as PromiseLike<unknown>).then === 'function'
    ) {
      const promise = (hooks as TaskHooks).promiseOf(value) ?? Promise.resolve(value);
      promise.then(
        (result) => this.#settle(FULFILLED, result),
        (error) => this.#settle(REJECTED, error),
      );
      return;
    }
    this.#settle(FULFILLED, value);
  }

  #settle(state: State, value: unknown): void {
    this.#gen = undefined;
    this.#owner = undefined;
    this.#state = state;
    this.#value = value;
    this.#callbacks = undefined;
    const observer = this.#observer;
    this.#observer = undefined;
    const resolve = this.#resolve;
    if (resolve !== undefined) {
      const reject = this.#reject as (error: unknown) => void;
      this.#resolve = undefined;
      this.#reject = undefined;
      if (state === FULFILLED) resolve(value);
      else reject(value);
    }
    if (observer !== undefined) {
      if (state === FULFILLED) observer.fulfilled(this.#index, value);
      else observer.rejected(this.#index, value);
    }
  }
}

// Coroutines are allocated per task: keep the shape across full GCs (see internal/shapes.ts).
keepShape(new Coroutine((function* () {})()));

/**
 * Waits on a promise, task or suspendable inside a coroutine body and gives back its value,
 * typed: `const body = yield* until(fetch(url))`. (A bare `yield` works too; its value is
 * typed `any`, since TypeScript cannot know what each `yield` resumes with.)
 *
 * @example
 * const load = task(function* (url: string) {
 *   const response = yield* until(fetch(url)); // Response
 *   return response.status;
 * });
 */
export function* until<T>(
  awaitable: PromiseLike<T> | Suspendable<T>,
): Generator<PromiseLike<T> | Suspendable<T>, Awaited<T>, any> {
  return yield awaitable;
}
