import type { ContextualJob } from './job-context.ts';

type AnyFunction = (...args: any[]) => any;

/** The names of a worker module's exported functions. */
export type JobName<M> = {
  [K in keyof M]-?: M[K] extends AnyFunction ? K : never;
}[keyof M] &
  string;

/**
 * The arguments `run(name, ...)` takes for the export `K` of module `M`: the function's own
 * parameters, without the leading `JobContext` of a `withJobContext` job.
 */
export type JobArgs<M, K extends keyof M> =
  M[K] extends ContextualJob<infer A, any> ? A : M[K] extends (...args: infer P) => any ? P : never;

/** The value a `run(name, ...)` task resolves with for the export `K` of module `M`. */
export type JobResult<M, K extends keyof M> = M[K] extends (...args: any[]) => infer R
  ? Awaited<R>
  : never;
