import type { TransferListItem } from 'node:worker_threads';
import type { StopToken } from '@coro/task';

/**
 * What a job function sees of its own job, on the worker thread. It is passed as the job's
 * last declared parameter (see the README: declare it after the job's own parameters, without
 * default values before it, and the pool fills it in).
 *
 * @example
 * // jobs.ts — the worker module
 * import type { JobContext } from '@coro/pool';
 * export async function count(limit: number, ctx: JobContext): Promise<number> {
 *   let n = 0;
 *   while (n < limit && !ctx.stopRequested) {
 *     n++;
 *     if (n % 100_000 === 0) await ctx.yield(); // let the other jobs on this thread run
 *   }
 *   return n;
 * }
 */
export interface JobContext {
  /** The name of the exported function that is running. */
  readonly name: string;
  /** Which pool thread runs the job (0 … threadCount − 1). */
  readonly threadIndex: number;
  /**
   * Stopped when the job is cancelled (its task's `requestStop()`, a `signal`, a `timeout`).
   * Its callbacks run when the worker's event loop gets a turn (at an `await`); a synchronous
   * loop should poll `ctx.stopRequested`, which sees the request at once.
   */
  readonly stopToken: StopToken;
  /** The stop token as an `AbortSignal`, for `fetch`, `fs` and other signal-taking APIs. */
  readonly signal: AbortSignal;
  /**
   * Whether the job was asked to stop. Reads shared memory, so it is up to date even inside a
   * synchronous loop that never yields.
   */
  readonly stopRequested: boolean;
  /** Throws a `CancelledError` if the job was asked to stop. */
  throwIfStopRequested(): void;
  /**
   * Lets the other jobs on this thread run (and lets cancel requests arrive), then resumes:
   * libcoro's `co_await tp.yield()`.
   */
  yield(): Promise<void>;
  /**
   * Moves (instead of copying) these `ArrayBuffer`s / `MessagePort`s to the main thread with the
   * job's result. They must be part of the returned value.
   */
  transfer(...items: TransferListItem[]): void;
}

type AnyFunction = (...args: any[]) => any;

/** The names of a worker module's exported functions. */
export type JobName<M> = {
  [K in keyof M]-?: M[K] extends AnyFunction ? K : never;
}[keyof M] &
  string;

/** Drops a trailing `JobContext` parameter: the pool supplies it, the caller does not. */
export type WithoutContext<P extends readonly unknown[]> = P extends readonly [
  ...infer Args,
  infer Last,
]
  ? [Last] extends [JobContext]
    ? Args
    : P
  : P extends readonly [...infer Args, (infer Last)?]
    ? [Exclude<Last, undefined>] extends [JobContext]
      ? Args
      : P
    : P;

/** The arguments `run(name, ...)` takes for the export `K` of module `M`. */
export type JobArgs<M, K extends keyof M> = M[K] extends (...args: infer P) => any
  ? WithoutContext<P>
  : never;

/** The value a `run(name, ...)` task resolves with for the export `K` of module `M`. */
export type JobResult<M, K extends keyof M> = M[K] extends (...args: any[]) => infer R
  ? Awaited<R>
  : never;
