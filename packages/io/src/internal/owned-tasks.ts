// The tasks a scheduler owns (spawned, joinable, task-group and `schedule(task)` tasks): the
// one count of them, and how they start and settle. `shutdown()` waits for the count to reach
// zero; errors of tasks nobody joins go to the scheduler's `onError`.
import { Task } from '@coro/task';
import type { WorkQueue } from './run-queue.ts';

/** Starts a task directly (no thenable hop), or adopts any other awaitable. */
export function startOf<T>(awaitable: PromiseLike<T>): Promise<T> {
  if (awaitable instanceof Task) return awaitable.start() as Promise<T>;
  if (awaitable instanceof Promise) return awaitable;
  return Promise.resolve(awaitable);
}

/** The scheduler's owned tasks. */
export class OwnedTasks {
  #count = 0;
  readonly #ready: WorkQueue;
  readonly #report: (error: unknown) => void;
  readonly #changed: () => void;
  readonly #done = (): void => {
    this.#count--;
    this.#changed();
  };

  constructor(ready: WorkQueue, report: (error: unknown) => void, changed: () => void) {
    this.#ready = ready;
    this.#report = report;
    this.#changed = changed;
  }

  /** Owned tasks not yet settled. */
  get count(): number {
    return this.#count;
  }

  /**
   * Starts `task` from the run queue and owns it until it settles. `onSettled` receives its
   * outcome; without it, an error goes to `onError`.
   */
  spawn(
    task: PromiseLike<unknown>,
    onSettled: ((error: unknown, failed: boolean) => void) | undefined,
  ): void {
    this.#count++;
    this.#ready.push(() => {
      let promise: Promise<unknown>;
      try {
        promise = startOf(task);
      } catch (error) {
        promise = Promise.reject(error);
      }
      promise.then(
        () => {
          this.#done();
          onSettled?.(undefined, false);
        },
        (error: unknown) => {
          this.#done();
          if (onSettled === undefined) this.#report(error);
          else onSettled(error, true);
        },
      );
    });
  }

  /** Owns an already started task until it settles; returns its promise. */
  track<T>(promise: Promise<T>): Promise<T> {
    this.#count++;
    promise.then(this.#done, this.#done);
    return promise;
  }
}
