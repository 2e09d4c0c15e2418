import { CoroError, registerErrorClass } from '@coro/task';

/**
 * Thrown at the call when work is handed to a scheduler that no longer takes it: a new task
 * (`spawnDetached`, `spawnJoinable`, `TaskGroup.start`) once `shutdown()` was called, and any
 * call at all once the shutdown has completed. Code `ERR_CORO_SCHEDULER_SHUTDOWN`.
 *
 * @example
 * await scheduler.shutdown();
 * scheduler.spawnDetached(work()); // throws SchedulerShutdownError
 */
export class SchedulerShutdownError extends CoroError {
  constructor(message = 'the scheduler is shut down', options?: { cause?: unknown }) {
    super(message, { code: 'ERR_CORO_SCHEDULER_SHUTDOWN', cause: options?.cause });
  }
}

/**
 * Thrown at the call when a method does not fit the scheduler's mode: `processEvents()` or
 * `advanceTime()` on a scheduler that is not in `threadStrategy: 'manual'`, a second
 * `processEvents()` while one is running, or `offload()` on a scheduler without a thread pool.
 * Code `ERR_CORO_SCHEDULER_MODE`.
 */
export class SchedulerModeError extends CoroError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { code: 'ERR_CORO_SCHEDULER_MODE', cause: options?.cause });
  }
}

// So that these errors keep their class across threads (a ThreadPool job that throws one
// rejects with the same class on the main thread): @coro/task's registry of CoroError classes.
// Here, in the module that defines them, so that whatever uses them registers them.
registerErrorClass('ERR_CORO_SCHEDULER_SHUTDOWN', SchedulerShutdownError);
registerErrorClass('ERR_CORO_SCHEDULER_MODE', SchedulerModeError);
