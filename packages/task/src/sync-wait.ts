import { TimeoutError } from './errors.ts';
import { isStopRequested, onStop, stopReason, toCancelledError, type WaitOptions } from './stop.ts';
import { isAwaitable, startAwaitable, startTask, Task } from './task.ts';
import { clearGuards, readWaitOptions, setWaitTimer, type WaitGuards } from './wait.ts';

/**
 * libcoro's `sync_wait`: starts `awaitable` now, on the calling thread, and resolves with its
 * value or rejects with its error. JavaScript cannot block a thread on a promise, so this is
 * the bridge from plain code (a `main`, a test, a callback) into tasks: `await syncWait(t)`.
 *
 * With `{ timeout }` it rejects with `TimeoutError`, and with `{ signal }` with
 * `CancelledError`, asking a task to stop (`requestStop`) in both cases; the timer and the
 * signal listener are removed as soon as it settles. `timeout: 0` means "only if ready now":
 * the work gets the current turn (its microtasks) and no more. `Infinity` means no timeout.
 * Bad options throw `InvalidArgumentError` at the call, before anything is started; a signal
 * that has already stopped rejects with `CancelledError` at once and starts nothing (a task is
 * asked to stop, not started).
 *
 * @example
 * const result = await syncWait(makeTask(5));
 * await syncWait(slowTask(), { timeout: 1000 }); // TimeoutError after 1 s
 */
export function syncWait<T>(
  awaitable: PromiseLike<T> | T,
  options?: WaitOptions,
): Promise<Awaited<T>> {
  // The hot path is kept small, so that it is inlined where it is called.
  if (options === undefined) {
    if (awaitable instanceof Task) return startTask(awaitable) as Promise<Awaited<T>>;
    return (
      isAwaitable(awaitable) ? startAwaitable(awaitable) : Promise.resolve(awaitable)
    ) as Promise<Awaited<T>>;
  }
  return waitWithOptions(awaitable, options);
}

const ignore = (): void => {};

function waitWithOptions<T>(
  awaitable: PromiseLike<T> | T,
  options: WaitOptions,
): Promise<Awaited<T>> {
  // Validate first: a rejected call starts nothing.
  const { signal, timeout } = readWaitOptions(options);
  // An already-stopped signal answers at once and starts nothing (the precedence rule). A task
  // is still asked to stop, as a later stop would; a promise is already running: handle its
  // rejection, since nobody will await it here.
  if (signal !== undefined && isStopRequested(signal)) {
    const error = toCancelledError(stopReason(signal));
    if (awaitable instanceof Task) awaitable.requestStop(error);
    else if (awaitable instanceof Promise) awaitable.then(undefined, ignore);
    return Promise.reject(error);
  }
  const promise = (
    isAwaitable(awaitable) ? startAwaitable(awaitable) : Promise.resolve(awaitable)
  ) as Promise<Awaited<T>>;
  if (signal === undefined && timeout === undefined) return promise;
  const ms = timeout ?? 0;
  return new Promise<Awaited<T>>((resolve, reject) => {
    const guards: WaitGuards = { timer: undefined, registration: undefined };
    let immediate: ReturnType<typeof setImmediate> | undefined;
    const settle = () => {
      clearGuards(guards);
      if (immediate !== undefined) clearImmediate(immediate);
      immediate = undefined;
    };
    const giveUp = (error: Error) => {
      settle();
      if (awaitable instanceof Task) awaitable.requestStop(error);
      reject(error);
    };
    promise.then(
      (value) => {
        settle();
        resolve(value);
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
    const timedOut = () =>
      giveUp(new TimeoutError(`syncWait timed out after ${ms}ms`, { timeout: ms }));
    if (timeout === 0) immediate = setImmediate(timedOut);
    else if (timeout !== undefined) guards.timer = setWaitTimer(timedOut, timeout, 0, 0);
    if (signal !== undefined)
      guards.registration = onStop(signal, (reason) => giveUp(toCancelledError(reason)));
  });
}
