import type { ThreadPool, ThreadPoolOptions } from '@coro/pool';
import type { StopLike, StopSource, StopToken } from '@coro/task';

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

/** Any worker module's exports. */
export type AnyJobs = Record<string, (...args: any[]) => any>;

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
  /**
   * Milliseconds (≥ 0) after which the result is `{ ok: false, error: 'timeout' }`;
   * `Infinity` or `undefined`: no timeout.
   */
  readonly timeout?: number | undefined;
  /** Also asked to stop when the timeout (or the signal) wins: libcoro's `std::stop_source`. */
  readonly stopSource?: StopSource | undefined;
  /** Gives up when this stops: the result is `{ ok: false, error: 'cancelled' }`. */
  readonly signal?: StopLike | { readonly stopToken: StopToken } | undefined;
}
