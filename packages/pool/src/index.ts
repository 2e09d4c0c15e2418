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
export {
  type DurationStats,
  type PoolStats,
  type RunOptions,
  type SignalRunOptions,
  ThreadPool,
  type ThreadPoolOptions,
} from './pool.ts';
export type { JobArgs, JobContext, JobName, JobResult, WithoutContext } from './types.ts';
