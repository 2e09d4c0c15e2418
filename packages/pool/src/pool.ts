import { availableParallelism } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import {
  type ResourceLimits,
  type TransferListItem,
  Worker,
  type WorkerOptions,
} from 'node:worker_threads';
import {
  InvalidArgumentError,
  isAwaitable,
  onStop,
  readWaitOptions,
  type StopRegistration,
  StopToken,
  Task,
  TimeoutError,
  toCancelledError,
  type WaitOptions,
} from '@coro/task';
import {
  DataCloneError,
  PoolClosedError,
  PoolQueueFullError,
  WorkerCrashedError,
} from './errors.ts';
import {
  deserializeError,
  MSG_LOAD_FAILED,
  MSG_READY,
  OP_CANCEL,
  OP_CLOSE,
  OP_RUN,
  type SerializedError,
  SLOT_CANCELLED,
  SLOT_PENDING,
  SLOT_STOP,
  STATUS_ERROR,
  STATUS_OK,
  type WorkerBootData,
} from './internal/protocol.ts';
import type { JobArgs, JobName, JobResult } from './types.ts';

/** Options for `new ThreadPool(...)`. */
export interface ThreadPoolOptions {
  /**
   * The worker module: a `URL` (`new URL('./jobs.ts', import.meta.url)`), a `file:` URL string,
   * or a path (resolved against the current directory). Its exported functions are the jobs.
   * TypeScript modules work on Node.js versions that strip types (22.18+, 23.6+, 24).
   */
  readonly module: string | URL;
  /** How many threads. Default: `os.availableParallelism()`. */
  readonly threadCount?: number | undefined;
  /**
   * How many jobs one thread holds at a time: async jobs interleave at their `await`s, synchronous
   * ones wait their turn inside the thread (which saves a round trip between them). Default 16.
   * Use 1 for long synchronous jobs whose durations vary a lot, so that none waits behind another.
   */
  readonly concurrentTasksPerWorker?: number | undefined;
  /**
   * How many jobs may wait for a thread; beyond that `run` fails with `PoolQueueFullError` (or
   * waits for room with `onFull: 'wait'`). Default: `Infinity`.
   */
  readonly maxQueue?: number | undefined;
  /** Memory limits for each worker (`worker_threads` `resourceLimits`). */
  readonly resourceLimits?: ResourceLimits | undefined;
  /**
   * Called on the main thread with the thread's index once a thread has started and loaded the
   * module (also for the replacement of a crashed thread): libcoro's `on_thread_start_functor`.
   */
  readonly onThreadStart?: ((threadIndex: number) => void) | undefined;
  /** Called on the main thread once a thread has exited: libcoro's `on_thread_stop_functor`. */
  readonly onThreadStop?: ((threadIndex: number) => void) | undefined;
  /**
   * Receives the errors of `spawnDetached` jobs and of throwing `onThreadStart` /
   * `onThreadStop` callbacks. Default: print them with `console.error`.
   */
  readonly onError?: ((error: unknown) => void) | undefined;
}

/** Options for one job: `pool.runWith(options, name, ...args)`, or last in `run` with a `signal`. */
export interface RunOptions extends WaitOptions {
  /**
   * `ArrayBuffer`s and `MessagePort`s among the arguments to move to the worker instead of
   * copying them (they become unusable on this thread).
   */
  readonly transfer?: readonly TransferListItem[] | undefined;
  /**
   * What to do when `maxQueue` jobs are already waiting: `'reject'` (default) fails at once
   * with `PoolQueueFullError`; `'wait'` waits for room (honouring `signal` and `timeout`).
   */
  readonly onFull?: 'reject' | 'wait' | undefined;
}

/** Run options that carry a `signal`: the ones `run(name, ...args, options)` accepts last. */
export type SignalRunOptions = RunOptions & {
  readonly signal: NonNullable<RunOptions['signal']>;
};

/** Mean and 99th percentile of a duration, in milliseconds. */
export interface DurationStats {
  readonly mean: number;
  readonly p99: number;
}

/** What `pool.stats()` returns. */
export interface PoolStats {
  /** Jobs that returned a value. */
  readonly completed: number;
  /** Jobs that threw, or whose thread crashed. */
  readonly failed: number;
  /** Jobs stopped by a stop request, a signal, a timeout or `terminate()`. */
  readonly cancelled: number;
  /** Time from `run` to being sent to a thread. */
  readonly waitTime: DurationStats;
  /** Time from being sent to a thread to the result arriving back. */
  readonly runTime: DurationStats;
  /** Share of the pool's thread time spent holding at least one job, 0 … 1. */
  readonly utilization: number;
  /** Threads that crashed and were replaced. */
  readonly crashes: number;
}

const State = {
  NEW: 0,
  WAITING_ROOM: 1,
  QUEUED: 2,
  DISPATCHED: 3,
  DONE: 4,
} as const;

const DEFAULT_CONCURRENCY = 16;
/** How long shutdown() lets a thread exit on its own before terminating it. */
const CLOSE_GRACE_MS = 2000;
/** Recent samples kept for the p99 figures. */
const SAMPLES = 1024;

const workerUrl = new URL(
  import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js',
  import.meta.url,
);

/** Flags that only make sense for a main script given on the command line. */
const MAIN_SCRIPT_FLAGS = ['-e', '--eval', '-p', '--print', '--input-type'];
let workerArgv: string[] | undefined | null = null;

/**
 * Threads inherit the parent's Node.js flags (`--conditions`, `--import` loaders…), which is
 * what we want, except for those that only make sense for a main script: a thread started from
 * `node --input-type=module -e '…'` would refuse to start. Returns `undefined` (inherit as is)
 * unless such a flag is present, and then the list without them.
 */
function workerExecArgv(): string[] | undefined {
  if (workerArgv !== null) return workerArgv;
  const argv = process.execArgv;
  const kept: string[] = [];
  let dropped = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (MAIN_SCRIPT_FLAGS.includes(arg)) {
      i++; // and its value
      dropped = true;
    } else if (/^--(input-type|eval|print)=/.test(arg)) dropped = true;
    else kept.push(arg);
  }
  workerArgv = dropped ? kept : undefined;
  return workerArgv;
}

/** `new Worker`, with the inherited flags cleaned up when they need to be. */
function startWorker(options: WorkerOptions): Worker {
  const execArgv = workerExecArgv();
  if (execArgv === undefined) return new Worker(workerUrl, options);
  try {
    return new Worker(workerUrl, { ...options, execArgv });
  } catch (error) {
    // Explicit flags are checked more strictly than inherited ones: process-wide flags such as
    // --expose-gc are refused. Drop those the error names and try once more.
    const code = (error as { code?: string }).code;
    if (code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
    const invalid = String((error as Error).message)
      .replace(/^[^:]*:\s*/, '')
      .split(', ');
    workerArgv = execArgv.filter((arg) => !invalid.includes(arg));
    return new Worker(workerUrl, { ...options, execArgv: workerArgv });
  }
}

function defaultOnError(error: unknown): void {
  console.error('coro: a thread pool job failed:', error);
}

function resolveModule(module: unknown): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== 'string' || module === '') {
    throw new InvalidArgumentError(
      `ThreadPool: module must be a URL or a non-empty path, got ${String(module)}`,
    );
  }
  // A scheme (file:, data:) but not a Windows drive letter.
  if (/^[a-zA-Z][a-zA-Z\d+.-]+:/.test(module)) return new URL(module).href;
  return pathToFileURL(resolvePath(module)).href;
}

function checkCount(
  value: unknown,
  where: string,
  fallback: number,
  allowInfinity = false,
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !(Number.isInteger(value) || (allowInfinity && value === Number.POSITIVE_INFINITY)) ||
    value < (allowInfinity ? 0 : 1)
  ) {
    throw new InvalidArgumentError(
      `ThreadPool: ${where} must be ${allowInfinity ? 'an integer ≥ 0 or Infinity' : 'an integer ≥ 1'}, got ${String(value)}`,
    );
  }
  return value;
}

function checkCallback(value: unknown, where: string): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new InvalidArgumentError(`ThreadPool: ${where} must be a function`);
  }
}

/** What a settled job's arguments are replaced with. */
const NO_ARGS: unknown[] = [];

/**
 * Marks a slot whose job was taken back (stolen for an idle thread) before it started: the
 * slot stays busy until the thread acknowledges it, but the job lives elsewhere now.
 */
const MOVED = { _state: State.DONE, _sentAt: 0, _queuedAt: 0 } as unknown as PoolTask<unknown>;

/** @internal One thread of the pool. */
class Thread {
  readonly index: number;
  readonly worker: Worker;
  readonly states: Int32Array;
  /** The job in each slot (a slot is held until the worker answers for it). */
  readonly jobs: (PoolTask<unknown> | undefined)[];
  readonly free: number[];
  inFlight = 0;
  ready = false;
  exited = false;
  /** Set when the pool itself ends the thread (shutdown, terminate). */
  stopping = false;
  error: unknown = undefined;
  /** The next message: [OP_RUN, slot, name, argc, ...args, slot, …]. */
  outbox: unknown[] | undefined = undefined;
  outboxCount = 0;
  outTransfer: TransferListItem[] | undefined = undefined;
  busySince = 0;
  /** Whether onThreadStart ran for it (onThreadStop then runs too, and only then). */
  announced = false;
  readonly exitPromise: Promise<void>;
  /** Resolves once the thread has loaded the module (or failed to, or died). */
  readonly readyPromise: Promise<void>;
  markReady!: () => void;

  constructor(pool: ThreadPool<any>, index: number, concurrency: number) {
    this.index = index;
    this.readyPromise = new Promise((resolve) => {
      this.markReady = resolve;
    });
    const slots = new SharedArrayBuffer(concurrency * 4);
    this.states = new Int32Array(slots);
    this.jobs = new Array(concurrency).fill(undefined);
    this.free = [];
    for (let s = concurrency - 1; s >= 0; s--) this.free.push(s);
    const boot: WorkerBootData = { module: pool._module, threadIndex: index, slots };
    this.worker = startWorker({
      workerData: boot,
      ...(pool._resourceLimits === undefined ? {} : { resourceLimits: pool._resourceLimits }),
    });
    // An idle pool does not keep the process alive; a thread holding jobs does.
    this.worker.unref();
    this.worker.on('message', (message: unknown[]) => pool._onMessage(this, message));
    this.worker.on('error', (error) => {
      this.error = error;
    });
    this.exitPromise = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        pool._onExit(this, code);
        this.markReady();
        resolve();
      });
    });
  }
}

/**
 * @internal The task `run` returns: the job itself, so that a job costs one object, one promise
 * and no closures beyond the promise's own.
 */
class PoolTask<T> extends Task<T> {
  _pool: ThreadPool<any>;
  _fn: string;
  _jobArgs: unknown[];
  _options: RunOptions | undefined;
  _resolve: ((value: any) => void) | undefined = undefined;
  _reject: ((error: unknown) => void) | undefined = undefined;
  _state: number = State.NEW;
  _thread: Thread | undefined = undefined;
  _slot = -1;
  _prev: PoolTask<unknown> | undefined = undefined;
  _next: PoolTask<unknown> | undefined = undefined;
  _timer: ReturnType<typeof setTimeout> | undefined = undefined;
  _registration: StopRegistration | undefined = undefined;
  _queuedAt = 0;
  _sentAt = 0;

  constructor(
    pool: ThreadPool<any>,
    name: string,
    args: unknown[],
    options: RunOptions | undefined,
  ) {
    super(undefined, undefined, name);
    this._pool = pool;
    this._fn = name;
    this._jobArgs = args;
    this._options = options;
  }

  override _run(): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this._resolve = resolve;
      this._reject = reject;
      this._pool._submit(this as PoolTask<unknown>);
    });
  }

  override requestStop(reason?: unknown): boolean {
    const first = super.requestStop(reason);
    if (first && this._state !== State.NEW) this._pool._abort(this, toCancelledError(reason));
    return first;
  }
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
  /** @internal */ readonly _module: string;
  /** @internal */ readonly _resourceLimits: ResourceLimits | undefined;
  readonly #threadCount: number;
  readonly #concurrency: number;
  readonly #maxQueue: number;
  /**
   * Jobs per message at most: half a window, so that a thread with a full window gets a steady
   * stream (one batch runs while the next is on its way) rather than one huge message.
   */
  readonly #batch: number;
  readonly #onThreadStart: ((threadIndex: number) => void) | undefined;
  readonly #onThreadStop: ((threadIndex: number) => void) | undefined;
  readonly #onError: (error: unknown) => void;

  readonly #threads: (Thread | undefined)[];
  /** Consecutive crashes per thread index, and when a crashed thread may be started again. */
  readonly #crashes: number[];
  readonly #retryAt: number[];
  #retryTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** Thread indexes with no thread (crashed, waiting to be restarted). */
  #dead = 0;

  #queueHead: PoolTask<unknown> | undefined = undefined;
  #queueTail: PoolTask<unknown> | undefined = undefined;
  #queued = 0;
  #roomHead: PoolTask<unknown> | undefined = undefined;
  #roomTail: PoolTask<unknown> | undefined = undefined;
  #waitingForRoom = 0;
  #inFlight = 0;

  #dirty: Thread[] = [];
  #flushQueued = false;
  readonly #flushBound = () => this.#flush();

  #closed: 'open' | 'shutdown' | 'terminate' = 'open';
  #closing: Promise<void> | undefined = undefined;
  #drained: (() => void) | undefined = undefined;

  readonly #createdAt = performance.now();
  #completed = 0;
  #failed = 0;
  #cancelled = 0;
  #crashCount = 0;
  #waitSum = 0;
  #waitCount = 0;
  #runSum = 0;
  #runCount = 0;
  readonly #waitSamples = new Float64Array(SAMPLES);
  readonly #runSamples = new Float64Array(SAMPLES);
  #busyTime = 0;

  /**
   * Starts `threadCount` threads, each loading `module`. Throws `InvalidArgumentError` for bad
   * options; a module that fails to load fails each job with `ModuleLoadError` instead.
   */
  constructor(options: ThreadPoolOptions) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError('ThreadPool: options with a module are required');
    }
    this._module = resolveModule(options.module);
    this.#threadCount = checkCount(options.threadCount, 'threadCount', availableParallelism());
    this.#concurrency = checkCount(
      options.concurrentTasksPerWorker,
      'concurrentTasksPerWorker',
      DEFAULT_CONCURRENCY,
    );
    this.#maxQueue = checkCount(options.maxQueue, 'maxQueue', Number.POSITIVE_INFINITY, true);
    this.#batch = Math.max(1, this.#concurrency >> 1);
    checkCallback(options.onThreadStart, 'onThreadStart');
    checkCallback(options.onThreadStop, 'onThreadStop');
    checkCallback(options.onError, 'onError');
    this._resourceLimits = options.resourceLimits;
    this.#onThreadStart = options.onThreadStart;
    this.#onThreadStop = options.onThreadStop;
    this.#onError = options.onError ?? defaultOnError;
    this.#threads = new Array(this.#threadCount).fill(undefined);
    this.#crashes = new Array(this.#threadCount).fill(0);
    this.#retryAt = new Array(this.#threadCount).fill(0);
    for (let i = 0; i < this.#threadCount; i++) {
      this.#threads[i] = new Thread(this, i, this.#concurrency);
    }
  }

  /** The number of threads. */
  get threadCount(): number {
    return this.#threadCount;
  }

  /** How many jobs one thread holds at a time. */
  get concurrentTasksPerWorker(): number {
    return this.#concurrency;
  }

  /** Jobs started and not finished: waiting in the queue or held by a thread (libcoro's `size()`). */
  get size(): number {
    return this.#queued + this.#inFlight + this.#waitingForRoom;
  }

  /** Jobs waiting for a thread. */
  get queueSize(): number {
    return this.#queued;
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
   * Rejects with the job's own error (name, message, stack, cause kept), `UnknownJobError`,
   * `ModuleLoadError`, `DataCloneError`, `WorkerCrashedError`, `PoolQueueFullError`,
   * `PoolClosedError`, or `CancelledError` after `task.requestStop()`.
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
        return new PoolTask<unknown>(this, name, args.slice(0, -1), checkRunOptions(options));
      }
    }
    return new PoolTask<unknown>(this, name, args, undefined);
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
    return new PoolTask<JobResult<M, K>>(this, name, args, checkRunOptions(options));
  }

  /**
   * Starts a job now that nobody awaits (libcoro's `spawn`); its error, if any, goes to the
   * `onError` option. Also takes a task (`pool.spawnDetached(pool.runWith(opts, 'x'))`).
   * The pool still accounts for it: `shutdown()` waits for it.
   *
   * @example
   * pool.spawnDetached('warmCache', 'users');
   */
  spawnDetached<K extends JobName<M>>(name: K, ...args: JobArgs<M, K>): void;
  spawnDetached(task: PromiseLike<unknown>): void;
  spawnDetached(nameOrTask: unknown, ...args: unknown[]): void {
    if (typeof nameOrTask === 'string') {
      const job = new PoolTask<unknown>(this, nameOrTask, args, undefined);
      job.start().then(undefined, this.#onError);
      return;
    }
    if (!isAwaitable(nameOrTask)) {
      throw new InvalidArgumentError('ThreadPool.spawnDetached expects a job name or a task');
    }
    const promise = nameOrTask instanceof Task ? nameOrTask.start() : Promise.resolve(nameOrTask);
    promise.then(undefined, this.#onError);
  }

  /**
   * Counts and timings since the pool started: completed, failed and cancelled jobs, mean and
   * p99 wait and run times (ms, p99 over the last 1024 jobs), utilization and crashes.
   */
  stats(): PoolStats {
    const now = performance.now();
    let busy = this.#busyTime;
    for (const thread of this.#threads) {
      if (thread !== undefined && thread.inFlight > 0) busy += now - thread.busySince;
    }
    const elapsed = (now - this.#createdAt) * this.#threadCount;
    return {
      completed: this.#completed,
      failed: this.#failed,
      cancelled: this.#cancelled,
      waitTime: {
        mean: this.#waitCount === 0 ? 0 : this.#waitSum / this.#waitCount,
        p99: percentile99(this.#waitSamples, this.#waitCount),
      },
      runTime: {
        mean: this.#runCount === 0 ? 0 : this.#runSum / this.#runCount,
        p99: percentile99(this.#runSamples, this.#runCount),
      },
      utilization: elapsed <= 0 ? 0 : Math.min(1, busy / elapsed),
      crashes: this.#crashCount,
    };
  }

  /**
   * Stops taking jobs (`run` then fails with `PoolClosedError`), lets every queued and running
   * job finish, then ends every thread and resolves once all have exited (`onThreadStop` has
   * run for each). Nothing of the pool keeps the process alive afterwards. Idempotent.
   *
   * @example
   * await pool.shutdown();
   */
  shutdown(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = 'shutdown';
    this.#closing = (async () => {
      if (this.size > 0) {
        await new Promise<void>((resolve) => {
          this.#drained = resolve;
        });
      }
      await this.#joinAll(true);
    })();
    return this.#closing;
  }

  /**
   * Stops at once: every queued, waiting and running job fails with `PoolClosedError`, and every
   * thread is terminated (running code is interrupted). Resolves once all threads have exited.
   */
  terminate(): Promise<void> {
    const wasClosed = this.#closed;
    this.#closed = 'terminate';
    const error = new PoolClosedError('the thread pool was terminated');
    for (let job = this.#roomHead; job !== undefined; job = this.#roomHead) {
      this.#unlinkRoom(job);
      this.#settleError(job, error, 'cancelled');
    }
    for (let job = this.#queueHead; job !== undefined; job = this.#queueHead) {
      this.#unlinkQueue(job);
      this.#settleError(job, error, 'cancelled');
    }
    for (const thread of this.#threads) {
      if (thread === undefined) continue;
      for (const job of thread.jobs) {
        if (job !== undefined && job._state === State.DISPATCHED) {
          this.#settleError(job, error, 'cancelled');
        }
      }
    }
    const drained = this.#drained;
    this.#drained = undefined;
    if (wasClosed === 'open' || this.#closing === undefined) {
      this.#closing = this.#joinAll(false);
    } else {
      // shutdown() was waiting for the drain: let it join now.
      drained?.();
      void this.#joinAll(false);
    }
    return this.#closing;
  }

  /** `await using pool = new ThreadPool(...)` shuts it down (draining) at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  // ---------------------------------------------------------------------------------------
  // Internals

  /** Starts a replacement thread at an index left empty by a crash. */
  #respawn(index: number): void {
    this.#threads[index] = new Thread(this, index, this.#concurrency);
    this.#dead--;
  }

  /**
   * Ends every thread and waits for them to exit. A graceful join first lets threads that are
   * still loading the module finish starting, so that every thread's onThreadStart is followed
   * by its onThreadStop, as in libcoro.
   */
  async #joinAll(graceful: boolean): Promise<void> {
    if (this.#retryTimer !== undefined) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
    }
    while (graceful && this.#closed !== 'terminate') {
      const starting: Promise<void>[] = [];
      for (const thread of this.#threads) {
        if (thread !== undefined && !thread.ready && !thread.exited) {
          starting.push(thread.readyPromise);
        }
      }
      if (starting.length === 0) break;
      await Promise.all(starting);
    }
    graceful &&= this.#closed !== 'terminate';
    const exits: Promise<void>[] = [];
    for (const thread of this.#threads) {
      if (thread === undefined || thread.exited) continue;
      exits.push(thread.exitPromise);
      if (graceful && !thread.stopping) this.#close(thread);
      else {
        thread.stopping = true;
        thread.worker.ref(); // the returned promise resolves when it has exited
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
    thread.worker.ref(); // shutdown() resolves when it has exited
    thread.worker.postMessage([OP_CLOSE]);
    const timer = setTimeout(() => void thread.worker.terminate(), CLOSE_GRACE_MS);
    void thread.exitPromise.then(() => clearTimeout(timer));
  }

  /** @internal Called by `PoolTask._run` when the task starts. */
  _submit(job: PoolTask<unknown>): void {
    if (this.#closed !== 'open') {
      job._state = State.DONE;
      job._reject!(new PoolClosedError());
      return;
    }
    if (job.stopRequested) {
      job._state = State.DONE;
      this.#cancelled++;
      job._reject!(toCancelledError(job.stopToken.reason));
      return;
    }
    job._queuedAt = performance.now();
    const options = job._options;
    if (options !== undefined && !this.#guard(job, options)) return;
    if (this.#queued === 0) {
      const thread = this.#pick();
      if (thread !== undefined) {
        this.#assign(thread, job);
        return;
      }
    }
    if (this.#queued >= this.#maxQueue) {
      if (options?.onFull === 'wait') {
        this.#linkRoom(job);
        return;
      }
      this.#settleError(job, new PoolQueueFullError(this.#maxQueue), undefined);
      return;
    }
    this.#linkQueue(job);
    // The queue only holds jobs while every live thread is full; with a crashed thread not yet
    // replaced, it may be time to restart it.
    if (this.#dead > 0) this.#ensureCapacity();
  }

  /** Installs a job's signal and timeout; false if it already gave up. */
  #guard(job: PoolTask<unknown>, options: RunOptions): boolean {
    const { signal, timeout } = readWaitOptions(options);
    if (signal !== undefined) {
      job._registration = onStop(signal, (reason) => this._abort(job, toCancelledError(reason)));
      if (job._state === State.DONE) return false;
    }
    if (timeout !== undefined) {
      job._timer = setTimeout(
        () =>
          this._abort(
            job,
            new TimeoutError(`job '${job._fn}' timed out after ${timeout}ms`, { timeout }),
          ),
        timeout,
      );
    }
    return true;
  }

  /** A thread that can take a job now: the least loaded ready one, else a starting one. */
  #pick(): Thread | undefined {
    const limit = this.#concurrency;
    let best: Thread | undefined;
    let bestLoad = limit;
    let starting: Thread | undefined;
    let startingLoad = limit;
    const threads = this.#threads;
    for (let i = 0; i < threads.length; i++) {
      const thread = threads[i];
      if (thread === undefined || thread.exited || thread.stopping) continue;
      const load = thread.inFlight;
      if (thread.ready) {
        if (load < bestLoad) {
          best = thread;
          bestLoad = load;
          if (load === 0) break;
        }
      } else if (load < startingLoad) {
        starting = thread;
        startingLoad = load;
      }
    }
    return best ?? starting;
  }

  #assign(thread: Thread, job: PoolTask<unknown>): void {
    const slot = thread.free.pop()!;
    thread.jobs[slot] = job;
    Atomics.store(thread.states, slot, SLOT_PENDING);
    job._state = State.DISPATCHED;
    job._thread = thread;
    job._slot = slot;
    if (thread.inFlight++ === 0) {
      thread.busySince = performance.now();
      thread.worker.ref();
    }
    this.#inFlight++;
    let outbox = thread.outbox;
    if (outbox === undefined) {
      outbox = thread.outbox = [OP_RUN];
      thread.outboxCount = 0;
      this.#dirty.push(thread);
      if (!this.#flushQueued) {
        this.#flushQueued = true;
        queueMicrotask(this.#flushBound);
      }
    }
    // Flat: [slot, name, argc, ...args]. No array per job in the message.
    const args = job._jobArgs;
    const argc = args.length;
    outbox.push(slot, job._fn, argc);
    for (let k = 0; k < argc; k++) outbox.push(args[k]);
    thread.outboxCount++;
    const transfer = job._options?.transfer;
    if (transfer !== undefined && transfer.length > 0) {
      (thread.outTransfer ??= []).push(...transfer);
    }
    // Send full batches right away so that a thread with a deep window is never starved
    // waiting for one huge message.
    if (thread.outboxCount >= this.#batch) this.#send(thread);
  }

  #flush(): void {
    this.#flushQueued = false;
    const dirty = this.#dirty;
    if (dirty.length === 0) return;
    this.#dirty = [];
    for (let i = 0; i < dirty.length; i++) {
      const thread = dirty[i]!;
      if (thread.outbox !== undefined) this.#send(thread);
    }
  }

  #send(thread: Thread): void {
    const outbox = thread.outbox!;
    const transfer = thread.outTransfer;
    thread.outbox = undefined;
    thread.outTransfer = undefined;
    if (thread.exited) return;
    const now = performance.now();
    for (let i = 1; i < outbox.length; i += 3 + (outbox[i + 2] as number)) {
      const job = thread.jobs[outbox[i] as number]!;
      if (job === MOVED) continue;
      job._sentAt = now;
      this.#sampleWait(now - job._queuedAt);
    }
    try {
      if (transfer === undefined) thread.worker.postMessage(outbox);
      else thread.worker.postMessage(outbox, transfer);
    } catch {
      this.#sendOneByOne(thread, outbox);
    }
  }

  /** After a batch failed to clone: send each job alone so that only the bad ones fail. */
  #sendOneByOne(thread: Thread, outbox: unknown[]): void {
    for (let i = 1; i < outbox.length; i += 3 + (outbox[i + 2] as number)) {
      const slot = outbox[i] as number;
      const job = thread.jobs[slot]!;
      if (job === MOVED) {
        this.#release(thread, slot); // nothing to send: its job went to another thread
        continue;
      }
      const transfer = job._options?.transfer;
      try {
        thread.worker.postMessage(
          outbox.slice(i - 1, i + 3 + (outbox[i + 2] as number)).fill(OP_RUN, 0, 1),
          transfer === undefined ? undefined : (transfer as TransferListItem[]),
        );
      } catch (error) {
        this.#release(thread, slot);
        if (job._state === State.DISPATCHED) {
          this.#settleError(
            job,
            new DataCloneError(
              `the arguments of job '${job._fn}' could not be sent to a worker thread: ${(error as Error).message}`,
              { cause: error },
            ),
            'failed',
          );
        }
      }
    }
    this.#refill(thread);
  }

  /** @internal A message from a thread: results, or its startup report. */
  _onMessage(thread: Thread, message: unknown[]): void {
    const first = message[0] as number;
    if (first < 0) {
      this.#onControl(thread, message);
      return;
    }
    const now = performance.now();
    const jobs = thread.jobs;
    const free = thread.free;
    const n = message.length;
    let moved = 0;
    for (let i = 0; i < n; i += 3) {
      const slot = message[i] as number;
      const job = jobs[slot]!;
      jobs[slot] = undefined;
      free.push(slot);
      if (job._state !== State.DISPATCHED) {
        // Settled already (cancelled), or moved to another thread before it started.
        if (job === MOVED) moved++;
        continue;
      }
      this.#sampleRun(now - job._sentAt);
      const status = message[i + 1];
      if (status === STATUS_OK) {
        job._state = State.DONE;
        job._jobArgs = NO_ARGS; // a task kept around must not keep its arguments alive
        this.#completed++;
        if (job._options !== undefined) this.#unguard(job);
        job._resolve!(message[i + 2]);
      } else if (status === STATUS_ERROR) {
        this.#settleError(job, deserializeError(message[i + 2] as SerializedError), 'failed');
      }
    }
    this.#crashes[thread.index] = 0;
    const count = n / 3;
    this.#inFlight -= count - moved;
    thread.inFlight -= count;
    this.#refill(thread);
  }

  #onControl(thread: Thread, message: unknown[]): void {
    if (message[0] === MSG_READY || message[0] === MSG_LOAD_FAILED) {
      thread.ready = true;
      thread.announced = true;
      thread.markReady();
      this.#call(this.#onThreadStart, thread.index);
      // A thread that comes up idle takes work from one that is still loading, or busy.
      if (thread.inFlight === 0 && this.#queueHead === undefined) this.#steal(thread);
    }
  }

  #call(callback: ((threadIndex: number) => void) | undefined, index: number): void {
    if (callback === undefined) return;
    try {
      callback(index);
    } catch (error) {
      this.#onError(error);
    }
  }

  /** Frees a slot the worker will never answer for. */
  #release(thread: Thread, slot: number): void {
    if (thread.jobs[slot] !== MOVED) this.#inFlight--;
    thread.jobs[slot] = undefined;
    thread.free.push(slot);
    thread.inFlight--;
  }

  /** Gives a thread queued work for its free slots; notices idleness and a finished drain. */
  #refill(thread: Thread): void {
    if (!thread.exited && !thread.stopping) {
      while (this.#queueHead !== undefined && thread.inFlight < this.#concurrency) {
        const job = this.#queueHead;
        this.#unlinkQueue(job);
        this.#assign(thread, job);
      }
      if (thread.inFlight === 0 && thread.ready) this.#steal(thread);
    }
    if (this.#roomHead !== undefined) this.#admitWaiting();
    if (thread.inFlight === 0 && !thread.exited) {
      this.#busyTime += performance.now() - thread.busySince;
      thread.worker.unref();
    }
    this.#checkDrained();
  }

  /**
   * An idle thread takes over jobs that wait, not yet started, on the busiest other thread
   * (behind a long synchronous job, or on a thread still loading the module). Taking one back is
   * a compare-and-swap on its slot state, so it either runs where it was or here, never twice.
   * This is what makes a deep `concurrentTasksPerWorker` window safe for uneven jobs.
   */
  #steal(thief: Thread): void {
    let victim: Thread | undefined;
    let most = 1;
    for (const thread of this.#threads) {
      if (thread !== undefined && thread !== thief && !thread.exited && thread.inFlight > most) {
        victim = thread;
        most = thread.inFlight;
      }
    }
    if (victim === undefined) return;
    let budget = Math.min(this.#concurrency, most >> 1);
    const jobs = victim.jobs;
    const states = victim.states;
    // From the highest slot down: those were handed out last, so they would run last there.
    for (let slot = jobs.length - 1; slot >= 0 && budget > 0; slot--) {
      const job = jobs[slot];
      if (job === undefined || job._state !== State.DISPATCHED) continue;
      // Transferred buffers are already on their way to the victim: they cannot go elsewhere.
      if (job._options?.transfer !== undefined && job._options.transfer.length > 0) continue;
      if (Atomics.compareExchange(states, slot, SLOT_PENDING, SLOT_CANCELLED) !== SLOT_PENDING) {
        continue;
      }
      jobs[slot] = MOVED;
      this.#inFlight--;
      this.#assign(thief, job);
      budget--;
    }
  }

  /** Moves jobs waiting for room into the queue (or straight to a thread). */
  #admitWaiting(): void {
    while (this.#roomHead !== undefined && this.#queued < this.#maxQueue) {
      const job = this.#roomHead;
      this.#unlinkRoom(job);
      const thread = this.#queued === 0 ? this.#pick() : undefined;
      if (thread !== undefined) this.#assign(thread, job);
      else this.#linkQueue(job);
    }
  }

  /** @internal Cancels a job (stop request, signal or timeout) and settles it with `error`. */
  _abort(job: PoolTask<unknown>, error: Error): void {
    switch (job._state) {
      case State.WAITING_ROOM:
        this.#unlinkRoom(job);
        break;
      case State.QUEUED:
        this.#unlinkQueue(job);
        break;
      case State.DISPATCHED: {
        const thread = job._thread!;
        const slot = job._slot;
        // Not started yet: the worker will skip it. Started: ask it to stop.
        if (
          Atomics.compareExchange(thread.states, slot, SLOT_PENDING, SLOT_CANCELLED) !==
          SLOT_PENDING
        ) {
          Atomics.store(thread.states, slot, SLOT_STOP);
          if (!thread.exited) thread.worker.postMessage([OP_CANCEL, slot]);
        }
        break;
      }
      case State.NEW:
        // Not submitted yet (a signal that fired during _submit): nothing holds it.
        break;
      default:
        return;
    }
    this.#settleError(job, error, 'cancelled');
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

  #settleError(
    job: PoolTask<unknown>,
    error: unknown,
    outcome: 'failed' | 'cancelled' | undefined,
  ): void {
    job._state = State.DONE;
    job._jobArgs = NO_ARGS;
    if (outcome === 'failed') this.#failed++;
    else if (outcome === 'cancelled') this.#cancelled++;
    if (job._options !== undefined) this.#unguard(job);
    job._reject!(error);
  }

  #unguard(job: PoolTask<unknown>): void {
    if (job._timer !== undefined) {
      clearTimeout(job._timer);
      job._timer = undefined;
    }
    if (job._registration !== undefined) {
      job._registration.unregister();
      job._registration = undefined;
    }
  }

  /** @internal A thread exited: expected (shutdown) or a crash (its jobs fail, it is replaced). */
  _onExit(thread: Thread, code: number): void {
    thread.exited = true;
    if (thread.inFlight > 0) this.#busyTime += performance.now() - thread.busySince;
    const crashed = !thread.stopping;
    const error = crashed
      ? new WorkerCrashedError(
          `worker thread ${thread.index} ${thread.error === undefined ? `exited with code ${code}` : 'crashed'} while running this job`,
          { threadIndex: thread.index, exitCode: code, cause: thread.error },
        )
      : new PoolClosedError('the thread pool was terminated');
    for (let slot = 0; slot < thread.jobs.length; slot++) {
      const job = thread.jobs[slot];
      if (job === undefined) continue;
      thread.jobs[slot] = undefined;
      if (job === MOVED) continue;
      this.#inFlight--;
      if (job._state === State.DISPATCHED) {
        this.#settleError(job, error, crashed ? 'failed' : 'cancelled');
      }
    }
    thread.inFlight = 0;
    if (thread.announced) this.#call(this.#onThreadStop, thread.index);
    if (crashed) {
      this.#crashCount++;
      const crashes = ++this.#crashes[thread.index]!;
      if (this.#threads[thread.index] === thread) {
        this.#threads[thread.index] = undefined;
        this.#dead++;
      }
      if (this.#closed !== 'terminate') {
        // The first crash is replaced at once; a thread that keeps dying (a module that exits
        // while loading, say) is restarted with a growing delay, and only when there is work.
        this.#retryAt[thread.index] =
          crashes <= 1 ? 0 : performance.now() + Math.min(2000, 50 * 2 ** (crashes - 1));
        if (crashes <= 1) this.#respawn(thread.index);
        else if (!thread.ready && !this.#anyReady()) {
          // Threads keep dying before the module has even loaded, and none is up: the queued
          // jobs would only trickle into dying threads one restart at a time. Fail them now.
          this.#failWaiting(error);
        }
        this.#ensureCapacity();
      }
    }
    this.#checkDrained();
  }

  #anyReady(): boolean {
    for (const thread of this.#threads) {
      if (thread !== undefined && thread.ready && !thread.exited) return true;
    }
    return false;
  }

  /** Fails every job that waits in the queue or for room. */
  #failWaiting(error: unknown): void {
    for (let job = this.#roomHead; job !== undefined; job = this.#roomHead) {
      this.#unlinkRoom(job);
      this.#settleError(job, error, 'failed');
    }
    for (let job = this.#queueHead; job !== undefined; job = this.#queueHead) {
      this.#unlinkQueue(job);
      this.#settleError(job, error, 'failed');
    }
  }

  /** With work queued: restart crashed threads whose delay has passed, or plan to. */
  #ensureCapacity(): void {
    if (this.#queueHead === undefined || this.#closed === 'terminate') return;
    const now = performance.now();
    let nextRetry = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.#threadCount; i++) {
      if (this.#threads[i] !== undefined) continue;
      const at = this.#retryAt[i]!;
      if (at <= now) this.#respawn(i);
      else nextRetry = Math.min(nextRetry, at);
    }
    for (let thread = this.#pick(); thread !== undefined && this.#queueHead !== undefined; ) {
      const job = this.#queueHead;
      this.#unlinkQueue(job);
      this.#assign(thread, job);
      thread = this.#pick();
    }
    if (
      this.#queueHead !== undefined &&
      nextRetry !== Number.POSITIVE_INFINITY &&
      this.#retryTimer === undefined
    ) {
      this.#retryTimer = setTimeout(
        () => {
          this.#retryTimer = undefined;
          this.#ensureCapacity();
        },
        Math.max(1, nextRetry - now),
      );
    }
  }

  #linkQueue(job: PoolTask<unknown>): void {
    job._state = State.QUEUED;
    job._next = undefined;
    job._prev = this.#queueTail;
    if (this.#queueTail === undefined) this.#queueHead = job;
    else this.#queueTail._next = job;
    this.#queueTail = job;
    this.#queued++;
  }

  #unlinkQueue(job: PoolTask<unknown>): void {
    if (job._prev === undefined) this.#queueHead = job._next;
    else job._prev._next = job._next;
    if (job._next === undefined) this.#queueTail = job._prev;
    else job._next._prev = job._prev;
    job._prev = job._next = undefined;
    this.#queued--;
  }

  #linkRoom(job: PoolTask<unknown>): void {
    job._state = State.WAITING_ROOM;
    job._next = undefined;
    job._prev = this.#roomTail;
    if (this.#roomTail === undefined) this.#roomHead = job;
    else this.#roomTail._next = job;
    this.#roomTail = job;
    this.#waitingForRoom++;
  }

  #unlinkRoom(job: PoolTask<unknown>): void {
    if (job._prev === undefined) this.#roomHead = job._next;
    else job._prev._next = job._next;
    if (job._next === undefined) this.#roomTail = job._prev;
    else job._next._prev = job._prev;
    job._prev = job._next = undefined;
    this.#waitingForRoom--;
  }

  #sampleWait(ms: number): void {
    this.#waitSamples[this.#waitCount % SAMPLES] = ms;
    this.#waitCount++;
    this.#waitSum += ms;
  }

  #sampleRun(ms: number): void {
    this.#runSamples[this.#runCount % SAMPLES] = ms;
    this.#runCount++;
    this.#runSum += ms;
  }
}

function percentile99(samples: Float64Array, count: number): number {
  const n = Math.min(count, samples.length);
  if (n === 0) return 0;
  const sorted = samples.slice(0, n).sort();
  return sorted[Math.min(n - 1, Math.ceil(n * 0.99) - 1)]!;
}

const runOptionKeys = new Set(['signal', 'timeout', 'transfer', 'onFull']);

/**
 * The options of `run(name, ...args, { signal, ... })`: a trailing object whose `signal` is a
 * `StopToken`, an `AbortSignal` or a task context can only be options, because no such value
 * can be sent to a thread. Anything else in that position is a job argument.
 */
function trailingSignalOptions(last: unknown): RunOptions | undefined {
  if (last === null || typeof last !== 'object') return undefined;
  const signal = (last as { signal?: unknown }).signal;
  const isSignal =
    signal instanceof AbortSignal ||
    signal instanceof StopToken ||
    (signal !== null &&
      typeof signal === 'object' &&
      (signal as { stopToken?: unknown }).stopToken instanceof StopToken);
  if (!isSignal) return undefined;
  for (const key of Object.keys(last)) {
    if (!runOptionKeys.has(key)) {
      throw new InvalidArgumentError(
        `ThreadPool.run: the trailing options object has an unknown key ${JSON.stringify(key)} (options are signal, timeout, transfer, onFull)`,
      );
    }
  }
  return last as RunOptions;
}

function checkRunOptions(options: unknown): RunOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('ThreadPool.runWith: options must be an object');
  }
  const { transfer, onFull } = options as RunOptions;
  if (transfer !== undefined && !Array.isArray(transfer)) {
    throw new InvalidArgumentError('ThreadPool.runWith: transfer must be an array');
  }
  if (onFull !== undefined && onFull !== 'reject' && onFull !== 'wait') {
    throw new InvalidArgumentError(
      `ThreadPool.runWith: onFull must be 'reject' or 'wait', got ${String(onFull)}`,
    );
  }
  // Checks signal and timeout now, at the call, rather than when the task starts.
  readWaitOptions(options as RunOptions);
  return options as RunOptions;
}
