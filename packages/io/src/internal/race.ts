// `schedule(task, { timeout, signal, stopSource })`: the task's outcome races a timer entry and
// a stop registration; whichever comes first settles the result, and the others are removed.
// Every outcome is delivered through the driver, so in manual mode it lands inside
// processEvents (the timer fires there already; a stop request or an outside promise is
// queued).
import {
  type Expected,
  err,
  ok,
  onStop,
  type StopLike,
  type StopRegistration,
  type StopSource,
  Task,
  TimeoutError,
} from '@coro/task';
import type { Clock } from './clock.ts';
import { CallbackTimer } from './timer-queue.ts';
import type { TimerService } from './timer-service.ts';

/** What a race needs from its scheduler. */
export interface RaceHost {
  readonly clock: Clock;
  readonly timers: TimerService;
  deliver(fn: () => void): void;
}

/** Settles with the task's value, `'timeout'` or `'cancelled'`; rejects with its error. */
export function raceTimeout<T>(
  host: RaceHost,
  promise: Promise<T>,
  task: PromiseLike<T>,
  timeout: number | undefined,
  signal: StopLike | undefined,
  stopSource: StopSource | undefined,
): Promise<Expected<T, 'timeout' | 'cancelled'>> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let timer: CallbackTimer | undefined;
    let registration: StopRegistration | undefined;
    const cleanup = () => {
      settled = true;
      if (timer !== undefined) host.timers.cancel(timer);
      registration?.unregister();
    };
    const giveUp = (status: 'timeout' | 'cancelled', reason: unknown) => {
      if (settled) return;
      cleanup();
      stopSource?.requestStop(reason);
      if (task instanceof Task) task.requestStop(reason);
      resolve(err(status));
    };
    promise.then(
      (value) =>
        host.deliver(() => {
          if (settled) return;
          cleanup();
          resolve(ok(value));
        }),
      (error: unknown) =>
        host.deliver(() => {
          if (settled) return;
          cleanup();
          reject(error);
        }),
    );
    if (timeout !== undefined) {
      timer = new CallbackTimer(() =>
        giveUp(
          'timeout',
          new TimeoutError(`the scheduled task timed out after ${timeout}ms`, { timeout }),
        ),
      );
      host.timers.add(host.clock.deadlineAfter(timeout), timer);
    }
    if (signal !== undefined && !settled) {
      registration = onStop(signal, (reason) => host.deliver(() => giveUp('cancelled', reason)));
    }
  });
}
