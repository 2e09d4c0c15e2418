export {
  CancelledError,
  CoroError,
  DataCloneError,
  InvalidArgumentError,
  ModuleLoadError,
  PoolClosedError,
  PoolQueueFullError,
  TimeoutError,
  UnknownJobError,
  WorkerCrashedError,
} from './errors.ts';
export { type ContextualJob, type JobContext, withJobContext } from './job-context.ts';
export type {
  RunOptions,
  ShutdownOptions,
  SignalRunOptions,
  ThreadPoolOptions,
} from './options.ts';
export { type CutOffJob, type ShutdownResult, ThreadPool } from './pool.ts';
export type { DurationStats, PoolStats } from './stats.ts';
export type { JobArgs, JobName, JobResult } from './types.ts';
