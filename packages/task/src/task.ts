import { currentOwner, runWithin, switches } from './context.ts';
import { Coroutine, isGeneratorFunction, type Observer, setTaskHooks } from './coroutine.ts';
import { InvalidArgumentError } from './errors.ts';
import { keepShape } from './internal/shapes.ts';
import { refuseUnknownOptions } from './options.ts';
import {
  isStopRequested,
  onStop,
  requestStopOf,
  type StopLike,
  type StopRegistration,
  StopToken,
  stopReason,
  toCancelledError,
  toStopLike,
} from './stop.ts';
import { traceAwaiting, traceCreated, traceStarted } from './tracing.ts';

/**
 * What a running task body can see of its own task: its stop token (and an `AbortSignal` view
 * of it) and its name. Pass it to the tasks the body starts (`child.stopWith(ctx)`) so that
 * they stop with it. It is not awaitable: returning it from a helper never waits on the task.
 */
export interface TaskContext {
  /** The task's name, if it has one. */
  readonly name: string | undefined;
  /** The task's stop token: stop is requested by `task.requestStop()` or a linked parent. */
  readonly stopToken: StopToken;
  /** The stop token as an `AbortSignal`, for `fetch`, `fs` and other signal-taking APIs. */
  readonly signal: AbortSignal;
  /** Whether stop has been requested. */
  readonly stopRequested: boolean;
  /** Throws a `CancelledError` if stop has been requested. */
  throwIfStopRequested(): void;
}

/** Options for `task()` and `Task.from()`. */
export interface TaskOptions {
  /** A name for tracing and error messages; defaults to the function's own name. */
  readonly name?: string | undefined;
}

/** Every key of `TaskOptions`: the compiler keeps it in step with the interface. */
const taskOptionKeys: Readonly<Record<keyof TaskOptions, true>> = { name: true };

/** What `task.stopWith()` accepts: a token, a signal, or a task context (a parent task). */
export type StopParent = StopLike | { readonly stopToken: StopToken };

type Body = (this: TaskContext, ...args: any[]) => unknown;

/** @internal Marks a task whose body takes no arguments. */
export const NO_ARGS: unique symbol = Symbol('no arguments');

/** Marks a promise as handled: its rejection is seen by whoever awaits the task. */
function markHandled(): void {}

/** @internal The argument store of a task called with exactly one argument. */
function oneArg(arg: unknown): unknown {
  // An array argument is wrapped, so that it is never mistaken for an argument list.
  return Array.isArray(arg) ? [arg] : arg;
}

/** The context handed to a body: a view of its task that is not itself awaitable. */
class Context implements TaskContext {
  readonly #task: Task<unknown>;

  constructor(task: Task<unknown>) {
    this.#task = task;
  }

  get name(): string | undefined {
    return this.#task.name;
  }

  get stopToken(): StopToken {
    return this.#task.stopToken;
  }

  get signal(): AbortSignal {
    return this.#task.stopToken.signal;
  }

  get stopRequested(): boolean {
    return this.#task.stopRequested;
  }

  throwIfStopRequested(): void {
    this.#task.throwIfStopRequested();
  }

  get [Symbol.toStringTag](): string {
    return 'TaskContext';
  }
}

/** The context is `this` (a `function` body). */
const THIS_CONTEXT = 0;
/** The context is the first argument (`task.withContext`). */
const WITH_CONTEXT = 1;
/** An arrow function: it cannot see `this`, so no context is made. */
const ARROW = 2;
type CallMode = typeof THIS_CONTEXT | typeof WITH_CONTEXT | typeof ARROW;

/**
 * Whether `fn` is an arrow function (it ignores `this`), read once per factory from its source
 * text. Anything else — `function`s, methods, bound and native functions — gets a context.
 */
function isArrow(fn: Function): boolean {
  if (fn.prototype !== undefined) return false;
  const source = Function.prototype.toString.call(fn);
  return /^(?:async\s*)?(?:\([^)]*\)|[\w$]+)\s*=>/.test(source);
}

/**
 * @internal Whether any coroutine task body was seen (set by `TaskDef`): until then `whenAll`
 * does not look for coroutine children, so a process that uses none pays nothing for them.
 */
export let coroutinesInUse = false;

/**
 * What a factory's tasks share: the body and how it is called. One per factory (`task(fn)`), so
 * a task itself stores only what differs between calls.
 */
class TaskDef {
  readonly body: Body;
  readonly mode: CallMode;
  /** The body is a generator function: the task is a coroutine (see coroutine.ts). */
  readonly coroutine: boolean;

  constructor(body: Body, mode: CallMode) {
    this.body = body;
    this.mode = mode;
    this.coroutine = isGeneratorFunction(body);
    if (this.coroutine) coroutinesInUse = true;
  }
}

/** The stop links of a task: parents given to `stopWith`, then their registrations. */
class StopLinks {
  /** Parents given to `stopWith` before the task started: linked only when it starts. */
  parents: StopLike[] | undefined = undefined;
  /** Registrations on parents, removed once the task settles. */
  registrations: StopRegistration[] | undefined = undefined;
}

/** @internal Starts a task (if it has not started) and returns its promise: no thenable hop. */
export let startTask: <T>(task: Task<T>) => Promise<T>;
let adoptPromise: <T>(task: Task<T>, promise: Promise<T>) => void;
/**
 * @internal Starts a coroutine task that has not started, reporting its outcome to `observer`
 * by plain calls and making no promise; `false` (nothing done) for any other task or awaitable.
 */
export let observeTask: (value: unknown, observer: Observer, index: number) => boolean;
/** @internal Whether `observeTask` would start `value` (it starts nothing). */
export let isFreshCoroutine: (value: unknown) => boolean;

/**
 * A lazy unit of asynchronous work, libcoro's `coro::task<T>`. Nothing runs until the task is
 * awaited, started, or handed to `syncWait` / `whenAll` / `whenAny` / an executor; then the
 * body runs once and every await sees the same result.
 *
 * Every task owns a stop source: `requestStop()` asks it to stop, and the body sees that through
 * its context (`ctx.stopToken`, `ctx.signal`).
 *
 * @example
 * const twice = task(async (x: number) => x + x);
 * const t = twice(21);          // nothing has run yet
 * console.log(await t);         // 42 — runs now
 * console.log(await t);         // 42 — the same result, not run again
 */
export class Task<T = unknown> implements PromiseLike<T>, TaskContext {
  // Five fields and no private methods (a private method costs every instance a brand slot):
  // a task is allocated per call, and its size is most of what it costs over a plain promise.
  // The helpers are static private methods, which cost instances nothing.
  /** The body and how it is called, until the task starts. */
  #def: TaskDef | undefined;
  /**
   * The arguments, until the task starts; a coroutine task started without a promise (by
   * `whenAll`, or by a parent coroutine) keeps its driver here, with `#def` cleared.
   */
  #args: unknown;
  #promise: Promise<T> | undefined = undefined;
  #stop: StopToken | undefined = undefined;
  #links: StopLinks | undefined = undefined;
  /** The task's name (for tracing and messages), if it has one. */
  name: string | undefined;

  static {
    startTask = (task) => task.#promise ?? Task.#start(task);
    adoptPromise = (task, promise) => {
      task.#promise = promise;
    };
    isFreshCoroutine = (value) => {
      if (!(value instanceof Task) || value.#promise !== undefined) return false;
      const def = value.#def;
      if (def === undefined || !def.coroutine) return false;
      // Tracing, implicit stop, stop links and subclasses (which may override `_run`) keep the
      // promise path, where all of them are handled.
      if (switches.tracing || switches.implicitStop || value.#links !== undefined) return false;
      return Object.getPrototypeOf(value) === Task.prototype;
    };
    observeTask = (value, observer, index) => {
      if (!isFreshCoroutine(value)) return false;
      const fresh = value as Task<unknown>;
      Task.#startCoroutine(fresh, fresh.#def as TaskDef, observer, index);
      return true;
    };
    setTaskHooks({
      observe: observeTask,
      promiseOf: (value) => (value instanceof Task ? startTask(value) : undefined),
    });
  }

  /** @internal Use `task()`, `Task.from()` or `invoke()`. */
  constructor(
    body: Body | TaskDef | undefined,
    args: unknown,
    name: string | undefined,
    withContext: CallMode = THIS_CONTEXT,
  ) {
    this.#def =
      body === undefined || body instanceof TaskDef ? body : new TaskDef(body, withContext);
    this.#args = args;
    this.name = name;
    if (switches.tracing) traceCreated(this);
  }

  /**
   * Wraps a promise (already running: the task is started) or a function returning a value or
   * promise (lazy: called with no arguments when the task starts).
   */
  static from<T>(
    source: PromiseLike<T> | (() => T | PromiseLike<T>),
    options?: TaskOptions,
  ): Task<TaskResult<T>> {
    refuseUnknownOptions(options, taskOptionKeys, 'Task.from');
    if (typeof source === 'function') {
      return new Task<TaskResult<T>>(
        source as Body,
        NO_ARGS,
        options?.name ?? (source.name || undefined),
      );
    }
    if (!isAwaitable(source)) {
      throw new InvalidArgumentError(
        `Task.from expects a promise or a function, got ${typeName(source)}`,
      );
    }
    const started = new Task<TaskResult<T>>(undefined, NO_ARGS, options?.name);
    const promise = Promise.resolve(source) as Promise<TaskResult<T>>;
    promise.then(undefined, markHandled);
    adoptPromise(started, promise);
    return started;
  }

  /** Awaiting a task starts it (the first time) and resolves with its result. */
  // biome-ignore lint/suspicious/noThenProperty: a Task is deliberately awaitable.
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    const promise = this.#promise ?? Task.#start(this);
    if (switches.tracing) traceAwaiting(this, promise);
    return promise.then(onfulfilled, onrejected);
  }

  /** Like `Promise.prototype.catch`; starts the task. */
  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.then(undefined, onrejected);
  }

  /** Like `Promise.prototype.finally`; starts the task. */
  finally(onfinally?: (() => void) | null): Promise<T> {
    return (this.#promise ?? Task.#start(this)).finally(onfinally);
  }

  /**
   * Starts the task now, if it has not started, and returns its promise. A rejection of a task
   * started this way is not reported as unhandled: await the task (or the promise) to see it.
   */
  start(): Promise<T> {
    if (this.#promise !== undefined) return this.#promise;
    const promise = Task.#start(this);
    promise.then(undefined, markHandled);
    return promise;
  }

  /** Whether the task has started running. */
  get isStarted(): boolean {
    return this.#promise !== undefined || this.#args instanceof Coroutine;
  }

  /**
   * The task's stop token (made on first use). Reading it links the task to the parents given
   * to `stopWith`, if it has not started yet, so that the token sees their stop at once.
   */
  get stopToken(): StopToken {
    const token = (this.#stop ??= new StopToken());
    if (this.#links?.parents !== undefined) Task.#linkParents(this);
    return token;
  }

  /** The stop token as an `AbortSignal`. */
  get signal(): AbortSignal {
    return this.stopToken.signal;
  }

  /** Whether stop has been requested on this task (or on a parent given to `stopWith`). */
  get stopRequested(): boolean {
    const parents = this.#links?.parents;
    if (parents !== undefined) Task.#checkParents(this, parents);
    return this.#stop !== undefined && this.#stop.stopRequested;
  }

  /** Throws a `CancelledError` if stop has been requested on this task. */
  throwIfStopRequested(): void {
    if (this.stopRequested) throw toCancelledError((this.#stop as StopToken).reason);
  }

  /**
   * Asks the task to stop: its token reports `stopRequested` and its `onStop` callbacks run.
   * Stopping is cooperative; the body decides how to finish. Returns `true` if this call made
   * the request. Works before the task starts, too (the body then starts already stopped).
   */
  requestStop(reason?: unknown): boolean {
    const first = requestStopOf((this.#stop ??= new StopToken()), reason);
    // A stopped task needs no link to a parent any more.
    if (this.#links !== undefined) this.#links.parents = undefined;
    return first;
  }

  /**
   * Links this task to a parent: when `parent` (a token, a signal or a task context) stops,
   * this task is asked to stop too. The link is made when the task starts (a task that never
   * starts registers nothing on the parent and is not kept alive by it) and removed once the
   * task settles. A parent that has already stopped stops the task at once. Returns `this`.
   *
   * @example
   * const parent = task.withContext(async (ctx) => await child().stopWith(ctx));
   */
  stopWith(parent: StopParent): this {
    const source = toStopLike(parent) as StopLike;
    if (isStopRequested(source)) {
      this.requestStop(stopReason(source));
      return this;
    }
    if (this.#stop?.stopRequested) return this;
    const links = (this.#links ??= new StopLinks());
    (links.parents ??= []).push(source);
    // A running coroutine task started without a promise gets one (linking it now, and
    // unlinking it once it settles).
    if (this.#args instanceof Coroutine) {
      Task.#start(this);
      return this;
    }
    if (this.#promise !== undefined || this.#stop !== undefined) Task.#linkParents(this);
    return this;
  }

  /** Stops the task if a pending parent has stopped (without registering on any). */
  static #checkParents(task: Task<unknown>, parents: StopLike[]): void {
    for (const parent of parents) {
      if (isStopRequested(parent)) {
        task.requestStop(stopReason(parent));
        return;
      }
    }
  }

  /** Registers on the pending parents; their registrations go once the task settles. */
  static #linkParents(task: Task<unknown>): void {
    const links = task.#links as StopLinks;
    const parents = links.parents as StopLike[];
    links.parents = undefined;
    for (const parent of parents) {
      if (isStopRequested(parent)) {
        task.requestStop(stopReason(parent));
        return;
      }
      (links.registrations ??= []).push(onStop(parent, (reason) => task.requestStop(reason)));
    }
    if (task.#promise !== undefined) Task.#unlinkOnSettle(task, task.#promise);
  }

  /** Runs the body once (unless it runs already, as a coroutine) and records its promise. */
  static #start<T>(task: Task<T>): Promise<T> {
    let promise: Promise<T>;
    if (switches.tracing || switches.implicitStop) promise = Task.#startInContext(task);
    else promise = task._run();
    task.#promise = promise;
    const links = task.#links;
    if (links !== undefined) {
      if (links.parents !== undefined) Task.#linkParents(task as Task<unknown>);
      else Task.#unlinkOnSettle(task as Task<unknown>, promise);
    }
    return promise;
  }

  /** Starts a coroutine task that reports to `observer` (no promise is made). */
  static #startCoroutine<T>(task: Task<T>, def: TaskDef, observer: Observer, index: number): void {
    const args = task.#args;
    task.#def = undefined;
    task.#args = undefined;
    let gen: Generator<unknown, unknown, unknown>;
    try {
      gen = (
        def.mode === ARROW ? callArrow(def.body, args) : Task.#call(task, def, args)
      ) as Generator<unknown, unknown, unknown>;
    } catch (error) {
      task.#promise = Promise.reject(error);
      task.#promise.then(undefined, markHandled);
      observer.rejected(index, error);
      return;
    }
    const coroutine = new Coroutine<T>(gen, observer, index);
    task.#args = coroutine;
    coroutine.start();
  }

  static #startInContext<T>(task: Task<T>): Promise<T> {
    const parent = currentTask();
    if (switches.implicitStop && parent !== undefined && parent !== task) task.stopWith(parent);
    const promise = runWithin(task as Task<unknown>, () => task._run());
    if (switches.tracing) traceStarted(task, parent, promise);
    return promise;
  }

  /**
   * @internal Calls the body; a synchronous throw becomes a rejection. The extension point for
   * coro's own packages: a subclass (such as `@coro/pool`'s job task) overrides `_run` to
   * produce its promise some other way, and keeps the laziness, caching, tracing and stop
   * handling of `Task`. Kept stable across minor versions for that reason.
   */
  _run(): Promise<T> {
    const def = this.#def;
    const args = this.#args;
    this.#def = undefined;
    this.#args = undefined;
    if (def === undefined) return Task.#noBody(args);
    let result: unknown;
    try {
      result = def.mode === ARROW ? callArrow(def.body, args) : Task.#call(this, def, args);
    } catch (error) {
      return Promise.reject(error);
    }
    if (result instanceof Promise) return result as Promise<T>;
    if (def.coroutine || isGenerator(result)) return Task.#drive(this, result);
    return Promise.resolve(result) as Promise<T>;
  }

  // Out of `_run`, which stays small enough for V8 to inline where async tasks start.

  /** `_run` without a body: a coroutine started without a promise (see observeTask), or none. */
  static #noBody<T>(args: unknown): Promise<T> {
    if (args instanceof Coroutine) return args.promise() as Promise<T>;
    return Promise.reject(new InvalidArgumentError('task has no body'));
  }

  /** Drives a generator body (a coroutine task started through its promise). */
  static #drive<T>(task: Task<T>, gen: unknown): Promise<T> {
    const owner = switches.tracing || switches.implicitStop ? task : undefined;
    const coroutine = new Coroutine<T>(
      gen as Generator<unknown, unknown, unknown>,
      undefined,
      0,
      owner,
    );
    const promise = coroutine.promise();
    coroutine.start();
    return promise;
  }

  /**
   * Calls a body that sees its context: as `this` (or, for `task.withContext`, as the first
   * argument). `args` is `NO_ARGS`, an arguments array, or (the common case, stored without an
   * array) the single argument.
   */
  static #call(task: Task<unknown>, def: TaskDef, args: unknown): unknown {
    const body = def.body;
    const ctx = new Context(task);
    if (def.mode === WITH_CONTEXT) {
      const call = body as unknown as (ctx: TaskContext, ...rest: unknown[]) => unknown;
      if (args === NO_ARGS) return call(ctx);
      if (Array.isArray(args)) return call(ctx, ...args);
      return call(ctx, args);
    }
    if (args === NO_ARGS) return body.call(ctx);
    if (Array.isArray(args)) return body.apply(ctx, args);
    return body.call(ctx, args);
  }

  /** Removes the stop links once the task settles. */
  static #unlinkOnSettle(task: Task<unknown>, promise: Promise<unknown>): void {
    const links = task.#links;
    const registrations = links?.registrations;
    if (registrations === undefined) return;
    (links as StopLinks).registrations = undefined;
    const unlink = () => {
      for (const link of registrations) link.unregister();
    };
    promise.then(unlink, unlink);
  }

  get [Symbol.toStringTag](): string {
    return 'Task';
  }
}

// Permanent instances hold the shapes of tasks and contexts across full GCs (see shapes.ts).
// The argument slot first holds a heap value, then a small integer, so that its representation
// is the most general one from the start and the shape kept is the one every task will have.
keepShape(new Task(undefined, NO_ARGS, undefined));
keepShape(new Task(undefined, 0, undefined));
keepShape(new Context(new Task(undefined, NO_ARGS, undefined)));

/** Whether `value` is a generator object (what calling a generator function returns). */
function isGenerator(value: unknown): boolean {
  return (
    value !== null &&
    typeof value === 'object' &&
    Object.prototype.toString.call(value) === '[object Generator]'
  );
}

/** Calls an arrow body (it ignores `this`: no context to make). */
function callArrow(body: Body, args: unknown): unknown {
  const arrow = body as (...rest: unknown[]) => unknown;
  if (args === NO_ARGS) return arrow();
  if (Array.isArray(args)) return arrow(...args);
  return arrow(args);
}

/**
 * What a task whose body returns `R` resolves with: the awaited value, or for a generator body
 * (a coroutine task), the awaited value it returns.
 */
export type TaskResult<R> = R extends Generator<any, infer Ret, any> ? Awaited<Ret> : Awaited<R>;

/**
 * A function that makes tasks: each call captures its arguments and returns a new lazy `Task`.
 */
export type TaskFactory<A extends unknown[], R> = (...args: A) => Task<R>;

function checkFunction(fn: unknown, where: string): void {
  if (typeof fn !== 'function') {
    throw new InvalidArgumentError(`${where} expects a function, got ${typeName(fn)}`);
  }
}

/**
 * Turns an (async) function into a factory of lazy tasks with the same parameters and result.
 * The body can reach its task's context as `this` (in a `function`, not an arrow); use
 * `task.withContext` to receive it as the first argument instead.
 *
 * @example
 * const square = task(async (x: number) => x * x);
 * console.log(await square(3)); // 9
 */
function taskFactory<A extends unknown[], R>(
  fn: (this: TaskContext, ...args: A) => R,
  options?: TaskOptions,
): TaskFactory<A, TaskResult<R>> {
  checkFunction(fn, 'task()');
  refuseUnknownOptions(options, taskOptionKeys, 'task()');
  const name = options?.name ?? (fn.name || undefined);
  // Zero or one argument (the common case) is stored without an array; only `arguments.length`
  // is read, which V8 does without making an arguments object. More arguments are forwarded
  // to a rest-parameter function, which V8 also does without one.
  const def = new TaskDef(fn as Body, isArrow(fn) ? ARROW : THIS_CONTEXT);
  const many = (...args: unknown[]) => new Task<TaskResult<R>>(def, args, name);
  return function makeTask(this: unknown, first: unknown) {
    // biome-ignore lint/complexity/noArguments: only the count is read; no arguments object.
    const n = arguments.length;
    if (n === 1) return new Task<TaskResult<R>>(def, oneArg(first), name);
    if (n === 0) return new Task<TaskResult<R>>(def, NO_ARGS, name);
    // biome-ignore lint/complexity/noArguments: forwarding `arguments` avoids copying it.
    return many.apply(undefined, arguments as unknown as unknown[]);
  } as unknown as TaskFactory<A, TaskResult<R>>;
}

/**
 * Like `task()`, but the body receives its `TaskContext` as the first argument; the factory
 * takes the remaining ones.
 *
 * @example
 * const poll = task.withContext(async (ctx, url: string) => {
 *   while (!ctx.stopRequested) await fetch(url, { signal: ctx.signal });
 * });
 * const t = poll('http://127.0.0.1:8080/');
 * t.start(); t.requestStop();
 */
function withContext<A extends unknown[], R>(
  fn: (ctx: TaskContext, ...args: A) => R,
  options?: TaskOptions,
): TaskFactory<A, TaskResult<R>> {
  checkFunction(fn, 'task.withContext()');
  refuseUnknownOptions(options, taskOptionKeys, 'task.withContext()');
  const name = options?.name ?? (fn.name || undefined);
  const def = new TaskDef(fn as Body, WITH_CONTEXT);
  const many = (...args: unknown[]) => new Task<TaskResult<R>>(def, args, name);
  return function makeContextTask(this: unknown, first: unknown) {
    // biome-ignore lint/complexity/noArguments: only the count is read; no arguments object.
    const n = arguments.length;
    if (n === 1) return new Task<TaskResult<R>>(def, oneArg(first), name);
    if (n === 0) return new Task<TaskResult<R>>(def, NO_ARGS, name);
    // biome-ignore lint/complexity/noArguments: forwarding `arguments` avoids copying it.
    return many.apply(undefined, arguments as unknown as unknown[]);
  } as unknown as TaskFactory<A, TaskResult<R>>;
}

/** Makes task factories: `task(fn)` and `task.withContext(fn)`. */
export const task: typeof taskFactory & { readonly withContext: typeof withContext } =
  Object.assign(taskFactory, { withContext });

/**
 * libcoro's `coro::invoke`: a lazy task that calls `fn(...args)` when started. The arguments are
 * captured now, so they live as long as the task.
 *
 * @example
 * const t = invoke(async (a: number, b: number) => a + b, 1, 2);
 * console.log(await t); // 3
 */
export function invoke<A extends unknown[], R>(
  fn: (...args: A) => R,
  ...args: A
): Task<TaskResult<R>> {
  checkFunction(fn, 'invoke()');
  return new Task<TaskResult<R>>(
    fn as Body,
    args.length === 0 ? NO_ARGS : args,
    fn.name || undefined,
    isArrow(fn) ? ARROW : THIS_CONTEXT,
  );
}

/**
 * The task whose body is running now, when tracing or implicit stop inheritance is on;
 * `undefined` otherwise or outside any task.
 */
export function currentTask(): Task<unknown> | undefined {
  return currentOwner() as Task<unknown> | undefined;
}

/** Whether `value` can be awaited (a promise, a task or any thenable). */
export function isAwaitable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** @internal Starts a task directly (no thenable hop) or adopts any other awaitable. */
export function startAwaitable<T>(value: PromiseLike<T>): Promise<T> {
  if (value instanceof Task) return startTask(value) as Promise<T>;
  if (value instanceof Promise) return value;
  return Promise.resolve(value);
}

/** @internal A short description of a value's type for error messages. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value;
}
