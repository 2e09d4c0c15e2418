import { InvalidArgumentError } from './errors.ts';
import { keepShape } from './internal/shapes.ts';
import { refuseUnknownOptions } from './options.ts';
import type { Expected } from './expected.ts';
import type { StopSource } from './stop.ts';
import type { Observer } from './coroutine.ts';
import {
  coroutinesInUse,
  isAwaitable,
  isFreshCoroutine,
  NO_ARGS,
  observeTask,
  startAwaitable,
  Task,
  typeName,
} from './task.ts';

/** The awaited types of a tuple or array of awaitables, position by position. */
export type AwaitedAll<T extends readonly unknown[]> = { -readonly [K in keyof T]: Awaited<T[K]> };

type Gather<T> = (items: readonly PromiseLike<unknown>[], extra: unknown) => Promise<T>;

/**
 * A task over child awaitables: a stop request on it reaches every child task, and the shared
 * `stopSource` of a `whenAny` (the children that watch it rather than their own token).
 */
class CombinatorTask<T> extends Task<T> {
  readonly #items: readonly PromiseLike<unknown>[];
  readonly #gather: Gather<T>;
  readonly #stopSource: StopSource | undefined;

  constructor(
    gather: Gather<T>,
    items: readonly PromiseLike<unknown>[],
    name: string,
    stopSource?: StopSource,
  ) {
    super(undefined, NO_ARGS, name);
    this.#items = items;
    this.#gather = gather;
    this.#stopSource = stopSource;
  }

  /** @internal Gathers the children (the `Task` extension point). */
  override _run(): Promise<T> {
    return this.#gather(this.#items, this.#stopSource);
  }

  override requestStop(reason?: unknown): boolean {
    const first = super.requestStop(reason);
    if (first) {
      stopAll(this.#items, -1, reason);
      this.#stopSource?.requestStop(reason);
    }
    return first;
  }
}

// A permanent instance holds the combinator task's shape across full GCs (see shapes.ts).
keepShape(new CombinatorTask(whenAllBody, [], 'whenAll'));

function stopAll(items: readonly PromiseLike<unknown>[], except: number, reason?: unknown): void {
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (i !== except && item instanceof Task) item.requestStop(reason);
  }
}

function collect(args: readonly unknown[], where: string): PromiseLike<unknown>[] {
  let items: unknown[];
  const first = args[0];
  if (
    args.length === 1 &&
    first !== null &&
    typeof first === 'object' &&
    !isAwaitable(first) &&
    typeof (first as Iterable<unknown>)[Symbol.iterator] === 'function'
  ) {
    items = Array.isArray(first) ? first.slice() : Array.from(first as Iterable<unknown>);
  } else {
    // The rest-parameter array is fresh: no copy needed.
    items = args as unknown[];
  }
  // Tasks (the common case) need no further check.
  let promises = false;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item instanceof Task) continue;
    if (!isAwaitable(item)) {
      throw new InvalidArgumentError(
        `${where} expects tasks or promises; item ${i} is ${typeName(item)}, which cannot be awaited`,
      );
    }
    if (item instanceof Promise) promises = true;
  }
  // A promise is already running: like Promise.all, handle its rejection from the call on, so
  // that one rejecting before the combinator is awaited is not reported as unhandled. (After
  // every item was checked: a rejected call marks nothing.)
  if (promises) {
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item instanceof Promise) item.then(undefined, markHandled);
    }
  }
  return items as PromiseLike<unknown>[];
}

/**
 * libcoro's `when_all`: a lazy task that starts every child at once and resolves with all their
 * results, in order. If one fails, it requests stop on the others, waits for every one of them
 * to settle (nothing is left running behind it), then rejects with the first error.
 * Takes an array (→ array), a tuple (→ typed tuple) or the tasks as arguments (→ typed tuple).
 *
 * @example
 * const [area, label] = await whenAll(square(1.1), describe(10)); // [number, string]
 * const doubled = await whenAll([1, 2, 3].map((x) => twice(x)));   // number[]
 */
export function whenAll<const T extends readonly PromiseLike<unknown>[]>(
  tasks: T,
): Task<AwaitedAll<T>>;
export function whenAll<T>(tasks: Iterable<PromiseLike<T>>): Task<Awaited<T>[]>;
export function whenAll<const T extends readonly PromiseLike<unknown>[]>(
  ...tasks: T
): Task<AwaitedAll<T>>;
export function whenAll(...args: unknown[]): Task<unknown[]> {
  const items = collect(args, 'whenAll');
  return new CombinatorTask(whenAllBody, items, 'whenAll');
}

function markHandled(): void {}

/**
 * Above this many children, `whenAll` gathers with V8's `Promise.all`, which holds about half
 * the memory per pending child (no closure context or derived promise of ours); with 100,000
 * children pending that is what the garbage collector's time follows. Below it, its own gather
 * saves `Promise.all`'s extra hop on the way out, which is what a handful of children cost.
 */
const GATHER_WITH_PROMISE_ALL = 32;

function whenAllBody(items: readonly PromiseLike<unknown>[]): Promise<unknown[]> {
  const n = items.length;
  if (n === 0) return Promise.resolve([]);
  if (n > GATHER_WITH_PROMISE_ALL) {
    // Many coroutine children report to the gather by plain calls: no promise per child. (A
    // few go through their promises: scanning for them would cost every small whenAll.)
    if (coroutinesInUse) {
      for (let i = 0; i < n; i++) if (isFreshCoroutine(items[i])) return gatherDirect(items);
    }
    return gatherMany(items);
  }
  return new Promise<unknown[]>((resolve, reject) => {
    const results = new Array<unknown>(n);
    let remaining = n;
    let failed = false;
    let firstError: unknown;
    const settleOne = () => {
      if (--remaining !== 0) return;
      if (failed) reject(firstError);
      else resolve(results);
    };
    // The first failure asks every other child to stop; the task still waits for all of
    // them, so that nothing it started outlives it.
    const onRejected = (error: unknown) => {
      if (!failed) {
        failed = true;
        firstError = error;
        stopAll(items, -1);
      }
      settleOne();
    };
    for (let i = 0; i < n; i++) {
      startAwaitable(items[i]!).then((value) => {
        results[i] = value;
        settleOne();
      }, onRejected);
    }
  });
}

/**
 * `whenAll`'s gather when children are coroutine tasks: they report here by plain calls (see
 * coroutine.ts); other children through their promises. The outcome is the same as the other
 * gathers': the results in order, or, on the first failure, stop asked of every other child
 * and the first error once all of them have settled.
 */
class DirectGather implements Observer {
  readonly #items: readonly PromiseLike<unknown>[];
  readonly #results: unknown[];
  #remaining: number;
  #failed = false;
  #error: unknown = undefined;
  #resolve: ((results: unknown[]) => void) | undefined = undefined;
  #reject: ((error: unknown) => void) | undefined = undefined;

  constructor(items: readonly PromiseLike<unknown>[]) {
    this.#items = items;
    this.#results = new Array<unknown>(items.length);
    this.#remaining = items.length;
  }

  /** Starts every child; the promise settles once all of them have. */
  run(): Promise<unknown[]> {
    const promise = new Promise<unknown[]>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    const items = this.#items;
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as PromiseLike<unknown>;
      if (observeTask(item, this, i)) continue;
      startAwaitable(item).then(
        (value) => this.fulfilled(i, value),
        (error) => this.rejected(i, error),
      );
    }
    return promise;
  }

  fulfilled(index: number, value: unknown): void {
    this.#results[index] = value;
    if (--this.#remaining === 0) this.#finish();
  }

  rejected(_index: number, error: unknown): void {
    if (!this.#failed) {
      this.#failed = true;
      this.#error = error;
      stopAll(this.#items, -1);
    }
    if (--this.#remaining === 0) this.#finish();
  }

  #finish(): void {
    if (this.#failed) (this.#reject as (error: unknown) => void)(this.#error);
    else (this.#resolve as (results: unknown[]) => void)(this.#results);
  }
}

function gatherDirect(items: readonly PromiseLike<unknown>[]): Promise<unknown[]> {
  return new DirectGather(items).run();
}

/** `whenAll`'s gather for many children: the same outcome, on `Promise.all`. */
function gatherMany(items: readonly PromiseLike<unknown>[]): Promise<unknown[]> {
  const n = items.length;
  const promises = new Array<Promise<unknown>>(n);
  for (let i = 0; i < n; i++) promises[i] = startAwaitable(items[i]!);
  // Promise.all rejects with the first failure in time; then, as the small gather does, ask
  // every other child to stop and reject only once all of them have settled.
  return Promise.all(promises).then(undefined, (error: unknown) => {
    stopAll(items, -1);
    return Promise.allSettled(promises).then(() => {
      throw error;
    });
  });
}

/**
 * One child's outcome in `whenAllSettled`: `value()` returns the result or rethrows the error
 * (libcoro's `return_value()`).
 */
export class SettledResult<T> {
  readonly status: 'fulfilled' | 'rejected';
  readonly #value: T | undefined;
  /** The error, when `status` is `'rejected'`. */
  readonly reason: unknown;

  /** @internal */
  constructor(status: 'fulfilled' | 'rejected', value: T | undefined, reason: unknown) {
    this.status = status;
    this.#value = value;
    this.reason = reason;
  }

  /** Whether the child fulfilled. */
  get ok(): boolean {
    return this.status === 'fulfilled';
  }

  /** The child's value; throws its error if it rejected. */
  value(): T {
    if (this.status === 'rejected') throw this.reason;
    return this.#value as T;
  }

  /** The outcome as an `Expected`. */
  toExpected(): Expected<T, unknown> {
    return this.status === 'fulfilled'
      ? { ok: true, value: this.#value as T }
      : { ok: false, error: this.reason };
  }
}

/** The settled results of a tuple or array of awaitables, position by position. */
export type SettledAll<T extends readonly unknown[]> = {
  -readonly [K in keyof T]: SettledResult<Awaited<T[K]>>;
};

/**
 * Waits for every child to settle, success or failure, and never rejects itself: each result's
 * `value()` returns the value or rethrows the error. No child is stopped because another failed.
 *
 * @example
 * for (const r of await whenAllSettled(tasks)) {
 *   try { console.log(r.value()); } catch (e) { console.error(e); }
 * }
 */
export function whenAllSettled<const T extends readonly PromiseLike<unknown>[]>(
  tasks: T,
): Task<SettledAll<T>>;
export function whenAllSettled<T>(
  tasks: Iterable<PromiseLike<T>>,
): Task<SettledResult<Awaited<T>>[]>;
export function whenAllSettled<const T extends readonly PromiseLike<unknown>[]>(
  ...tasks: T
): Task<SettledAll<T>>;
export function whenAllSettled(...args: unknown[]): Task<SettledResult<unknown>[]> {
  const items = collect(args, 'whenAllSettled');
  return new CombinatorTask(whenAllSettledBody, items, 'whenAllSettled');
}

function whenAllSettledBody(
  items: readonly PromiseLike<unknown>[],
): Promise<SettledResult<unknown>[]> {
  const promises = items.map(startAwaitable);
  return Promise.allSettled(promises).then((outcomes) =>
    outcomes.map((o) =>
      o.status === 'fulfilled'
        ? new SettledResult('fulfilled', o.value, undefined)
        : new SettledResult<unknown>('rejected', undefined, o.reason),
    ),
  );
}

/** Options for `whenAny`. */
export interface WhenAnyOptions {
  /**
   * Also requested to stop once a winner is known, and when the `whenAny` task itself is asked
   * to stop (with that reason): libcoro's shared `stop_source`, for children that watch one
   * token rather than their own.
   */
  readonly stopSource?: StopSource | undefined;
}

/** Every key of `WhenAnyOptions`: the compiler keeps it in step with the interface. */
const whenAnyOptionKeys: Readonly<Record<keyof WhenAnyOptions, true>> = { stopSource: true };

/** The winner of `whenAnyIndexed`: its position and its value. */
export interface IndexedResult<T> {
  readonly index: number;
  readonly value: T;
}

/**
 * libcoro's `when_any`: a lazy task that starts every child and settles like the first one to
 * settle (its value, or its error). The others are asked to stop; whatever they produce later,
 * value or error, is dropped and never reported as unhandled. Throws `InvalidArgumentError` at
 * the call for an empty list.
 *
 * @example
 * const result = await whenAny([longRunning(), timeoutAfter(100)]);
 */
export function whenAny<T extends readonly PromiseLike<unknown>[]>(
  tasks: T,
  options?: WhenAnyOptions,
): Task<Awaited<T[number]>>;
export function whenAny<T>(
  tasks: Iterable<PromiseLike<T>>,
  options?: WhenAnyOptions,
): Task<Awaited<T>>;
export function whenAny(
  tasks: Iterable<PromiseLike<unknown>>,
  options?: WhenAnyOptions,
): Task<unknown> {
  refuseUnknownOptions(options, whenAnyOptionKeys, 'whenAny');
  const items = collectAny(tasks, 'whenAny');
  return new CombinatorTask(whenAnyBody, items, 'whenAny', options?.stopSource);
}

/**
 * `whenAny` that also says which child won: resolves with `{ index, value }`; rejects with the
 * winner's error if the first to settle failed.
 */
export function whenAnyIndexed<T extends readonly PromiseLike<unknown>[]>(
  tasks: T,
  options?: WhenAnyOptions,
): Task<IndexedResult<Awaited<T[number]>>>;
export function whenAnyIndexed<T>(
  tasks: Iterable<PromiseLike<T>>,
  options?: WhenAnyOptions,
): Task<IndexedResult<Awaited<T>>>;
export function whenAnyIndexed(
  tasks: Iterable<PromiseLike<unknown>>,
  options?: WhenAnyOptions,
): Task<IndexedResult<unknown>> {
  refuseUnknownOptions(options, whenAnyOptionKeys, 'whenAnyIndexed');
  const items = collectAny(tasks, 'whenAnyIndexed');
  return new CombinatorTask(race, items, 'whenAnyIndexed', options?.stopSource);
}

function whenAnyBody(
  items: readonly PromiseLike<unknown>[],
  stopSource: unknown,
): Promise<unknown> {
  return race(items, stopSource).then((winner) => winner.value);
}

function collectAny(tasks: Iterable<PromiseLike<unknown>>, where: string): PromiseLike<unknown>[] {
  if (
    tasks === null ||
    typeof tasks !== 'object' ||
    isAwaitable(tasks) ||
    !(Symbol.iterator in tasks)
  ) {
    throw new InvalidArgumentError(
      `${where} expects an array of tasks or promises, got ${typeName(tasks)}`,
    );
  }
  const items = collect([tasks], where);
  if (items.length === 0) {
    throw new InvalidArgumentError(
      `${where} needs at least one task: with none, nothing could ever win`,
    );
  }
  return items;
}

function race(
  items: readonly PromiseLike<unknown>[],
  extra: unknown,
): Promise<IndexedResult<unknown>> {
  const stopSource = extra as StopSource | undefined;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (index: number) => {
      settled = true;
      stopAll(items, index);
      stopSource?.requestStop();
    };
    for (let i = 0; i < items.length; i++) {
      startAwaitable(items[i]!).then(
        (value) => {
          if (settled) return;
          finish(i);
          resolve({ index: i, value });
        },
        (error: unknown) => {
          if (settled) return;
          finish(i);
          reject(error);
        },
      );
    }
  });
}
