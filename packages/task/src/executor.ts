import { setImmediate as immediate } from 'node:timers/promises';
import { isAwaitable, startAwaitable } from './task.ts';
import { InvalidArgumentError } from './errors.ts';
import { refuseUnknownOptions } from './options.ts';

/**
 * Something tasks can be scheduled on: libcoro's executor concept. `@coro/io`'s `IoScheduler`
 * is the main one; `InlineExecutor` runs everything where it is.
 */
export interface Executor {
  /** Resolves when the caller has been moved onto this executor. */
  schedule(): PromiseLike<void>;
  /** Gives other ready work a turn, then resumes the caller on this executor. */
  yield(): PromiseLike<void>;
  /** Starts a task that nobody awaits; its errors go to the executor's error handler. */
  spawnDetached(task: PromiseLike<unknown>): void;
}

/** Options for `InlineExecutor`. */
export interface InlineExecutorOptions {
  /** Receives the errors of detached tasks. Defaults to printing them with `console.error`. */
  readonly onError?: ((error: unknown) => void) | undefined;
}

/** Every key of `InlineExecutorOptions`: the compiler keeps it in step with the interface. */
const inlineExecutorOptionKeys: Readonly<Record<keyof InlineExecutorOptions, true>> = {
  onError: true,
};

/**
 * The executor that does not move anything: `schedule()` continues on the next microtask,
 * `yield()` after pending I/O and timers have had a turn (`setImmediate`), and
 * `spawnDetached(t)` starts `t` right away.
 */
export class InlineExecutor implements Executor {
  readonly #onError: (error: unknown) => void;

  /** Throws `InvalidArgumentError` for options that are not an object or hold an unknown key. */
  constructor(options?: InlineExecutorOptions) {
    refuseUnknownOptions(options, inlineExecutorOptionKeys, 'InlineExecutor');
    this.#onError =
      options?.onError ?? ((error) => console.error('coro: a detached task failed:', error));
  }

  schedule(): Promise<void> {
    return Promise.resolve();
  }

  yield(): Promise<void> {
    return immediate();
  }

  spawnDetached(task: PromiseLike<unknown>): void {
    if (!isAwaitable(task))
      throw new InvalidArgumentError('spawnDetached expects a task or promise');
    startAwaitable(task).then(undefined, this.#onError);
  }
}
