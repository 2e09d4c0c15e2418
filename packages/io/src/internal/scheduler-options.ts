// Reads and checks `new IoScheduler(options)`: every bad option fails at construction with an
// InvalidArgumentError, before anything (a pool) was created.
import { ThreadPool, type ThreadPoolOptions } from '@coro/pool';
import { InvalidArgumentError, refuseUnknownOptions } from '@coro/task';
import type { ExecutionStrategy, IoSchedulerOptions, ThreadStrategy } from '../options.ts';

/** The checked options. */
export interface SchedulerSettings<M extends object> {
  readonly threadStrategy: ThreadStrategy;
  readonly executionStrategy: ExecutionStrategy;
  readonly pool: ThreadPool<M> | undefined;
  readonly ownsPool: boolean;
  readonly onError: (error: unknown) => void;
  readonly onStart: (() => void) | undefined;
  readonly onStop: (() => void) | undefined;
}

/** Every key of `IoSchedulerOptions`: the compiler keeps it in step with the interface. */
const schedulerOptionKeys: Readonly<Record<keyof IoSchedulerOptions, true>> = {
  threadStrategy: true,
  executionStrategy: true,
  pool: true,
  onIoThreadStart: true,
  onIoThreadStop: true,
  onError: true,
};

function defaultOnError(error: unknown): void {
  console.error('coro: a detached task failed:', error);
}

/** Checks the options and creates the pool they ask for. */
export function readSchedulerOptions<M extends object>(
  options: IoSchedulerOptions<M> | undefined,
): SchedulerSettings<M> {
  refuseUnknownOptions(options, schedulerOptionKeys, 'IoScheduler');
  const strategy = options?.threadStrategy ?? 'spawn';
  if (strategy !== 'spawn' && strategy !== 'manual') {
    throw new InvalidArgumentError(
      `threadStrategy must be 'spawn' or 'manual', got ${String(strategy)}`,
    );
  }
  for (const key of ['onIoThreadStart', 'onIoThreadStop', 'onError'] as const) {
    const value = options?.[key];
    if (value !== undefined && typeof value !== 'function') {
      throw new InvalidArgumentError(`${key} must be a function, got ${typeof value}`);
    }
  }
  const pool = options?.pool;
  const execution = options?.executionStrategy ?? (pool === undefined ? 'inline' : 'pool');
  if (execution !== 'inline' && execution !== 'pool') {
    throw new InvalidArgumentError(
      `executionStrategy must be 'inline' or 'pool', got ${String(execution)}`,
    );
  }
  if (execution === 'pool' && pool === undefined) {
    throw new InvalidArgumentError(
      "executionStrategy 'pool' needs the pool option: a ThreadPool or ThreadPoolOptions",
    );
  }
  if (execution === 'inline' && pool !== undefined) {
    throw new InvalidArgumentError(
      "executionStrategy 'inline' runs everything on the event loop; drop the pool option or use 'pool'",
    );
  }
  if (pool !== undefined && (pool === null || typeof pool !== 'object')) {
    throw new InvalidArgumentError('pool must be a ThreadPool or ThreadPoolOptions');
  }
  const manual = strategy === 'manual';
  let threadPool: ThreadPool<M> | undefined;
  let ownsPool = false;
  if (pool instanceof ThreadPool) threadPool = pool;
  else if (pool !== undefined) {
    threadPool = new ThreadPool<M>(pool as ThreadPoolOptions);
    ownsPool = true;
  }
  return {
    threadStrategy: strategy,
    executionStrategy: execution,
    pool: threadPool,
    ownsPool,
    onError: options?.onError ?? defaultOnError,
    onStart: manual ? undefined : options?.onIoThreadStart,
    onStop: manual ? undefined : options?.onIoThreadStop,
  };
}
