import { TimeoutError } from './errors.ts';
import { onStop, toCancelledError, type WaitOptions } from './stop.ts';
import { isAwaitable, startAwaitable, Task } from './task.ts';
import { clearGuards, readWaitOptions, type WaitGuards } from './wait.ts';

/**
 * libcoro's `sync_wait`: starts `awaitable` now, on the calling thread, and resolves with its
 * value or rejects with its error. JavaScript cannot block a thread on a promise, so this is
 * the bridge from plain code (a `main`, a test, a callback) into tasks: `await syncWait(t)`.
 *
 * With `{ timeout }` it rejects with `TimeoutError`, and with `{ signal }` with
 * `CancelledError`, asking a task to stop (`requestStop`) in both cases; the timer and the
 * signal listener are removed as soon as it settles.
 *
 * @example
 * const result = await syncWait(makeTask(5));
 * await syncWait(slowTask(), { timeout: 1000 }); // TimeoutError after 1 s
 */
export function syncWait<T>(
  awaitable: PromiseLike<T> | T,
  options?: WaitOptions,
): Promise<Awaited<T>> {
  const promise = (
    isAwaitable(awaitable) ? startAwaitable(awaitable) : Promise.resolve(awaitable)
  ) as Promise<Awaited<T>>;
  if (options === undefined) return promise;
  const { signal, timeout } = readWaitOptions(options);
  if (signal === undefined && timeout === undefined) return promise;
  return new Promise<Awaited<T>>((resolve, reject) => {
    const guards: WaitGuards = { timer: undefined, registration: undefined };
    const giveUp = (error: Error) => {
      clearGuards(guards);
      if (awaitable instanceof Task) awaitable.requestStop(error);
      reject(error);
    };
    promise.then(
      (value) => {
        clearGuards(guards);
        resolve(value);
      },
      (error: unknown) => {
        clearGuards(guards);
        reject(error);
      },
    );
    if (timeout !== undefined) {
      guards.timer = setTimeout(
        () => giveUp(new TimeoutError(`syncWait timed out after ${timeout}ms`, { timeout })),
        timeout,
      );
    }
    if (signal !== undefined)
      guards.registration = onStop(signal, (reason) => giveUp(toCancelledError(reason)));
  });
}
