// The explicit job context: a job function asks for it by being wrapped, so that nothing the
// caller passes — nor any optional parameter — can ever be mistaken for it.
import type { TransferListItem } from 'node:worker_threads';
import { InvalidArgumentError, type StopToken } from '@coro/task';
import { JOB_CONTEXT } from './internal/protocol.ts';

/**
 * What a job function sees of its own job, on the worker thread. A job asks for it by being
 * wrapped in `withJobContext`, and then receives it as its first parameter, before the
 * caller's arguments; a function that is not wrapped never receives it.
 *
 * @example
 * // jobs.ts — the worker module
 * import { withJobContext } from '@coro/pool';
 * export const count = withJobContext(async (ctx, limit: number): Promise<number> => {
 *   let n = 0;
 *   while (n < limit && !ctx.stopRequested) {
 *     n++;
 *     if (n % 100_000 === 0) await ctx.yield(); // let the other jobs on this thread run
 *   }
 *   return n;
 * });
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

declare const contextual: unique symbol;

/**
 * A job function made by `withJobContext`: it takes the `JobContext` first, then the
 * arguments `A` that `run` passes. `run`'s types take only `A`.
 */
export type ContextualJob<A extends unknown[], R> = ((ctx: JobContext, ...args: A) => R) & {
  readonly [contextual]: true;
};

/**
 * Marks a worker module's function as wanting its job's context: the pool calls it with the
 * `JobContext` first, then the caller's arguments (`pool.run('crawl', url, 2)` calls
 * `crawl(ctx, url, 2)`). Functions that are not wrapped get exactly the caller's arguments.
 * Returns the same function, marked. Throws `InvalidArgumentError` for a non-function.
 *
 * @example
 * // jobs.ts
 * export const crawl = withJobContext(async (ctx, url: string, depth: number) => {
 *   const html = await (await fetch(url, { signal: ctx.signal })).text();
 *   return html.length * depth;
 * });
 * // main.ts: const n = await pool.run('crawl', 'https://example.com', 2);
 */
export function withJobContext<A extends unknown[], R>(
  fn: (ctx: JobContext, ...args: A) => R,
): ContextualJob<A, R> {
  if (typeof fn !== 'function') {
    throw new InvalidArgumentError(
      `withJobContext expects a function, got ${fn === null ? 'null' : typeof fn}`,
    );
  }
  if ((fn as unknown as Record<symbol, unknown>)[JOB_CONTEXT] !== true) {
    Object.defineProperty(fn, JOB_CONTEXT, { value: true });
  }
  return fn as ContextualJob<A, R>;
}
