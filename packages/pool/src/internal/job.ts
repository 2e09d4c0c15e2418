// A job is the Task that `run` returns: one object and one promise per job, no closures.
import { type StopRegistration, Task, toCancelledError } from '@coro/task';
import type { RunOptions } from '../options.ts';
import type { StatsSampler } from '../stats.ts';
import type { LongTimer } from './long-timer.ts';
import type { Thread } from './thread.ts';

/** Where a job is in its life. */
export const JobState = {
  /** Created, not started (tasks are lazy). */
  NEW: 0,
  /** In the job list, waiting for a thread (or for room in the queue). */
  QUEUED: 1,
  /** In a thread's window: sent, or about to be sent, to that thread. */
  DISPATCHED: 2,
  /** Settled. */
  DONE: 3,
} as const;

/** What a job calls back into: the pool that runs it. */
export interface JobOwner {
  _submit(job: PoolTask<unknown>): void;
  _abort(job: PoolTask<unknown>, error: Error): void;
}

/** What a settled job's arguments are replaced with. */
const NO_ARGS: unknown[] = [];

/**
 * @internal The task `run` returns: the job itself, so that a job costs one object, one promise
 * and no closures beyond the promise's own. Its fields are read by the job list, the dispatcher
 * and the supervisor; only the functions below settle it.
 */
export class PoolTask<T> extends Task<T> {
  _owner: JobOwner;
  _fn: string;
  _jobArgs: unknown[];
  _options: RunOptions | undefined;
  _resolve: ((value: any) => void) | undefined = undefined;
  _reject: ((error: unknown) => void) | undefined = undefined;
  _state: number = JobState.NEW;
  _thread: Thread | undefined = undefined;
  _slot = -1;
  /** Links in the job list. */
  _prev: PoolTask<unknown> | undefined = undefined;
  _next: PoolTask<unknown> | undefined = undefined;
  _timer: LongTimer | undefined = undefined;
  _registration: StopRegistration | undefined = undefined;
  _queuedAt = 0;
  _sentAt = 0;

  constructor(owner: JobOwner, name: string, args: unknown[], options: RunOptions | undefined) {
    super(undefined, undefined, name);
    this._owner = owner;
    this._fn = name;
    this._jobArgs = args;
    this._options = options;
  }

  override _run(): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this._resolve = resolve;
      this._reject = reject;
      this._owner._submit(this as PoolTask<unknown>);
    });
  }

  override requestStop(reason?: unknown): boolean {
    const first = super.requestStop(reason);
    if (first && this._state !== JobState.NEW) {
      this._owner._abort(this as PoolTask<unknown>, toCancelledError(reason));
    }
    return first;
  }
}

/**
 * Marks a slot whose job was taken back (stolen for an idle thread) before it started: the
 * slot stays busy until the thread acknowledges it, but the job lives elsewhere now.
 */
export const MOVED = {
  _state: JobState.DONE,
  _sentAt: 0,
  _queuedAt: 0,
} as unknown as PoolTask<unknown>;

/** Removes a job's timer and stop registration. */
function unguard(job: PoolTask<unknown>): void {
  if (job._timer !== undefined) {
    job._timer.clear();
    job._timer = undefined;
  }
  if (job._registration !== undefined) {
    job._registration.unregister();
    job._registration = undefined;
  }
}

/** Settles a job with its result. */
export function settleValue(job: PoolTask<unknown>, value: unknown, stats: StatsSampler): void {
  job._state = JobState.DONE;
  job._jobArgs = NO_ARGS; // a task kept around must not keep its arguments alive
  stats.completed++;
  if (job._options !== undefined) unguard(job);
  job._resolve!(value);
}

/** Settles a job with an error, counting it as failed, cancelled or neither. */
export function settleError(
  job: PoolTask<unknown>,
  error: unknown,
  outcome: 'failed' | 'cancelled' | undefined,
  stats: StatsSampler,
): void {
  job._state = JobState.DONE;
  job._jobArgs = NO_ARGS;
  if (outcome === 'failed') stats.failed++;
  else if (outcome === 'cancelled') stats.cancelled++;
  if (job._options !== undefined) unguard(job);
  job._reject!(error);
}
