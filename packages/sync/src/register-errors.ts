// Registers the errors of @coro/sync and @coro/sync/threads with @coro/task's error registry,
// so that they keep their class when they cross threads (a ThreadPool job that throws a
// LockNotHeldError rejects with a LockNotHeldError on the main thread). Both entry points call
// it when loaded: a call, not a side-effect import, which bundlers would drop under
// "sideEffects": false.
import { registerErrorClass } from '@coro/task';
import {
  LockNotHeldError,
  NegativeCountError,
  NotAcquiredError,
  SemaphoreOverflowError,
  ShutdownError,
} from './errors.ts';
import { SharedStateAbandonedError, WaiterCapacityError } from './threads/errors.ts';

/** @internal Registers every error class of this package (idempotent). */
export function registerSyncErrors(): void {
  registerErrorClass('ERR_CORO_LOCK_NOT_HELD', LockNotHeldError);
  registerErrorClass('ERR_CORO_SEMAPHORE_OVERFLOW', SemaphoreOverflowError);
  registerErrorClass('ERR_CORO_NEGATIVE_COUNT', NegativeCountError);
  registerErrorClass('ERR_CORO_NOT_ACQUIRED', NotAcquiredError);
  registerErrorClass('ERR_CORO_SHUTDOWN', ShutdownError);
  registerErrorClass('ERR_CORO_TOO_MANY_WAITERS', WaiterCapacityError);
  registerErrorClass('ERR_CORO_SHARED_STATE_ABANDONED', SharedStateAbandonedError);
}
