import { performance } from 'node:perf_hooks';
import {
  type JobArgs,
  type JobName,
  type JobResult,
  ThreadPool,
  type ThreadPoolOptions,
} from '@coro/pool';
import {
  type Executor,
  type Expected,
  err,
  InvalidArgumentError,
  isAwaitable,
  isStopRequested,
  isTracing,
  ok,
  onStop,
  type StopLike,
  type StopRegistration,
  type StopSource,
  type StopToken,
  stopReason,
  Task,
  type TaskContext,
  TimeoutError,
  task as taskFactory,
  toCancelledError,
  toStopLike,
  traceAwait,
} from '@coro/task';
import { SchedulerModeError, SchedulerShutdownError } from './errors.ts';
import { CallbackTimer, TimerEntry, TimerQueue } from './internal/timer-queue.ts';
import {
  type PollOp,
  type PollOptions,
  type PollStatus,
  type PollTarget,
  pollTarget,
} from './poll.ts';

/**
 * How the scheduler's events are driven. `'spawn'` (the default): by the Node.js event loop, in
 * real time. `'manual'`: by calls to `processEvents()`, in virtual time.
 */
export type ThreadStrategy = 'spawn' | 'manual';

/**
 * Where work runs. `'inline'` (the default without a pool): everything runs on the event loop.
 * `'pool'` (the default with a `pool` option): the scheduler also has a `ThreadPool`, and
 * `offload(name, ...args)` runs CPU-heavy functions on its threads.
 */
export type ExecutionStrategy = 'inline' | 'pool';

type AnyJobs = Record<string, (...args: any[]) => any>;

/** Options for `new IoScheduler(...)`. */
export interface IoSchedulerOptions<M extends object = AnyJobs> {
  /**
   * `'spawn'` (default): the event loop drives the scheduler and time is real
   * (`performance.now()`). `'manual'`: nothing runs until `processEvents()` is called, and time
   * is virtual: it starts at 0 and moves only through `processEvents()` and `advanceTime()`.
   */
  readonly threadStrategy?: ThreadStrategy | undefined;
  /** `'inline'` or `'pool'`; see `ExecutionStrategy`. `'pool'` needs the `pool` option. */
  readonly executionStrategy?: ExecutionStrategy | undefined;
  /**
   * The thread pool for `offload()`: a `ThreadPool` you own (the scheduler leaves it running on
   * shutdown), or `ThreadPoolOptions` for one the scheduler creates and shuts down with itself.
   */
  readonly pool?: ThreadPool<M> | ThreadPoolOptions | undefined;
  /** Called once when a `'spawn'` scheduler starts (at construction). */
  readonly onIoThreadStart?: (() => void) | undefined;
  /** Called once when a `'spawn'` scheduler's `shutdown()` has completed. */
  readonly onIoThreadStop?: (() => void) | undefined;
  /**
   * Receives the errors of detached tasks (and of joinable tasks nobody was joining when they
   * failed). Defaults to printing them with `console.error`; never an unhandled rejection.
   */
  readonly onError?: ((error: unknown) => void) | undefined;
}

/** Options of the timed waits (`yieldFor`, `yieldUntil`, `scheduleAfter`, `scheduleAt`). */
export interface TimerOptions {
  /**
   * Gives up when this stops: the wait rejects with a `CancelledError` and its timer is removed
   * at once.
   */
  readonly signal?: StopLike | { readonly stopToken: StopToken } | undefined;
}

/** Options of `schedule(task, options)`. */
export interface ScheduleOptions {
  /** Milliseconds (finite, ≥ 0) after which the result is `{ ok: false, error: 'timeout' }`. */
  readonly timeout?: number | undefined;
  /** Also asked to stop when the timeout (or the signal) wins: libcoro's `std::stop_source`. */
  readonly stopSource?: StopSource | undefined;
  /** Gives up when this stops: the result is `{ ok: false, error: 'cancelled' }`. */
  readonly signal?: StopLike | { readonly stopToken: StopToken } | undefined;
}

type State = 'running' | 'stopping' | 'stopped';

function noop(): void {}

function defaultOnError(error: unknown): void {
  console.error('coro: a detached task failed:', error);
}

function flush(): Promise<void> {
  // Every microtask runs before the next macrotask, so one trip through the check phase lets
  // every resumed task run until it waits again.
  return new Promise((resolve) => setImmediate(resolve));
}

/** Starts a task directly (no thenable hop), or adopts any other awaitable. */
function startOf<T>(awaitable: PromiseLike<T>): Promise<T> {
  if (awaitable instanceof Task) return awaitable.start() as Promise<T>;
  if (awaitable instanceof Promise) return awaitable;
  return Promise.resolve(awaitable);
}

function checkDuration(ms: unknown, where: string): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new InvalidArgumentError(
      `${where} expects a finite number of milliseconds ≥ 0, got ${String(ms)}`,
    );
  }
  return ms;
}

function checkTimePoint(t: unknown, where: string): number {
  if (typeof t !== 'number' || !Number.isFinite(t)) {
    throw new InvalidArgumentError(
      `${where} expects a finite time point (a scheduler.now() value), got ${String(t)}`,
    );
  }
  return t;
}

/** A cancellable sleep: resolves when its deadline is reached, rejects when its signal stops. */
class SleepWaiter extends TimerEntry {
  resolve: () => void;
  reject: (error: unknown) => void;
  registration: StopRegistration | undefined = undefined;

  constructor(resolve: () => void, reject: (error: unknown) => void) {
    super();
    this.resolve = resolve;
    this.reject = reject;
  }

  override fire(): void {
    this.registration?.unregister();
    this.registration = undefined;
    this.resolve();
  }
}

/**
 * A callback pending on a scheduler's timer heap, made by `scheduler.callAfter(ms, fn)`.
 * `cancel()` removes it at once; `using` cancels it at the end of the scope.
 */
export class ScheduledCall extends TimerEntry implements Disposable {
  #scheduler: IoScheduler<any> | undefined;
  #callback: (() => void) | undefined;

  /** @internal Use `scheduler.callAfter()`. */
  constructor(scheduler: IoScheduler<any>, callback: () => void) {
    super();
    this.#scheduler = scheduler;
    this.#callback = callback;
  }

  /** Whether the call is still pending (neither run nor cancelled). */
  get pending(): boolean {
    return this.#callback !== undefined;
  }

  /** Removes the call. Returns `true` if it was still pending. */
  cancel(): boolean {
    const scheduler = this.#scheduler;
    if (scheduler === undefined) return false;
    this.#scheduler = undefined;
    this.#callback = undefined;
    return scheduler._cancelTimer(this);
  }

  [Symbol.dispose](): void {
    this.cancel();
  }

  /** @internal */
  override fire(): void {
    const scheduler = this.#scheduler;
    const callback = this.#callback;
    this.#scheduler = undefined;
    this.#callback = undefined;
    if (callback === undefined) return;
    try {
      callback();
    } catch (error) {
      scheduler?._report(error);
    }
  }
}

/**
 * libcoro's `io_scheduler` on the Node.js event loop: a run queue, timers, `poll` on sockets and
 * streams, timeouts, detached and joinable tasks, and a manual mode on virtual time.
 *
 * - `schedule()` resumes the caller after the tasks already queued (a microtask-level hop);
 *   `yield()` resumes it on the next turn of the loop, after pending I/O and timers.
 * - Timed waits live in one heap behind one libuv timer, re-armed to the earliest deadline, so
 *   a million pending `yieldFor`s cost no timer handle each, and a cancelled wait is removed at
 *   once. Resumptions are batched: one loop turn resumes every task that became ready.
 * - In `threadStrategy: 'manual'`, nothing runs until `processEvents()`, and `now()` is virtual.
 *
 * @example
 * const scheduler = new IoScheduler();
 * const worker = task(async (id: number) => {
 *   await scheduler.schedule();
 *   await scheduler.yieldFor(10 * id);
 *   return id;
 * });
 * console.log(await whenAll([worker(1), worker(2)])); // [1, 2]
 * await scheduler.shutdown();
 */
export class IoScheduler<M extends object = AnyJobs> implements Executor, AsyncDisposable {
  /** How events are driven: `'spawn'` (event loop, real time) or `'manual'` (virtual time). */
  readonly threadStrategy: ThreadStrategy;
  /** Where work runs: `'inline'` or `'pool'` (with `offload`). */
  readonly executionStrategy: ExecutionStrategy;
  readonly #pool: ThreadPool<M> | undefined;
  readonly #ownsPool: boolean;
  readonly #manual: boolean;
  readonly #onError: (error: unknown) => void;
  readonly #onStop: (() => void) | undefined;
  // The run queue, as two arrays swapped on each drain so draining allocates nothing.
  #ready: (() => void)[] = [];
  #readySpare: (() => void)[] = [];
  #readyQueued = false;
  // yield()ers wait for the next check phase (after I/O), also batched. The first of a turn is
  // kept in a field: a lone task yielding in a loop then never touches the arrays.
  #firstYielder: (() => void) | undefined = undefined;
  #yielded: (() => void)[] = [];
  #yieldedSpare: (() => void)[] = [];
  #yieldQueued = false;
  readonly #timers = new TimerQueue();
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  #armedAt = Number.POSITIVE_INFINITY;
  #virtualNow = 0;
  /** Tasks the scheduler owns (spawned, joinable, group, `schedule(task)`) not yet settled. */
  #owned = 0;
  #polls = 0;
  #state: State = 'running';
  #shutdownPromise: Promise<void> | undefined = undefined;
  #drained: (() => void) | undefined = undefined;
  #processing = false;
  #wakers: (() => void)[] = [];
  // performance.now() costs ~70 ns, as much as the rest of a timed wait: read it once per run of
  // synchronous code and microtasks, as Node's own timers read the loop time once per turn.
  #clock = -1;
  readonly #clearClock = (): void => {
    this.#clock = -1;
  };

  // Bound once: `new Promise(this.#pushReady)` costs no closure per call.
  readonly #pushReady = (resolve: () => void): void => {
    this.#ready.push(resolve);
    if (this.#manual) this.#wake();
    else if (!this.#readyQueued) {
      this.#readyQueued = true;
      queueMicrotask(this.#drainReady);
    }
  };

  readonly #pushYield = (resolve: () => void): void => {
    if (this.#manual) {
      this.#ready.push(resolve);
      this.#wake();
      return;
    }
    if (!this.#yieldQueued) {
      this.#yieldQueued = true;
      this.#firstYielder = resolve;
      setImmediate(this.#drainYielded);
    } else {
      this.#yielded.push(resolve);
    }
  };

  readonly #drainReady = (): void => {
    this.#readyQueued = false;
    this.#runReadyBatch();
  };

  readonly #drainYielded = (): void => {
    this.#yieldQueued = false;
    const first = this.#firstYielder!;
    this.#firstYielder = undefined;
    first();
    if (this.#yielded.length === 0) return;
    const batch = this.#yielded;
    this.#yielded = this.#yieldedSpare;
    for (let i = 0; i < batch.length; i++) batch[i]!();
    batch.length = 0;
    this.#yieldedSpare = batch;
  };

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
    this.#fireDue(performance.now());
    const next = this.#timers.earliest;
    if (next !== undefined) this.#arm(next);
  };

  constructor(options?: IoSchedulerOptions<M>) {
    const strategy = options?.threadStrategy ?? 'spawn';
    if (strategy !== 'spawn' && strategy !== 'manual') {
      throw new InvalidArgumentError(
        `threadStrategy must be 'spawn' or 'manual', got ${String(strategy)}`,
      );
    }
    for (const key of ['onIoThreadStart', 'onIoThreadStop', 'onError'] as const) {
      const value = options?.[key];
      if (value !== undefined && typeof value !== 'function') {
        throw new InvalidArgumentError(`${key} must be a function, got ${typeof value}`);
      }
    }
    const pool = options?.pool;
    const execution = options?.executionStrategy ?? (pool === undefined ? 'inline' : 'pool');
    if (execution !== 'inline' && execution !== 'pool') {
      throw new InvalidArgumentError(
        `executionStrategy must be 'inline' or 'pool', got ${String(execution)}`,
      );
    }
    if (execution === 'pool' && pool === undefined) {
      throw new InvalidArgumentError(
        "executionStrategy 'pool' needs the pool option: a ThreadPool or ThreadPoolOptions",
      );
    }
    if (execution === 'inline' && pool !== undefined) {
      throw new InvalidArgumentError(
        "executionStrategy 'inline' runs everything on the event loop; drop the pool option or use 'pool'",
      );
    }
    if (pool !== undefined && (pool === null || typeof pool !== 'object')) {
      throw new InvalidArgumentError('pool must be a ThreadPool or ThreadPoolOptions');
    }
    this.threadStrategy = strategy;
    this.executionStrategy = execution;
    this.#manual = strategy === 'manual';
    this.#onError = options?.onError ?? defaultOnError;
    this.#onStop = this.#manual ? undefined : options?.onIoThreadStop;
    if (pool instanceof ThreadPool) {
      this.#pool = pool;
      this.#ownsPool = false;
    } else if (pool !== undefined) {
      this.#pool = new ThreadPool<M>(pool as ThreadPoolOptions);
      this.#ownsPool = true;
    } else {
      this.#pool = undefined;
      this.#ownsPool = false;
    }
    if (!this.#manual) options?.onIoThreadStart?.();
  }

  /** The thread pool behind `offload()`, with `executionStrategy: 'pool'`. */
  get pool(): ThreadPool<M> | undefined {
    return this.#pool;
  }

  /**
   * With `executionStrategy: 'pool'`: a lazy task that runs the pool module's export `name`
   * with `args` on a pool thread (`pool.run`), for CPU-heavy work that would block the loop.
   * In manual mode its result is delivered through `processEvents`. Throws
   * `SchedulerModeError` without a pool.
   *
   * @example
   * const s = new IoScheduler<typeof import('./jobs.ts')>({ pool: { module: './jobs.ts' } });
   * const n = await s.offload('fib', 30);
   */
  offload<K extends JobName<M>>(name: K, ...args: JobArgs<M, K>): Task<JobResult<M, K>> {
    const pool = this.#pool;
    if (pool === undefined) {
      throw new SchedulerModeError(
        "offload() needs executionStrategy: 'pool' (a scheduler created with a pool)",
      );
    }
    if (this.#state === 'stopped') throw this.#stoppedError('offload()');
    const job = pool.run(name, ...args);
    if (!this.#manual) return job;
    return taskFactory.withContext(
      async (ctx: TaskContext): Promise<JobResult<M, K>> => {
        job.stopWith(ctx);
        try {
          return await job.start();
        } finally {
          // The result came from another thread in real time: hand it over in processEvents.
          await new Promise<void>(this.#pushReady);
        }
      },
      { name: `offload(${name})` },
    )();
  }

  /**
   * The scheduler's clock in milliseconds: `performance.now()` in `'spawn'` mode, virtual time
   * (starting at 0) in `'manual'` mode. `scheduleAt` / `yieldUntil` take these values.
   */
  now(): number {
    return this.#manual ? this.#virtualNow : performance.now();
  }

  /**
   * How much the scheduler holds: tasks it owns that have not finished (spawned, joinable,
   * task-group and `schedule(task)` tasks) plus pending awaits on it (queued `schedule()` /
   * `yield()` resumptions, timed waits, polls). A task it owns that is waiting on it counts
   * twice. `0` means nothing is left.
   */
  get size(): number {
    return (
      this.#owned +
      this.#ready.length +
      (this.#firstYielder === undefined ? 0 : 1) +
      this.#yielded.length +
      this.#timers.waiters +
      this.#polls
    );
  }

  /** Whether `size` is 0. */
  /** @internal Whether the scheduler's one libuv timer is armed: for "nothing left behind" tests. */
  get _timerArmed(): boolean {
    return this.#timer !== undefined;
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  /** `'running'`, `'stopping'` (shutdown called, draining) or `'stopped'`. */
  get state(): State {
    return this.#state;
  }

  /**
   * Without a task: moves the caller to the back of the run queue; it resumes after the tasks
   * already queued, without waiting for I/O (use `yield()` in loops).
   *
   * With a task: a lazy `Task` that, when awaited, hops onto the scheduler, runs `task` and
   * resolves with its result. With `{ timeout, signal, stopSource }` it resolves with an
   * `Expected`: `{ ok: true, value }`, or `{ ok: false, error: 'timeout' | 'cancelled' }` when
   * the timeout or the signal wins first; then stop is requested on the task (and on
   * `stopSource`), and the scheduler still accounts for the task until it settles.
   *
   * @example
   * await scheduler.schedule();
   * const r = await scheduler.schedule(fetchQuote(), { timeout: 100 });
   * if (!r.ok) console.log('timed out');
   */
  schedule(): Promise<void>;
  schedule<T>(task: PromiseLike<T>): Task<T>;
  schedule<T>(
    task: PromiseLike<T>,
    options: ScheduleOptions,
  ): Task<Expected<T, 'timeout' | 'cancelled'>>;
  schedule<T>(
    task?: PromiseLike<T>,
    options?: ScheduleOptions,
  ): Promise<void> | Task<T> | Task<Expected<T, 'timeout' | 'cancelled'>> {
    if (task === undefined && options === undefined) {
      if (this.#state === 'stopped') throw this.#stoppedError('schedule()');
      return new Promise<void>(this.#pushReady);
    }
    if (!isAwaitable(task)) {
      throw new InvalidArgumentError(`schedule(task) expects a task or promise`);
    }
    if (this.#state === 'stopped') throw this.#stoppedError('schedule(task)');
    if (options === undefined) {
      return taskFactory.withContext(
        async (ctx: TaskContext): Promise<T> => {
          if (task instanceof Task) task.stopWith(ctx);
          await this.schedule();
          return this.#track(startOf(task));
        },
        { name: 'schedule' },
      )();
    }
    const timeout =
      options.timeout === undefined ? undefined : checkDuration(options.timeout, 'timeout');
    const signal = toStopLike(options.signal);
    const stopSource = options.stopSource;
    return taskFactory.withContext(
      async (ctx: TaskContext): Promise<Expected<T, 'timeout' | 'cancelled'>> => {
        if (task instanceof Task) task.stopWith(ctx);
        await this.schedule();
        const promise = this.#track(startOf(task));
        return this.#race(promise, task, timeout, signal, stopSource);
      },
      { name: 'schedule' },
    )();
  }

  /**
   * Gives every other ready task, pending I/O callback and due timer a turn, then resumes the
   * caller (on the next turn of the event loop; in manual mode, in the next round of
   * `processEvents`). Yielders are resumed in FIFO order, all of one turn in one batch.
   *
   * @example
   * while (!ctx.stopRequested) { step(); await scheduler.yield(); }
   */
  yield(): Promise<void> {
    if (this.#state === 'stopped') throw this.#stoppedError('yield()');
    return new Promise<void>(this.#pushYield);
  }

  /**
   * Resumes the caller once `ms` milliseconds have passed (at least; it then waits its turn).
   * `0` is `yield()` (and, being due at once, is not cancelled by a later stop). With `{ signal }`, rejects with `CancelledError` when the signal stops
   * first, and the timer is gone at once. Throws `InvalidArgumentError` for a negative or
   * non-finite `ms`.
   *
   * @example
   * await scheduler.yieldFor(50);
   */
  yieldFor(ms: number, options?: TimerOptions): Promise<void> {
    checkDuration(ms, 'yieldFor');
    if (ms === 0) return this.#now(options, this.#pushYield);
    const sleeping = this.#sleep(this.#deadlineAfter(ms), options);
    return isTracing() ? traceAwait(`yieldFor(${ms}ms)`, sleeping) : sleeping;
  }

  /**
   * Resumes the caller at time point `t` (a `now()` value). A time point in the past resumes it
   * at once, like `yield()` (as libcoro does). Takes `{ signal }` like `yieldFor`.
   */
  yieldUntil(t: number, options?: TimerOptions): Promise<void> {
    checkTimePoint(t, 'yieldUntil');
    if (t <= this.now()) return this.#now(options, this.#pushYield);
    const sleeping = this.#sleep(this.#deadlineAt(t), options);
    return isTracing() ? traceAwait(`yieldUntil(${t})`, sleeping) : sleeping;
  }

  /**
   * libcoro's `schedule_after`: resumes the caller after `ms` milliseconds. `0` is `schedule()`.
   * Takes `{ signal }` like `yieldFor`.
   */
  scheduleAfter(ms: number, options?: TimerOptions): Promise<void> {
    checkDuration(ms, 'scheduleAfter');
    if (ms === 0) return this.#now(options, this.#pushReady);
    const sleeping = this.#sleep(this.#deadlineAfter(ms), options);
    return isTracing() ? traceAwait(`scheduleAfter(${ms}ms)`, sleeping) : sleeping;
  }

  /**
   * libcoro's `schedule_at`: resumes the caller at time point `t` (a `now()` value); a time
   * point in the past is `schedule()`. Takes `{ signal }` like `yieldFor`.
   */
  scheduleAt(t: number, options?: TimerOptions): Promise<void> {
    checkTimePoint(t, 'scheduleAt');
    if (t <= this.now()) return this.#now(options, this.#pushReady);
    const sleeping = this.#sleep(this.#deadlineAt(t), options);
    return isTracing() ? traceAwait(`scheduleAt(${t})`, sleeping) : sleeping;
  }

  /**
   * Starts `task` on the scheduler (from its run queue) and forgets it: the scheduler keeps
   * account of it, `shutdown()` waits for it, and its error goes to the `onError` option,
   * never to an unhandled rejection. Throws `SchedulerShutdownError` once `shutdown()` was called.
   *
   * @example
   * scheduler.spawnDetached(handleConnection(socket));
   */
  spawnDetached(task: PromiseLike<unknown>): void {
    if (!isAwaitable(task))
      throw new InvalidArgumentError('spawnDetached expects a task or promise');
    this.#checkAccepting('spawnDetached');
    this._spawn(task, undefined);
  }

  /**
   * Starts `task` on the scheduler like `spawnDetached`, and returns a `Task<void>` that
   * completes when it does (rejecting with its error). If it fails while nobody awaits the
   * returned task, the error also goes to `onError`.
   *
   * @example
   * const join = scheduler.spawnJoinable(work());
   * await join;
   */
  spawnJoinable(task: PromiseLike<unknown>): Task<void> {
    if (!isAwaitable(task))
      throw new InvalidArgumentError('spawnJoinable expects a task or promise');
    this.#checkAccepting('spawnJoinable');
    let joined = false;
    let resolveJoin!: () => void;
    let rejectJoin!: (error: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      resolveJoin = resolve;
      rejectJoin = reject;
    });
    done.then(undefined, noop);
    this._spawn(task, (error, failed) => {
      if (!failed) resolveJoin();
      else {
        if (!joined) this.#report(error);
        rejectJoin(error);
      }
    });
    return Task.from(
      () => {
        joined = true;
        return done;
      },
      { name: 'spawnJoinable' },
    );
  }

  /**
   * Calls `callback` once, `ms` milliseconds from now on the scheduler's clock — real time, or
   * virtual time in manual mode (then it runs inside `processEvents`) — from the same timer heap
   * as `yieldFor`. The building block for timeouts that must honour manual mode (a handshake
   * timeout in a protocol, say). `cancel()` (or `using`) removes it at once and returns whether
   * it was still pending. A callback that throws reports to `onError`.
   *
   * @example
   * using deadline = scheduler.callAfter(5_000, () => socket.destroy(new Error('too slow')));
   * await handshake(socket);
   */
  callAfter(ms: number, callback: () => void): ScheduledCall {
    checkDuration(ms, 'callAfter');
    if (typeof callback !== 'function') {
      throw new InvalidArgumentError(`callAfter expects a function, got ${typeof callback}`);
    }
    if (this.#state === 'stopped') throw this.#stoppedError('callAfter()');
    const call = new ScheduledCall(this, callback);
    this._addTimer(this.#deadlineAfter(ms), call);
    return call;
  }

  /**
   * Waits until `target` (a `net.Socket`, or any readable / writable stream) is ready for `op`:
   * resolves with `'read'` (data is buffered, read it with `target.read()`), `'write'` (a write
   * will not be buffered), `'closed'` (end of stream, or the stream is gone), `'error'` (the
   * stream failed: see `target.errored`), `'timeout'` or `'cancelled'`. Every listener, timer
   * and stop registration it installed is removed when it settles. Poll streams in paused mode
   * (no `'data'` listener). Throws `InvalidArgumentError` for a target that cannot do `op`.
   *
   * @example
   * if ((await scheduler.poll(socket, 'read', { timeout: 1000 })) === 'read') {
   *   const chunk = socket.read();
   * }
   */
  poll(target: PollTarget, op: PollOp, options?: PollOptions): Promise<PollStatus> {
    if (this.#state === 'stopped') throw this.#stoppedError('poll()');
    const polling = pollTarget(this, target, op, options);
    return isTracing() ? traceAwait(`poll(${op})`, polling) : polling;
  }

  /**
   * Manual mode only. Runs the scheduler on virtual time and resolves with `size` afterwards:
   *
   * 1. Runs rounds until idle: each round resumes every task in the run queue (in FIFO order),
   *    then every timed wait whose deadline is ≤ `now()` (in deadline order, FIFO for equal
   *    deadlines), then lets all of them run until they wait again. A round that resumes
   *    nothing ends it.
   * 2. With `timeoutMs` (default 0): while the earliest pending deadline is within `timeoutMs`
   *    of the `now()` at the call, moves `now()` to that deadline and runs until idle again.
   *    Finally `now()` becomes start + `timeoutMs` (for a finite timeout): that much virtual
   *    time has passed. `Infinity` runs every timer there is.
   *
   * A task that yields forever keeps this busy forever, exactly as it would keep a real loop
   * busy. Throws `SchedulerModeError` outside manual mode or while another call is running.
   *
   * @example
   * const s = new IoScheduler({ threadStrategy: 'manual' });
   * const r = s.schedule(slow(), { timeout: 30_000 }).start();
   * await s.processEvents(30_000); // instant: virtual time
   * console.log(await r);          // { ok: false, error: 'timeout' }
   */
  processEvents(timeoutMs = 0): Promise<number> {
    this.#checkManual('processEvents');
    if (timeoutMs !== Number.POSITIVE_INFINITY) checkDuration(timeoutMs, 'processEvents');
    if (this.#processing) {
      throw new SchedulerModeError('processEvents() is already running on this scheduler');
    }
    this.#processing = true;
    return this.#process(timeoutMs, undefined).then(
      () => {
        this.#processing = false;
        this.#wake();
        return this.size;
      },
      (error: unknown) => {
        this.#processing = false;
        this.#wake();
        throw error;
      },
    );
  }

  /**
   * Manual mode only: moves virtual time forward by `ms` without running anything (what
   * became due runs on the next `processEvents`). Returns the new `now()`.
   */
  advanceTime(ms: number): number {
    this.#checkManual('advanceTime');
    checkDuration(ms, 'advanceTime');
    this.#virtualNow += ms;
    this.#wake();
    return this.#virtualNow;
  }

  /**
   * Stops taking new tasks (`spawnDetached`, `spawnJoinable`, `TaskGroup.start` then throw
   * `SchedulerShutdownError`), waits for every task the scheduler owns to finish (they may
   * still schedule, yield, sleep and poll), shuts down the thread pool it created (one passed
   * in as a `ThreadPool` stays yours), then calls `onIoThreadStop`. In manual mode it
   * drives `processEvents` itself, on virtual time. Afterwards every call throws
   * `SchedulerShutdownError`. Calling it again returns the same promise. Do not await it from a
   * task the scheduler owns: that task would wait for itself.
   */
  shutdown(): Promise<void> {
    this.#shutdownPromise ??= this.#runShutdown();
    return this.#shutdownPromise;
  }

  /** `await using scheduler = new IoScheduler()` shuts it down at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  // ---- internals shared with poll() and TaskGroup -------------------------------------------

  /** @internal Spawns a task the scheduler owns; `onSettled` replaces the `onError` report. */
  _spawn(
    task: PromiseLike<unknown>,
    onSettled: ((error: unknown, failed: boolean) => void) | undefined,
  ): void {
    this.#owned++;
    this.#pushReady(() => {
      let promise: Promise<unknown>;
      try {
        promise = startOf(task);
      } catch (error) {
        promise = Promise.reject(error);
      }
      promise.then(
        () => {
          this.#taskDone();
          onSettled?.(undefined, false);
        },
        (error: unknown) => {
          this.#taskDone();
          if (onSettled === undefined) this.#report(error);
          else onSettled(error, true);
        },
      );
    });
  }

  /** @internal Throws unless new tasks are accepted. */
  _checkAccepting(where: string): void {
    this.#checkAccepting(where);
  }

  /** @internal The deadline `ms` from now, in the timer queue's units. */
  _deadlineAfter(ms: number): number {
    return this.#deadlineAfter(ms);
  }

  /** @internal Adds a cancellable timer entry. */
  _addTimer(deadline: number, entry: TimerEntry): void {
    this.#timers.add(deadline, entry);
    this.#arm(deadline);
  }

  /** @internal Removes a timer entry (no-op if it fired). */
  _cancelTimer(entry: TimerEntry): boolean {
    if (!this.#timers.cancel(entry)) return false;
    this.#disarmIfIdle();
    return true;
  }

  /**
   * @internal Delivers the outcome of an outside event (I/O): at once in spawn mode, through
   * the run queue in manual mode (so that nothing runs outside `processEvents`).
   */
  _deliver(fn: () => void): void {
    if (this.#manual) this.#pushReady(fn);
    else fn();
  }

  /** @internal Hands an error to `onError`. */
  _report(error: unknown): void {
    this.#report(error);
  }

  /** @internal Counts a pending poll. */
  _pollStarted(): void {
    this.#polls++;
  }

  /** @internal */
  _pollEnded(): void {
    this.#polls--;
  }

  // ---- private ------------------------------------------------------------------------------

  #runReadyBatch(): void {
    const batch = this.#ready;
    this.#ready = this.#readySpare;
    for (let i = 0; i < batch.length; i++) batch[i]!();
    batch.length = 0;
    this.#readySpare = batch;
  }

  #deadlineAfter(ms: number): number {
    if (this.#manual) return this.#virtualNow + ms;
    let now = this.#clock;
    if (now < 0) {
      now = this.#clock = performance.now();
      queueMicrotask(this.#clearClock);
    }
    // libuv timers have millisecond resolution; whole-millisecond deadlines also let the waits
    // of one millisecond share a bucket (and a promise).
    return Math.ceil(now + ms);
  }

  #deadlineAt(t: number): number {
    return this.#manual ? t : Math.ceil(t);
  }

  /** A wait that is due already: a `yield()` / `schedule()`, unless the signal already stopped. */
  #now(options: TimerOptions | undefined, push: (resolve: () => void) => void): Promise<void> {
    if (this.#state === 'stopped') throw this.#stoppedError('a timed wait');
    const signal = options?.signal === undefined ? undefined : toStopLike(options.signal);
    if (signal !== undefined && isStopRequested(signal)) {
      return Promise.reject(toCancelledError(stopReason(signal)));
    }
    return new Promise<void>(push);
  }

  #sleep(deadline: number, options: TimerOptions | undefined): Promise<void> {
    if (this.#state === 'stopped') throw this.#stoppedError('a timed wait');
    const signal = options?.signal === undefined ? undefined : toStopLike(options.signal);
    if (signal === undefined) {
      const promise = this.#timers.addShared(deadline);
      this.#arm(deadline);
      return promise;
    }
    if (isStopRequested(signal)) return Promise.reject(toCancelledError(stopReason(signal)));
    return new Promise<void>((resolve, reject) => {
      const waiter = new SleepWaiter(resolve, reject);
      this.#timers.add(deadline, waiter);
      waiter.registration = onStop(signal, (reason) => {
        if (this.#timers.cancel(waiter)) {
          this.#disarmIfIdle();
          waiter.reject(toCancelledError(reason));
        }
      });
      this.#arm(deadline);
    });
  }

  #race<T>(
    promise: Promise<T>,
    task: PromiseLike<T>,
    timeout: number | undefined,
    signal: StopLike | undefined,
    stopSource: StopSource | undefined,
  ): Promise<Expected<T, 'timeout' | 'cancelled'>> {
    return new Promise((resolve, reject) => {
      let settled = false;
      let timer: CallbackTimer | undefined;
      let registration: StopRegistration | undefined;
      const cleanup = () => {
        settled = true;
        if (timer !== undefined) this._cancelTimer(timer);
        registration?.unregister();
      };
      const giveUp = (status: 'timeout' | 'cancelled', reason: unknown) => {
        if (settled) return;
        cleanup();
        stopSource?.requestStop(reason);
        if (task instanceof Task) task.requestStop(reason);
        resolve(err(status));
      };
      promise.then(
        (value) => {
          if (settled) return;
          cleanup();
          resolve(ok(value));
        },
        (error: unknown) => {
          if (settled) return;
          cleanup();
          reject(error);
        },
      );
      if (timeout !== undefined) {
        timer = new CallbackTimer(() =>
          giveUp(
            'timeout',
            new TimeoutError(`the scheduled task timed out after ${timeout}ms`, { timeout }),
          ),
        );
        this._addTimer(this.#deadlineAfter(timeout), timer);
      }
      if (signal !== undefined && !settled) {
        registration = onStop(signal, (reason) => giveUp('cancelled', reason));
      }
    });
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#owned++;
    const done = () => this.#taskDone();
    promise.then(done, done);
    return promise;
  }

  #taskDone(): void {
    this.#owned--;
    if (this.#owned === 0 && this.#drained !== undefined) {
      const drained = this.#drained;
      this.#drained = undefined;
      drained();
    }
    if (this.#manual) this.#wake();
  }

  #report(error: unknown): void {
    try {
      this.#onError(error);
    } catch (thrown) {
      // A throwing error handler is a bug in it: surface it like a throwing event listener.
      queueMicrotask(() => {
        throw thrown;
      });
    }
  }

  #arm(deadline: number): void {
    if (this.#manual) {
      this.#wake();
      return;
    }
    if (deadline >= this.#armedAt) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedAt = deadline;
    const delay = Math.ceil(deadline - performance.now());
    this.#timer = setTimeout(this.#onTimer, Math.max(delay, 1));
  }

  #disarmIfIdle(): void {
    // Nothing pending: drop the libuv timer so that a cancelled wait keeps nothing alive.
    if (this.#timer !== undefined && this.#timers.earliest === undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#armedAt = Number.POSITIVE_INFINITY;
    }
  }

  /** Fires every bucket due at `now`; returns how many fired. */
  #fireDue(now: number): number {
    const timers = this.#timers;
    let fired = 0;
    for (;;) {
      const bucket = timers.popDue(now);
      if (bucket === undefined) return fired;
      timers.fire(bucket);
      fired++;
    }
  }

  async #process(timeoutMs: number, until: (() => boolean) | undefined): Promise<void> {
    const limit = this.#virtualNow + timeoutMs;
    for (;;) {
      await this.#runUntilIdle(until);
      if (until?.()) return;
      const next = this.#timers.earliest;
      if (next === undefined || next > limit) break;
      if (next > this.#virtualNow) this.#virtualNow = next;
    }
    if (limit !== Number.POSITIVE_INFINITY && limit > this.#virtualNow) this.#virtualNow = limit;
  }

  async #runUntilIdle(until: (() => boolean) | undefined): Promise<void> {
    for (;;) {
      let progressed = false;
      if (this.#ready.length > 0) {
        this.#runReadyBatch();
        progressed = true;
      }
      if (this.#fireDue(this.#virtualNow) > 0) progressed = true;
      if (!progressed) return;
      await flush();
      if (until?.()) return;
    }
  }

  async #runShutdown(): Promise<void> {
    this.#state = 'stopping';
    if (this.#manual) {
      const drained = () => this.#owned === 0;
      while (!drained()) {
        if (!this.#processing) {
          this.#processing = true;
          try {
            await this.#process(Number.POSITIVE_INFINITY, drained);
          } finally {
            this.#processing = false;
          }
        }
        if (!drained()) await new Promise<void>((resolve) => this.#wakers.push(resolve));
      }
    } else if (this.#owned > 0) {
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
      });
    }
    if (this.#ownsPool) await this.#pool!.shutdown();
    this.#state = 'stopped';
    this.#onStop?.();
  }

  #wake(): void {
    const wakers = this.#wakers;
    if (wakers.length === 0) return;
    this.#wakers = [];
    for (const wake of wakers) wake();
  }

  #checkManual(where: string): void {
    if (!this.#manual) {
      throw new SchedulerModeError(
        `${where}() needs a scheduler in threadStrategy: 'manual'; this one is driven by the event loop`,
      );
    }
  }

  #checkAccepting(where: string): void {
    if (this.#state !== 'running') {
      throw new SchedulerShutdownError(
        `${where}: the scheduler is ${this.#state === 'stopping' ? 'shutting down' : 'shut down'} and takes no new tasks`,
      );
    }
  }

  #stoppedError(where: string): SchedulerShutdownError {
    return new SchedulerShutdownError(`${where}: the scheduler is shut down`);
  }
}
