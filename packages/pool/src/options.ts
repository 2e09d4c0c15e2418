// The pool's options, and their checks: every bad option fails at the call, before any thread
// starts, with InvalidArgumentError.
import { availableParallelism } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ResourceLimits, TransferListItem } from 'node:worker_threads';
import {
  InvalidArgumentError,
  readWaitOptions,
  refuseUnknownOptions,
  StopToken,
  type WaitOptions,
} from '@coro/task';

/** Options for `new ThreadPool(...)`. */
export interface ThreadPoolOptions {
  /**
   * The worker module: a `URL` (`new URL('./jobs.ts', import.meta.url)`), a `file:` URL string,
   * or a path (resolved against the current directory). Its exported functions are the jobs.
   * TypeScript modules work on Node.js versions that strip types (22.18+, 23.6+, 24).
   */
  readonly module: string | URL;
  /**
   * How many threads, 1 … 256 (each is a V8 isolate with its own heap). Default:
   * `os.availableParallelism()`, at most 256.
   */
  readonly threadCount?: number | undefined;
  /**
   * How many jobs one thread holds at a time, 1 … 65,536: async jobs interleave at their
   * `await`s, synchronous ones wait their turn inside the thread (which saves a round trip
   * between them). Default 16. Use 1 for long synchronous jobs whose durations vary a lot, so
   * that none waits behind another.
   */
  readonly concurrentTasksPerWorker?: number | undefined;
  /**
   * How many jobs may wait for a thread; beyond that `run` fails with `PoolQueueFullError` (or
   * waits for room with `onFull: 'wait'`). `0`: a job goes straight to a thread with a free
   * slot, or fails (or waits for one). Default: `Infinity`.
   */
  readonly maxQueue?: number | undefined;
  /** Memory limits for each worker (`worker_threads` `resourceLimits`). */
  readonly resourceLimits?: ResourceLimits | undefined;
  /**
   * Called on the main thread with the thread's index once a thread has started and loaded the
   * module (also for the replacement of a crashed thread): libcoro's `on_thread_start_functor`.
   * Not called for a thread whose module failed to load.
   */
  readonly onThreadStart?: ((threadIndex: number) => void) | undefined;
  /**
   * Called on the main thread once a thread that started (see `onThreadStart`) has exited:
   * libcoro's `on_thread_stop_functor`.
   */
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

/** Options for `pool.shutdown(...)`. */
export interface ShutdownOptions {
  /**
   * The grace period in ms: once it has passed, the jobs still queued or running are cut off
   * (they reject with `PoolClosedError`) and the threads terminated. Default `Infinity`: wait
   * for every job.
   */
  readonly timeout?: number | undefined;
}

/** The largest `concurrentTasksPerWorker`: each slot costs memory on both threads. */
export const MAX_CONCURRENCY = 65_536;
const DEFAULT_CONCURRENCY = 16;
/**
 * The largest `threadCount`. Each thread is a V8 isolate (its own heap, megabytes before any
 * job runs, and milliseconds to start), and the constructor starts every one of them at once:
 * far more threads than cores only costs memory and start-up time.
 */
export const MAX_THREADS = 256;

/** Every key of `ThreadPoolOptions`: the compiler keeps it in step with the interface. */
const poolOptionKeys: Readonly<Record<keyof ThreadPoolOptions, true>> = {
  module: true,
  threadCount: true,
  concurrentTasksPerWorker: true,
  maxQueue: true,
  resourceLimits: true,
  onThreadStart: true,
  onThreadStop: true,
  onError: true,
};

/** Every key of `RunOptions`, likewise. */
const runOptionKeys: Readonly<Record<keyof RunOptions, true>> = {
  signal: true,
  timeout: true,
  transfer: true,
  onFull: true,
};

/** Every key of `ShutdownOptions`, likewise. */
const shutdownOptionKeys: Readonly<Record<keyof ShutdownOptions, true>> = { timeout: true };

/**
 * The first own key of `options` that `known` does not list, if any: for `run`'s trailing
 * options, whose message differs. Everywhere else `refuseUnknownOptions` (@coro/task) checks.
 */
function unknownKey(options: object, known: Readonly<Record<string, true>>): string | undefined {
  // for-in over own keys: no array per call (run checks every job's trailing options).
  for (const key in options) {
    if (Object.hasOwn(options, key) && !Object.hasOwn(known, key)) return key;
  }
  return undefined;
}

/** The checked, filled-in pool options. */
export interface PoolConfig {
  readonly module: string;
  readonly threadCount: number;
  readonly concurrency: number;
  readonly maxQueue: number;
  readonly resourceLimits: ResourceLimits | undefined;
  readonly onThreadStart: ((threadIndex: number) => void) | undefined;
  readonly onThreadStop: ((threadIndex: number) => void) | undefined;
  readonly onError: (error: unknown) => void;
}

function defaultOnError(error: unknown): void {
  console.error('coro: a thread pool job failed:', error);
}

/** Checks `new ThreadPool(options)`'s options; throws `InvalidArgumentError`. */
export function readPoolOptions(options: ThreadPoolOptions): PoolConfig {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('ThreadPool: options with a module are required');
  }
  refuseUnknownOptions(options, poolOptionKeys, 'ThreadPool');
  const module = resolveModule(options.module);
  const threadCount = checkCount(
    options.threadCount,
    'threadCount',
    Math.min(availableParallelism(), MAX_THREADS),
    MAX_THREADS,
  );
  const concurrency = checkCount(
    options.concurrentTasksPerWorker,
    'concurrentTasksPerWorker',
    DEFAULT_CONCURRENCY,
    MAX_CONCURRENCY,
  );
  const maxQueue = options.maxQueue ?? Number.POSITIVE_INFINITY;
  if (
    typeof maxQueue !== 'number' ||
    !(Number.isInteger(maxQueue) || maxQueue === Number.POSITIVE_INFINITY) ||
    maxQueue < 0
  ) {
    throw new InvalidArgumentError(
      `ThreadPool: maxQueue must be an integer ≥ 0 or Infinity, got ${String(maxQueue)}`,
    );
  }
  checkCallback(options.onThreadStart, 'onThreadStart');
  checkCallback(options.onThreadStop, 'onThreadStop');
  checkCallback(options.onError, 'onError');
  return {
    module,
    threadCount,
    concurrency,
    maxQueue,
    resourceLimits: options.resourceLimits,
    onThreadStart: options.onThreadStart,
    onThreadStop: options.onThreadStop,
    onError: options.onError ?? defaultOnError,
  };
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
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(
      `ThreadPool: ${where} must be an integer ${max === Number.MAX_SAFE_INTEGER ? '≥ 1' : `from 1 to ${max}`}, got ${String(value)}`,
    );
  }
  return value;
}

function checkCallback(value: unknown, where: string): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new InvalidArgumentError(`ThreadPool: ${where} must be a function`);
  }
}

/**
 * The options of `run(name, ...args, { signal, ... })`: a trailing object whose `signal` is a
 * `StopToken`, an `AbortSignal` or a task context can only be options, because no such value
 * can be sent to a thread. Anything else in that position is a job argument.
 */
export function trailingSignalOptions(last: unknown): RunOptions | undefined {
  if (last === null || typeof last !== 'object') return undefined;
  const signal = (last as { signal?: unknown }).signal;
  const isSignal =
    signal instanceof AbortSignal ||
    signal instanceof StopToken ||
    (signal !== null &&
      typeof signal === 'object' &&
      (signal as { stopToken?: unknown }).stopToken instanceof StopToken);
  if (!isSignal) return undefined;
  const key = unknownKey(last, runOptionKeys);
  if (key !== undefined) {
    throw new InvalidArgumentError(
      `ThreadPool.run: the trailing options object has an unknown key ${JSON.stringify(key)} (options are ${Object.keys(runOptionKeys).join(', ')})`,
    );
  }
  return last as RunOptions;
}

/** Checks a job's options at the call, rather than when the task starts. */
export function checkRunOptions(options: unknown): RunOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('ThreadPool.runWith: options must be an object');
  }
  refuseUnknownOptions(options, runOptionKeys, 'ThreadPool.runWith');
  const { transfer, onFull } = options as RunOptions;
  if (transfer !== undefined && !Array.isArray(transfer)) {
    throw new InvalidArgumentError('ThreadPool.runWith: transfer must be an array');
  }
  if (onFull !== undefined && onFull !== 'reject' && onFull !== 'wait') {
    throw new InvalidArgumentError(
      `ThreadPool.runWith: onFull must be 'reject' or 'wait', got ${String(onFull)}`,
    );
  }
  readWaitOptions(options as RunOptions);
  return options as RunOptions;
}

/** The grace period of `shutdown(options)`: ms ≥ 0, `Infinity` (the default) for none. */
export function readShutdownTimeout(options: ShutdownOptions | undefined): number {
  if (options === undefined) return Number.POSITIVE_INFINITY;
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('ThreadPool.shutdown: options must be an object');
  }
  refuseUnknownOptions(options, shutdownOptionKeys, 'ThreadPool.shutdown');
  const timeout = options.timeout ?? Number.POSITIVE_INFINITY;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw new InvalidArgumentError(
      `ThreadPool.shutdown: timeout must be a number of milliseconds ≥ 0 or Infinity, got ${String(timeout)}`,
    );
  }
  return timeout;
}
