import type { JobArgs, JobName, JobResult, ThreadPool } from '@coro/pool';
import {
  type Executor,
  type Expected,
  InvalidArgumentError,
  isAwaitable,
  isStopRequested,
  isTracing,
  type StopLike,
  stopReason,
  Task,
  type TaskContext,
  task as taskFactory,
  toCancelledError,
  toStopLike,
  traceAwait,
} from '@coro/task';
import { SchedulerModeError, SchedulerShutdownError } from './errors.ts';
import { type Clock, RealClock, VirtualClock } from './internal/clock.ts';
import { type Driver, LoopDriver } from './internal/driver.ts';
import {
  checkDuration,
  checkFiniteDuration,
  checkOptions,
  checkTimePoint,
  checkTimeout,
} from './internal/durations.ts';
import { ManualDriver } from './internal/manual-driver.ts';
import { Notifier } from './internal/notifier.ts';
import { OwnedTasks, startOf } from './internal/owned-tasks.ts';
import { PendingCall } from './internal/pending-call.ts';
import { raceTimeout } from './internal/race.ts';
import type { WorkQueue } from './internal/run-queue.ts';
import { readSchedulerOptions } from './internal/scheduler-options.ts';
import { sleepUntil } from './internal/sleep.ts';
import { TimerService } from './internal/timer-service.ts';
import type {
  AnyJobs,
  ExecutionStrategy,
  IoSchedulerOptions,
  ScheduleOptions,
  ThreadStrategy,
  TimerOptions,
} from './options.ts';
import {
  type PollHost,
  type PollOp,
  type PollOptions,
  type PollStatus,
  type PollTarget,
  pollTarget,
} from './poll.ts';
import { ScheduledCall } from './scheduled-call.ts';

type State = 'running' | 'stopping' | 'stopped';

function noop(): void {}

function signalOf(options: TimerOptions | undefined): StopLike | undefined {
  return options?.signal === undefined ? undefined : toStopLike(options.signal);
}

/**
 * libcoro's `io_scheduler` on the Node.js event loop: a run queue, timers, `poll` on sockets and
 * streams, timeouts, detached and joinable tasks, and a manual mode on virtual time.
 *
 * - `schedule()` resumes the caller after the tasks already queued (a microtask-level hop);
 *   `yield()` resumes it on the next turn of the loop, after pending I/O and timers. Each
 *   drain resumes every task queued for it with one callback.
 * - Timed waits live in one heap behind one libuv timer, re-armed to the earliest deadline, so
 *   a million pending `yieldFor`s cost no timer handle each, and a cancelled wait is removed at
 *   once. Durations are measured from the call; above 2^31-1 ms they work too.
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
  readonly #onError: (error: unknown) => void;
  readonly #onStop: (() => void) | undefined;
  readonly #clock: Clock;
  readonly #timers: TimerService;
  readonly #notifier = new Notifier();
  readonly #driver: Driver;
  readonly #manual: ManualDriver | undefined;
  readonly #ready: WorkQueue;
  readonly #turn: WorkQueue;
  readonly #deliver: (fn: () => void) => void;
  readonly #pollHost: PollHost;
  readonly #owned: OwnedTasks;
  #polls = 0;
  #state: State = 'running';
  #shutdownPromise: Promise<void> | undefined = undefined;

  constructor(options?: IoSchedulerOptions<M>) {
    const settings = readSchedulerOptions(options);
    this.threadStrategy = settings.threadStrategy;
    this.executionStrategy = settings.executionStrategy;
    this.#pool = settings.pool;
    this.#ownsPool = settings.ownsPool;
    this.#onError = settings.onError;
    this.#onStop = settings.onStop;
    const notifier = this.#notifier;
    const changed = () => notifier.notify();
    if (settings.threadStrategy === 'manual') {
      const clock = new VirtualClock();
      this.#clock = clock;
      this.#timers = new TimerService({
        clock,
        realTime: false,
        onAdded: changed,
        onEnded: changed,
      });
      this.#manual = new ManualDriver(clock, this.#timers, notifier);
      this.#driver = this.#manual;
    } else {
      this.#clock = new RealClock();
      this.#timers = new TimerService({ clock: this.#clock, realTime: true, onEnded: changed });
      this.#manual = undefined;
      this.#driver = new LoopDriver(notifier);
    }
    const driver = this.#driver;
    this.#ready = driver.ready;
    this.#turn = driver.turn;
    this.#deliver = (fn) => driver.deliver(fn);
    this.#owned = new OwnedTasks(this.#ready, (error) => this.#report(error), changed);
    this.#pollHost = {
      clock: this.#clock,
      timers: this.#timers,
      deliver: this.#deliver,
      started: () => {
        this.#polls++;
      },
      ended: () => {
        this.#polls--;
        notifier.notify();
      },
    };
    settings.onStart?.();
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
    if (this.#manual === undefined) return job;
    return taskFactory.withContext(
      (ctx: TaskContext): Promise<JobResult<M, K>> => {
        job.stopWith(ctx);
        // The result comes from another thread in real time: hand it over in processEvents.
        // Until then the scheduler owns it, so it counts in `size` and shutdown waits for it
        // (the run queue it is handed to is drained until then).
        return this.#driver.handOver(this.#owned.track(job.start()));
      },
      { name: `offload(${name})` },
    )();
  }

  /**
   * The scheduler's clock in milliseconds: `performance.now()` in `'spawn'` mode, virtual time
   * (starting at 0) in `'manual'` mode. `scheduleAt` / `yieldUntil` take these values.
   */
  now(): number {
    return this.#clock.now();
  }

  /**
   * How much the scheduler holds: tasks it owns that have not finished (spawned, joinable,
   * task-group and `schedule(task)` tasks) plus pending awaits on it (queued `schedule()` /
   * `yield()` resumptions, timed waits, polls). A task it owns that is waiting on it counts
   * twice. `0` means nothing is left.
   */
  get size(): number {
    const turn = this.#turn === this.#ready ? 0 : this.#turn.size;
    return this.#owned.count + this.#ready.size + turn + this.#timers.waiters + this.#polls;
  }

  /** Whether `size` is 0. */
  get isEmpty(): boolean {
    return this.size === 0;
  }

  /** @internal Whether the scheduler's one libuv timer is armed: for "nothing left behind" tests. */
  get _timerArmed(): boolean {
    return this.#timers.armed;
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
   * `timeout: Infinity` is no timeout.
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
      return this.#ready.join();
    }
    return this.#scheduleTask(task, options);
  }

  #scheduleTask<T>(
    task: PromiseLike<T> | undefined,
    options: ScheduleOptions | undefined,
  ): Task<T> | Task<Expected<T, 'timeout' | 'cancelled'>> {
    if (!isAwaitable(task)) {
      throw new InvalidArgumentError(`schedule(task) expects a task or promise`);
    }
    checkOptions(options, 'schedule(task)');
    if (this.#state === 'stopped') throw this.#stoppedError('schedule(task)');
    if (options === undefined) {
      return taskFactory.withContext(
        async (ctx: TaskContext): Promise<T> => {
          if (task instanceof Task) task.stopWith(ctx);
          await this.#ready.join();
          return this.#driver.handOver(this.#owned.track(startOf(task)));
        },
        { name: 'schedule' },
      )();
    }
    const timeout = checkTimeout(options.timeout);
    const signal = toStopLike(options.signal);
    const stopSource = options.stopSource;
    const host = { clock: this.#clock, timers: this.#timers, deliver: this.#deliver };
    return taskFactory.withContext(
      async (ctx: TaskContext): Promise<Expected<T, 'timeout' | 'cancelled'>> => {
        if (task instanceof Task) task.stopWith(ctx);
        await this.#ready.join();
        const promise = this.#owned.track(startOf(task));
        return raceTimeout(host, promise, task, timeout, signal, stopSource);
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
    return this.#turn.join();
  }

  /**
   * Resumes the caller once `ms` milliseconds have passed since the call (at least; it then
   * waits its turn). `0` is `yield()` (and, being due at once, is not cancelled by a later
   * stop); `Infinity` never ends by itself. Above 2^31-1 ms works too. With `{ signal }`,
   * rejects with `CancelledError` when the signal stops first, and the timer is gone at once.
   * Throws `InvalidArgumentError` for a negative, NaN or non-number `ms`.
   *
   * @example
   * await scheduler.yieldFor(50);
   */
  yieldFor(ms: number, options?: TimerOptions): Promise<void> {
    checkDuration(ms, 'yieldFor');
    checkOptions(options, 'yieldFor');
    if (ms === 0) return this.#due(options, this.#turn);
    const sleeping = this.#sleep(this.#clock.deadlineAfter(ms), options);
    return isTracing() ? traceAwait(`yieldFor(${ms}ms)`, sleeping) : sleeping;
  }

  /**
   * Resumes the caller at time point `t` (a `now()` value; `Infinity`: never by itself). A
   * time point in the past resumes it at once, like `yield()` (as libcoro does). Takes
   * `{ signal }` like `yieldFor`.
   */
  yieldUntil(t: number, options?: TimerOptions): Promise<void> {
    checkTimePoint(t, 'yieldUntil');
    checkOptions(options, 'yieldUntil');
    if (t <= this.#clock.now()) return this.#due(options, this.#turn);
    const sleeping = this.#sleep(this.#clock.deadlineAt(t), options);
    return isTracing() ? traceAwait(`yieldUntil(${t})`, sleeping) : sleeping;
  }

  /**
   * libcoro's `schedule_after`: resumes the caller after `ms` milliseconds. `0` is `schedule()`.
   * Takes `{ signal }` and follows the duration rules of `yieldFor`.
   */
  scheduleAfter(ms: number, options?: TimerOptions): Promise<void> {
    checkDuration(ms, 'scheduleAfter');
    checkOptions(options, 'scheduleAfter');
    if (ms === 0) return this.#due(options, this.#ready);
    const sleeping = this.#sleep(this.#clock.deadlineAfter(ms), options);
    return isTracing() ? traceAwait(`scheduleAfter(${ms}ms)`, sleeping) : sleeping;
  }

  /**
   * libcoro's `schedule_at`: resumes the caller at time point `t` (a `now()` value); a time
   * point in the past is `schedule()`. Takes `{ signal }` like `yieldFor`.
   */
  scheduleAt(t: number, options?: TimerOptions): Promise<void> {
    checkTimePoint(t, 'scheduleAt');
    checkOptions(options, 'scheduleAt');
    if (t <= this.#clock.now()) return this.#due(options, this.#ready);
    const sleeping = this.#sleep(this.#clock.deadlineAt(t), options);
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
    this.#owned.spawn(task, undefined);
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
    const done = Promise.withResolvers<void>();
    done.promise.then(undefined, noop);
    this.#owned.spawn(task, (error, failed) => {
      if (!failed) done.resolve();
      else {
        if (!joined) this.#report(error);
        done.reject(error);
      }
    });
    return Task.from(
      () => {
        joined = true;
        return done.promise;
      },
      { name: 'spawnJoinable' },
    );
  }

  /**
   * Calls `callback` once, `ms` milliseconds from now on the scheduler's clock — real time, or
   * virtual time in manual mode (then it runs inside `processEvents`) — from the same timer heap
   * as `yieldFor`. The building block for timeouts that must honour manual mode (a handshake
   * timeout in a protocol, say). `cancel()` (or `using`) removes it at once and returns whether
   * it was still pending. A callback that throws reports to `onError`. `Infinity`: it never
   * runs, until cancelled it counts as pending.
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
    const call = new PendingCall(this.#timers, callback, (error) => this.#report(error));
    this.#timers.add(this.#clock.deadlineAfter(ms), call);
    return new ScheduledCall(call);
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
    const polling = pollTarget(this.#pollHost, target, op, options);
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
   *    time has passed. `Infinity` runs every timer there is (waits without a deadline stay).
   *
   * Nothing resumes outside this call: stop requests, I/O and results from other threads that
   * arrive in between are delivered here. A task that yields forever keeps this busy forever,
   * exactly as it would keep a real loop busy. Throws `SchedulerModeError` outside manual mode
   * or while another call is running.
   *
   * @example
   * const s = new IoScheduler({ threadStrategy: 'manual' });
   * const r = s.schedule(slow(), { timeout: 30_000 }).start();
   * await s.processEvents(30_000); // instant: virtual time
   * console.log(await r);          // { ok: false, error: 'timeout' }
   */
  processEvents(timeoutMs = 0): Promise<number> {
    const manual = this.#manualDriver('processEvents');
    checkDuration(timeoutMs, 'processEvents');
    if (manual.processing) {
      throw new SchedulerModeError('processEvents() is already running on this scheduler');
    }
    return manual.processEvents(timeoutMs).then(() => this.size);
  }

  /**
   * Manual mode only: moves virtual time forward by `ms` (finite) without running anything
   * (what became due runs on the next `processEvents`). Returns the new `now()`.
   */
  advanceTime(ms: number): number {
    const manual = this.#manualDriver('advanceTime');
    checkFiniteDuration(ms, 'advanceTime');
    return manual.advanceTime(ms);
  }

  /**
   * Stops taking new tasks (`spawnDetached`, `spawnJoinable`, `TaskGroup.start` then throw
   * `SchedulerShutdownError`) and waits until `size` is zero, as libcoro does: every task the
   * scheduler owns has finished, and every pending await on it — timed waits, polls, queued
   * resumptions, also those of tasks it does not own — has ended. Timed waits run to their
   * deadline (give a long one a `signal` to end it sooner); a wait with no deadline and no
   * signal keeps shutdown waiting. Meanwhile any task may still schedule, yield, sleep and
   * poll. Then it shuts down the thread pool it created (one passed in as a `ThreadPool` stays
   * yours) and calls `onIoThreadStop`. Nothing is left armed: no timer keeps the process
   * alive. In manual mode it drives `processEvents` itself, on virtual time. Afterwards every
   * call throws `SchedulerShutdownError`. Calling it again returns the same promise. Do not
   * await it from a task the scheduler owns: that task would wait for itself.
   */
  shutdown(): Promise<void> {
    this.#shutdownPromise ??= this.#runShutdown();
    return this.#shutdownPromise;
  }

  /** `await using scheduler = new IoScheduler()` shuts it down at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  // ---- internals shared with TaskGroup -------------------------------------------------------

  /** @internal Spawns a task the scheduler owns; `onSettled` replaces the `onError` report. */
  _spawn(
    task: PromiseLike<unknown>,
    onSettled: ((error: unknown, failed: boolean) => void) | undefined,
  ): void {
    this.#owned.spawn(task, onSettled);
  }

  /** @internal Throws unless new tasks are accepted. */
  _checkAccepting(where: string): void {
    this.#checkAccepting(where);
  }

  // ---- private ------------------------------------------------------------------------------

  /** A wait that is due already: a `yield()` / `schedule()`, unless the signal already stopped. */
  #due(options: TimerOptions | undefined, queue: WorkQueue): Promise<void> {
    if (this.#state === 'stopped') throw this.#stoppedError('a timed wait');
    const signal = signalOf(options);
    if (signal !== undefined && isStopRequested(signal)) {
      return Promise.reject(toCancelledError(stopReason(signal)));
    }
    return queue.join();
  }

  #sleep(deadline: number, options: TimerOptions | undefined): Promise<void> {
    if (this.#state === 'stopped') throw this.#stoppedError('a timed wait');
    return sleepUntil(this.#timers, deadline, signalOf(options), this.#deliver);
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

  async #runShutdown(): Promise<void> {
    this.#state = 'stopping';
    const idle = () => this.size === 0;
    if (this.#manual !== undefined) await this.#manual.drive(idle);
    else await this.#untilIdle();
    if (this.#ownsPool) await this.#pool!.shutdown();
    this.#state = 'stopped';
    this.#onStop?.();
  }

  /** Event loop: waits until `size` is zero and stays zero for a turn. */
  async #untilIdle(): Promise<void> {
    for (;;) {
      while (this.size > 0) await this.#notifier.next();
      // What resumed last may still be running until it waits again: give it a turn.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.size === 0) return;
    }
  }

  #manualDriver(where: string): ManualDriver {
    if (this.#manual === undefined) {
      throw new SchedulerModeError(
        `${where}() needs a scheduler in threadStrategy: 'manual'; this one is driven by the event loop`,
      );
    }
    return this.#manual;
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
