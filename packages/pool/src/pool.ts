import { performance } from 'node:perf_hooks';
import {
  InvalidArgumentError,
  isAwaitable,
  onStop,
  readWaitOptions,
  Task,
  TimeoutError,
  toCancelledError,
} from '@coro/task';
import { PoolClosedError } from './errors.ts';
import { Dispatcher } from './internal/dispatcher.ts';
import { type JobOwner, JobState, PoolTask, settleError } from './internal/job.ts';
import { JobList } from './internal/job-list.ts';
import { type LongTimer, startTimer } from './internal/long-timer.ts';
import { OP_CLOSE } from './internal/protocol.ts';
import { Supervisor } from './internal/supervisor.ts';
import type { Thread } from './internal/thread.ts';
import {
  checkRunOptions,
  type PoolConfig,
  type RunOptions,
  readPoolOptions,
  readShutdownTimeout,
  type ShutdownOptions,
  type SignalRunOptions,
  type ThreadPoolOptions,
  trailingSignalOptions,
} from './options.ts';
import { type PoolStats, StatsSampler } from './stats.ts';
import type { JobArgs, JobName, JobResult } from './types.ts';

/** How long shutdown() lets an idle thread exit on its own before terminating it. */
const CLOSE_GRACE_MS = 2000;

/** A job that a `shutdown({ timeout })` (or a `terminate()` during a shutdown) cut off. */
export interface CutOffJob {
  /** The job's name (the exported function). */
  readonly name: string;
  /** The task `run` returned for it; it rejected with `PoolClosedError`. */
  readonly task: Task<unknown>;
  /** The thread that held it, or `undefined` if it was still waiting for one. */
  readonly threadIndex: number | undefined;
}

/** What `shutdown()` resolves with. */
export interface ShutdownResult {
  /**
   * The jobs that had not finished when the grace period ran out (or when `terminate()` was
   * called during the shutdown): those held by threads, by thread and slot, then those that
   * were waiting, in order. Empty when every job finished.
   */
  readonly cutOff: readonly CutOffJob[];
}

/**
 * libcoro's `thread_pool` for Node.js: a fixed set of worker threads that run the functions a
 * worker module exports. `run(name, ...args)` returns a lazy `Task` of the result, typed from the
 * module; jobs can be cancelled (queued ones never start, running ones see their stop token),
 * time out, move buffers without copying, and survive a crashing thread (only its jobs fail,
 * with `WorkerCrashedError`, and the thread is replaced).
 *
 * A JavaScript continuation cannot move to another thread, so there is no `await
 * pool.schedule()`: work crosses threads as calls to the module's functions. To hop onto the
 * event loop, use `@coro/io`'s `IoScheduler`.
 *
 * @example
 * // jobs.ts: export function fib(n: number): number { return n < 2 ? n : fib(n - 1) + fib(n - 2) }
 * const pool = new ThreadPool<typeof import('./jobs.ts')>({
 *   module: new URL('./jobs.ts', import.meta.url),
 * });
 * const [a, b] = await whenAll(pool.run('fib', 30), pool.run('fib', 31)); // in parallel
 * await pool.shutdown();
 */
export class ThreadPool<M extends object = Record<string, (...args: any[]) => any>>
  implements AsyncDisposable
{
  readonly #config: PoolConfig;
  readonly #jobs: JobList;
  readonly #stats = new StatsSampler();
  readonly #dispatcher: Dispatcher;
  readonly #supervisor: Supervisor;

  #closed: 'open' | 'shutdown' | 'terminate' = 'open';
  #closing: Promise<ShutdownResult> | undefined = undefined;
  #drained: (() => void) | undefined = undefined;
  #cutOff: CutOffJob[] = [];
  #deadlines: LongTimer[] = [];
  /** The shutdown has joined every thread. */
  #joined = false;
  /** What the pool's jobs call back into (kept off the public class). */
  readonly #owner: JobOwner = {
    _submit: (job) => this.#submit(job),
    _abort: (job, error) => this.#abort(job, error),
  };

  /**
   * Starts `threadCount` threads, each loading `module`. Throws `InvalidArgumentError` for bad
   * options; a module that fails to load fails each job with `ModuleLoadError` instead.
   */
  constructor(options: ThreadPoolOptions) {
    this.#config = readPoolOptions(options);
    this.#jobs = new JobList(this.#config.maxQueue);
    this.#dispatcher = new Dispatcher(
      new Array(this.#config.threadCount).fill(undefined),
      this.#jobs,
      this.#stats,
      this.#config.concurrency,
    );
    this.#dispatcher.onSettled = () => this.#checkDrained();
    this.#supervisor = new Supervisor(this.#config, this.#dispatcher, this.#jobs, this.#stats);
  }

  /** The number of threads. */
  get threadCount(): number {
    return this.#config.threadCount;
  }

  /** How many jobs one thread holds at a time. */
  get concurrentTasksPerWorker(): number {
    return this.#config.concurrency;
  }

  /**
   * Jobs started and not finished: held by a thread, queued, or waiting for room in the queue
   * (libcoro's `size()`).
   */
  get size(): number {
    return this.#jobs.length + this.#dispatcher.inFlight;
  }

  /** Jobs waiting for a thread in the queue (at most `maxQueue`; not those waiting for room). */
  get queueSize(): number {
    return this.#jobs.queued;
  }

  /** Whether no job is queued or running. */
  get isEmpty(): boolean {
    return this.size === 0;
  }

  /** Whether `shutdown()` or `terminate()` was called. */
  get isClosed(): boolean {
    return this.#closed !== 'open';
  }

  /**
   * A lazy task that runs the module's export `name` with `args` on a pool thread and resolves
   * with its (awaited) result. Like every `Task`, it starts when awaited or handed to
   * `whenAll` / `syncWait` / `.start()`; `whenAll(a, b)` runs `a` and `b` in parallel.
   * Rejects with the job's own error (class, name, message, stack, cause kept),
   * `UnknownJobError`, `ModuleLoadError`, `DataCloneError`, `WorkerCrashedError`,
   * `PoolQueueFullError`, `PoolClosedError`, or `CancelledError` after `task.requestStop()`.
   *
   * @example
   * const n = await pool.run('fib', 30);
   */
  run<K extends JobName<M>>(name: K, ...args: JobArgs<M, K>): Task<JobResult<M, K>>;
  /**
   * DESIGN's form: options after the arguments, recognised because they carry a `signal` (a
   * signal can never be a job's argument: it cannot cross threads). Any other options —
   * `timeout` or `transfer` alone — go through `runWith`, so that a job argument that merely
   * looks like options is never taken for them.
   *
   * @example
   * await pool.run('fib', 40, { signal: ctx.signal, transfer: [] });
   */
  run<K extends JobName<M>>(
    name: K,
    ...argsAndOptions: [...JobArgs<M, K>, SignalRunOptions]
  ): Task<JobResult<M, K>>;
  run(name: string, ...args: unknown[]): Task<unknown> {
    if (typeof name !== 'string') {
      throw new InvalidArgumentError(
        `ThreadPool.run: the job name must be a string, got ${typeof name}`,
      );
    }
    if (args.length !== 0) {
      const options = trailingSignalOptions(args[args.length - 1]);
      if (options !== undefined) {
        return new PoolTask<unknown>(
          this.#owner,
          name,
          args.slice(0, -1),
          checkRunOptions(options),
        );
      }
    }
    return new PoolTask<unknown>(this.#owner, name, args, undefined);
  }

  /**
   * `run` with options: `signal` (a `StopToken`, `AbortSignal` or task context; rejects with
   * `CancelledError`), `timeout` in ms (rejects with `TimeoutError`; the job is asked to stop),
   * `transfer` (buffers and ports to move instead of copy) and `onFull`. The options come first
   * so that a job's own last argument can never be mistaken for them.
   *
   * @example
   * const digest = await pool.runWith({ transfer: [bytes.buffer], timeout: 5000 }, 'sha256', bytes);
   */
  runWith<K extends JobName<M>>(
    options: RunOptions,
    name: K,
    ...args: JobArgs<M, K>
  ): Task<JobResult<M, K>> {
    if (typeof name !== 'string') {
      throw new InvalidArgumentError(
        `ThreadPool.runWith: the job name must be a string, got ${typeof name}`,
      );
    }
    return new PoolTask<JobResult<M, K>>(this.#owner, name, args, checkRunOptions(options));
  }

  /**
   * Starts a job now that nobody awaits (libcoro's `spawn`); its error, if any, goes to the
   * `onError` option. Also takes a task (`pool.spawnDetached(pool.runWith(opts, 'x'))`).
   * The pool still accounts for it: `shutdown()` waits for it. After `shutdown()` or
   * `terminate()` it throws `PoolClosedError` at the call, as `IoScheduler.spawnDetached`
   * throws once its scheduler shuts down; nothing is started.
   *
   * @example
   * pool.spawnDetached('warmCache', 'users');
   */
  spawnDetached<K extends JobName<M>>(name: K, ...args: JobArgs<M, K>): void;
  spawnDetached(task: PromiseLike<unknown>): void;
  spawnDetached(nameOrTask: unknown, ...args: unknown[]): void {
    const byName = typeof nameOrTask === 'string';
    if (!byName && !isAwaitable(nameOrTask)) {
      throw new InvalidArgumentError('ThreadPool.spawnDetached expects a job name or a task');
    }
    if (this.#closed !== 'open') {
      throw new PoolClosedError(
        `ThreadPool.spawnDetached: the thread pool is ${this.#closed === 'terminate' ? 'terminated' : 'shut down'} and takes no new jobs`,
      );
    }
    const onError = this.#config.onError;
    if (byName) {
      new PoolTask<unknown>(this.#owner, nameOrTask as string, args, undefined)
        .start()
        .then(undefined, onError);
      return;
    }
    const promise = nameOrTask instanceof Task ? nameOrTask.start() : Promise.resolve(nameOrTask);
    promise.then(undefined, onError);
  }

  /**
   * Counts and timings since the pool started: completed, failed and cancelled jobs, mean and
   * p99 wait and run times (ms, p99 over the last 1024 jobs), utilization and crashes.
   */
  stats(): PoolStats {
    const now = performance.now();
    return this.#stats.read(this.#config.threadCount, this.#dispatcher.busyNow(now), now);
  }

  /**
   * Stops taking jobs (`run` then fails with `PoolClosedError`), lets every queued and running
   * job finish, then ends every thread and resolves once all have exited (`onThreadStop` has
   * run for each). Nothing of the pool keeps the process alive afterwards.
   *
   * With `timeout` (ms), the wait is bounded: once it has passed, every job still queued or
   * running is cut off — it rejects with `PoolClosedError`, and its thread is terminated — and
   * the result lists them in `cutOff`. Calling it again returns the same promise; a later call's
   * `timeout` still applies (the earliest deadline wins). Throws `InvalidArgumentError` for a
   * negative or non-number `timeout`.
   *
   * @example
   * await pool.shutdown();
   */
  shutdown(): Promise<void>;
  /**
   * The bounded form: resolves with `{ cutOff }`, the jobs that the grace period cut off.
   *
   * @example
   * const { cutOff } = await pool.shutdown({ timeout: 10_000 });
   * for (const job of cutOff) log.warn(`job ${job.name} did not finish`);
   */
  shutdown(options: ShutdownOptions): Promise<ShutdownResult>;
  shutdown(options?: ShutdownOptions): Promise<ShutdownResult | void> {
    const timeout = readShutdownTimeout(options);
    if (this.#closing === undefined) {
      this.#closed = 'shutdown';
      this.#supervisor.mode = 'closing';
      // The threads that are still starting must keep the process alive for the join to end.
      for (const thread of this.#dispatcher.threads) thread?.keepAlive();
      this.#closing = this.#drainAndJoin();
    }
    if (timeout !== Number.POSITIVE_INFINITY && this.#closed === 'shutdown' && !this.#joined) {
      const deadline = startTimer(() => this.#cut(timeout), timeout);
      this.#deadlines.push(deadline);
    }
    return this.#closing;
  }

  async #drainAndJoin(): Promise<ShutdownResult> {
    if (this.size > 0) {
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
      });
    }
    await this.#joinAll(true);
    // Nothing is left to cut off: no deadline may keep the process alive.
    this.#joined = true;
    for (const timer of this.#deadlines) timer.clear();
    this.#deadlines = [];
    return { cutOff: this.#cutOff };
  }

  /** A shutdown's grace period ran out: cut off what still runs. */
  #cut(timeout: number): void {
    if (this.#closed !== 'shutdown') return;
    this.#stop(new PoolClosedError(`the job was cut off by shutdown after ${timeout} ms`));
  }

  /**
   * Stops at once: every queued, waiting and running job fails with `PoolClosedError`, and every
   * thread is terminated (running code is interrupted). Resolves once all threads have exited.
   * During a `shutdown()`, that shutdown resolves too, listing the jobs cut off.
   */
  async terminate(): Promise<void> {
    if (this.#closed !== 'terminate') {
      this.#stop(new PoolClosedError('the thread pool was terminated'));
    }
    await this.#closing;
  }

  /** Fails every pending job with `error` and terminates every thread. */
  #stop(error: PoolClosedError): void {
    const wasShutdown = this.#closed === 'shutdown';
    this.#closed = 'terminate';
    this.#supervisor.stopRestarts();
    for (const timer of this.#deadlines) timer.clear();
    this.#deadlines = [];
    const stats = this.#stats;
    for (const job of this.#dispatcher.heldJobs()) {
      if (wasShutdown) {
        this.#cutOff.push({ name: job._fn, task: job, threadIndex: job._thread!.index });
      }
      settleError(job, error, 'cancelled', stats);
    }
    for (const job of this.#jobs.takeAll()) {
      if (wasShutdown) this.#cutOff.push({ name: job._fn, task: job, threadIndex: undefined });
      settleError(job, error, 'cancelled', stats);
    }
    const drained = this.#drained;
    this.#drained = undefined;
    if (this.#closing === undefined) {
      this.#closing = this.#joinAll(false).then(() => ({ cutOff: this.#cutOff }));
    } else {
      // shutdown() was waiting for the drain: it joins now, without grace.
      drained?.();
      void this.#joinAll(false);
    }
  }

  /** `await using pool = new ThreadPool(...)` shuts it down (draining) at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  // ---------------------------------------------------------------------------------------
  // Internals: the job's side (through #owner) and the end of the threads.

  /** A job's task started. */
  #submit(job: PoolTask<unknown>): void {
    if (this.#closed !== 'open') {
      job._state = JobState.DONE;
      job._reject!(new PoolClosedError());
      return;
    }
    if (job.stopRequested) {
      job._state = JobState.DONE;
      this.#stats.cancelled++;
      job._reject!(toCancelledError(job.stopToken.reason));
      return;
    }
    job._queuedAt = performance.now();
    const options = job._options;
    if (options !== undefined && !this.#guard(job, options)) return;
    this.#dispatcher.submit(job);
  }

  /** Installs a job's signal and timeout; false if it already gave up. */
  #guard(job: PoolTask<unknown>, options: RunOptions): boolean {
    const { signal, timeout } = readWaitOptions(options);
    if (signal !== undefined) {
      job._registration = onStop(signal, (reason) => this.#abort(job, toCancelledError(reason)));
      if (job._state === JobState.DONE) return false;
    }
    if (timeout !== undefined) {
      job._timer = startTimer(
        () =>
          this.#abort(
            job,
            new TimeoutError(`job '${job._fn}' timed out after ${timeout}ms`, { timeout }),
          ),
        timeout,
      );
    }
    return true;
  }

  /** Cancels a job (stop request, signal or timeout) and settles it with `error`. */
  #abort(job: PoolTask<unknown>, error: Error): void {
    if (!this.#dispatcher.withdraw(job)) return;
    settleError(job, error, 'cancelled', this.#stats);
    this.#checkDrained();
  }

  /** Resolves a waiting `shutdown()` once nothing is queued or running. */
  #checkDrained(): void {
    if (this.#drained !== undefined && this.size === 0) {
      const drained = this.#drained;
      this.#drained = undefined;
      drained();
    }
  }

  /**
   * Ends every thread and waits for them to exit. A graceful join first lets threads that are
   * still loading the module finish starting, so that every thread's onThreadStart is followed
   * by its onThreadStop, as in libcoro.
   */
  async #joinAll(graceful: boolean): Promise<void> {
    const threads = this.#dispatcher.threads;
    // Nothing waits any more (a graceful join comes after the drain): no thread is replaced.
    this.#supervisor.stopRestarts();
    while (graceful && this.#closed !== 'terminate') {
      const starting: Promise<void>[] = [];
      for (const thread of threads) {
        if (thread !== undefined && !thread.ready && !thread.exited) {
          thread.keepAlive();
          starting.push(thread.readyPromise);
        }
      }
      if (starting.length === 0) break;
      await Promise.all(starting);
    }
    graceful &&= this.#closed !== 'terminate';
    const exits: Promise<void>[] = [];
    for (const thread of threads) {
      if (thread === undefined || thread.exited) continue;
      exits.push(thread.exitPromise);
      if (graceful && !thread.stopping) this.#close(thread);
      else {
        thread.stopping = true;
        thread.keepAlive(); // the returned promise resolves when it has exited
        void thread.worker.terminate();
      }
    }
    await Promise.all(exits);
  }

  /**
   * Asks an idle thread to exit on its own: it closes its port and its event loop runs dry,
   * which flushes what its jobs wrote to stdout and stderr (terminate() would drop it). A
   * thread that the module keeps alive (an open server, an interval) is terminated after a
   * grace period.
   */
  #close(thread: Thread): void {
    thread.stopping = true;
    thread.keepAlive(); // shutdown() resolves when it has exited
    thread.worker.postMessage([OP_CLOSE]);
    const timer = setTimeout(() => void thread.worker.terminate(), CLOSE_GRACE_MS);
    void thread.exitPromise.then(() => clearTimeout(timer));
  }
}
