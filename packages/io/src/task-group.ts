import {
  InvalidArgumentError,
  isAwaitable,
  refuseUnknownOptions,
  StopSource,
  type StopToken,
  Task,
} from '@coro/task';
import type { IoScheduler } from './io-scheduler.ts';

/** Options for `new TaskGroup(scheduler, options)`. */
export interface TaskGroupOptions {
  /**
   * When a task fails, request stop on every other task of the group (and on tasks started
   * later). Default `false`: the others run on.
   */
  readonly cancelOnError?: boolean | undefined;
}

/** Every key of `TaskGroupOptions`: the compiler keeps it in step with the interface. */
const taskGroupOptionKeys: Readonly<Record<keyof TaskGroupOptions, true>> = {
  cancelOnError: true,
};

type Waiter = [resolve: () => void, reject: (error: unknown) => void];

/**
 * libcoro's `task_group`: tasks started on a scheduler and awaited together. `await group`
 * resolves once every task started so far has finished, or rejects with the first error once
 * they all have. With `cancelOnError`, the first failure requests stop on the rest.
 * The tasks belong to the scheduler too, so its `shutdown()` waits for them.
 *
 * @example
 * const group = new TaskGroup(scheduler, { cancelOnError: true });
 * for (const url of urls) group.start(fetchOne(url));
 * await group; // all done, or the first error after the rest were stopped
 */
export class TaskGroup implements PromiseLike<void>, AsyncDisposable {
  readonly #scheduler: IoScheduler<any>;
  readonly #cancelOnError: boolean;
  readonly #stop = new StopSource();
  #size = 0;
  #failed = false;
  #error: unknown = undefined;
  readonly #errors: unknown[] = [];
  #waiters: Waiter[] = [];

  constructor(scheduler: IoScheduler<any>, options?: TaskGroupOptions) {
    if (
      scheduler === null ||
      typeof scheduler !== 'object' ||
      typeof (scheduler as { _spawn?: unknown })._spawn !== 'function'
    ) {
      throw new InvalidArgumentError('TaskGroup needs an IoScheduler');
    }
    this.#scheduler = scheduler;
    refuseUnknownOptions(options, taskGroupOptionKeys, 'TaskGroup');
    this.#cancelOnError = options?.cancelOnError === true;
  }

  /**
   * Starts `task` on the group's scheduler. A `Task` is linked to the group's stop token, so
   * `requestStop()` (and `cancelOnError`) reach it. Throws `SchedulerShutdownError` once the
   * scheduler is shutting down. Returns the group.
   */
  start(task: PromiseLike<unknown>): this {
    if (!isAwaitable(task))
      throw new InvalidArgumentError('TaskGroup.start expects a task or promise');
    this.#scheduler._checkAccepting('TaskGroup.start');
    if (task instanceof Task) task.stopWith(this.#stop.token);
    this.#size++;
    this.#scheduler._spawn(task, (error, failed) => this.#settled(error, failed));
    return this;
  }

  /** Tasks started and not finished. */
  get size(): number {
    return this.#size;
  }

  /** Whether every task started has finished. */
  get isEmpty(): boolean {
    return this.#size === 0;
  }

  /** The group's stop token: linked to every `Task` it starts. */
  get stopToken(): StopToken {
    return this.#stop.token;
  }

  /** Every error the group's tasks failed with, in the order they failed. */
  get errors(): readonly unknown[] {
    return this.#errors;
  }

  /** Requests stop on every task of the group (cooperative). Returns `true` the first time. */
  requestStop(reason?: unknown): boolean {
    return this.#stop.requestStop(reason);
  }

  /** Resolves when the group is empty; rejects with the first error if a task failed. */
  // biome-ignore lint/suspicious/noThenProperty: a TaskGroup is deliberately awaitable.
  then<R1 = void, R2 = never>(
    onfulfilled?: ((value: void) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    const promise =
      this.#size === 0
        ? this.#failed
          ? Promise.reject(this.#error)
          : Promise.resolve()
        : new Promise<void>((resolve, reject) => this.#waiters.push([resolve, reject]));
    return promise.then(onfulfilled, onrejected);
  }

  /** `await using group = new TaskGroup(s)` waits for the group at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this;
  }

  #settled(error: unknown, failed: boolean): void {
    if (failed) {
      this.#errors.push(error);
      if (!this.#failed) {
        this.#failed = true;
        this.#error = error;
        if (this.#cancelOnError) this.#stop.requestStop(error);
      }
    }
    if (--this.#size > 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const [resolve, reject] of waiters) {
      if (this.#failed) reject(this.#error);
      else resolve();
    }
  }
}
