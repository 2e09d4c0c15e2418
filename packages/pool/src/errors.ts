import {
  CancelledError,
  CoroError,
  InvalidArgumentError,
  registerErrorClass,
  TimeoutError,
} from '@coro/task';

/**
 * Re-exported from `@coro/task` so that every error a pool can produce is importable from
 * `@coro/pool`: `CancelledError` (a job stopped through its task, a signal or `terminate()`),
 * `TimeoutError` (a job's `timeout` ran out) and `InvalidArgumentError` (bad options or a job
 * name that is not a string).
 */
export { CancelledError, CoroError, InvalidArgumentError, TimeoutError };

/**
 * A worker thread died while it held the job: an uncaught exception outside the job's own
 * promise, `process.exit()` in the worker, or running out of memory under `resourceLimits`.
 * Only the jobs that worker held fail with it; the pool starts a replacement thread.
 * `cause` is the worker's error when there was one. Code: `ERR_CORO_POOL_WORKER_CRASHED`.
 *
 * @example
 * try { await pool.run('parse', input) }
 * catch (e) { if (e instanceof WorkerCrashedError) console.log(e.threadIndex, e.exitCode) }
 */
export class WorkerCrashedError extends CoroError {
  /** The index (0 … threadCount − 1) of the thread that died. */
  readonly threadIndex: number;
  /** The worker's exit code. */
  readonly exitCode: number;

  constructor(
    message: string,
    options: { threadIndex: number; exitCode: number; cause?: unknown | undefined },
  ) {
    super(message, { code: 'ERR_CORO_POOL_WORKER_CRASHED', cause: options.cause });
    this.threadIndex = options.threadIndex;
    this.exitCode = options.exitCode;
  }
}

/**
 * `run` was called while `maxQueue` jobs were already waiting for a thread (and the call did
 * not ask to wait for room with `onFull: 'wait'`). Nothing was queued.
 * Code: `ERR_CORO_POOL_QUEUE_FULL`.
 */
export class PoolQueueFullError extends CoroError {
  /** The pool's `maxQueue`. */
  readonly maxQueue: number;

  constructor(maxQueue: number) {
    super(`the pool's queue is full (maxQueue = ${maxQueue})`, {
      code: 'ERR_CORO_POOL_QUEUE_FULL',
    });
    this.maxQueue = maxQueue;
  }
}

/**
 * The pool no longer takes jobs: `run` after `shutdown()` or `terminate()` (the task rejects),
 * `spawnDetached` after them (thrown at the call), every job that `terminate()` found queued
 * or running, and every job that a `shutdown({ timeout })` cut off when its grace period ran
 * out. Code: `ERR_CORO_POOL_CLOSED`.
 */
export class PoolClosedError extends CoroError {
  constructor(message = 'the thread pool is shut down', options?: { cause?: unknown }) {
    super(message, { code: 'ERR_CORO_POOL_CLOSED', cause: options?.cause });
  }
}

/**
 * The worker module could not be loaded (a missing file, a syntax error, a throw at its top
 * level). Every job run on that pool fails with it; `cause` is the loader's error.
 * Code: `ERR_CORO_POOL_MODULE_LOAD`.
 */
export class ModuleLoadError extends CoroError {
  /** The module's URL. */
  readonly module: string;

  constructor(module: string, options?: { cause?: unknown }) {
    super(`the worker module ${module} could not be loaded${describeCause(options?.cause)}`, {
      code: 'ERR_CORO_POOL_MODULE_LOAD',
      cause: options?.cause,
    });
    this.module = module;
  }
}

/**
 * The worker module has no exported function by the job's name. The pool stays healthy; only
 * that `run` fails. Code: `ERR_CORO_POOL_UNKNOWN_JOB`.
 */
export class UnknownJobError extends CoroError {
  /** The name that was asked for. */
  readonly jobName: string;

  constructor(jobName: string, available: readonly string[]) {
    super(
      `the worker module has no exported function named '${jobName}'` +
        (available.length === 0 ? '' : ` (it exports: ${available.join(', ')})`),
      { code: 'ERR_CORO_POOL_UNKNOWN_JOB' },
    );
    this.jobName = jobName;
  }
}

/**
 * A job's arguments (on `run`) or its result (on the way back) could not be copied to the other
 * thread: functions, class instances with private state, symbols and the like cannot be
 * structured-cloned. `cause` is the `DataCloneError`. Only that job fails.
 * Code: `ERR_CORO_POOL_DATA_CLONE`.
 */
export class DataCloneError extends CoroError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { code: 'ERR_CORO_POOL_DATA_CLONE', cause: options?.cause });
  }
}

// So that these errors keep their class when they cross threads (see @coro/task's registry).
registerErrorClass('ERR_CORO_POOL_WORKER_CRASHED', WorkerCrashedError);
registerErrorClass('ERR_CORO_POOL_QUEUE_FULL', PoolQueueFullError);
registerErrorClass('ERR_CORO_POOL_CLOSED', PoolClosedError);
registerErrorClass('ERR_CORO_POOL_MODULE_LOAD', ModuleLoadError);
registerErrorClass('ERR_CORO_POOL_UNKNOWN_JOB', UnknownJobError);
registerErrorClass('ERR_CORO_POOL_DATA_CLONE', DataCloneError);

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `: ${cause.message}`;
  return cause === undefined ? '' : `: ${String(cause)}`;
}
