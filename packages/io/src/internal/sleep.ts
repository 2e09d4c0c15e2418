// Timed sleeps (`yieldFor`, `yieldUntil`, `scheduleAfter`, `scheduleAt`) on the timer service.
// Without a signal, waiters of one deadline share one promise. With a signal, a waiter has an
// entry of its own, which a stop removes from the heap at once; the rejection is delivered
// through the driver (in manual mode: inside processEvents).
import {
  isStopRequested,
  onStop,
  type StopLike,
  type StopRegistration,
  stopReason,
  toCancelledError,
} from '@coro/task';
import { TimerEntry } from './timer-queue.ts';
import type { TimerService } from './timer-service.ts';

/** A cancellable sleep: resolves at its deadline, rejects when its signal stops first. */
class SleepWaiter extends TimerEntry {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  registration: StopRegistration | undefined = undefined;

  constructor(resolve: () => void, reject: (error: unknown) => void) {
    super();
    this.resolve = resolve;
    this.reject = reject;
  }

  override fire(): void {
    this.registration?.unregister();
    this.registration = undefined;
    this.resolve();
  }
}

/** Sleeps until `deadline`, or until `signal` stops (rejecting with `CancelledError`). */
export function sleepUntil(
  timers: TimerService,
  deadline: number,
  signal: StopLike | undefined,
  deliver: (fn: () => void) => void,
): Promise<void> {
  if (signal === undefined) return timers.sleep(deadline);
  if (isStopRequested(signal)) return Promise.reject(toCancelledError(stopReason(signal)));
  return new Promise<void>((resolve, reject) => {
    const waiter = new SleepWaiter(resolve, reject);
    timers.add(deadline, waiter);
    waiter.registration = onStop(signal, (reason) => {
      if (timers.cancel(waiter)) deliver(() => reject(toCancelledError(reason)));
    });
  });
}
