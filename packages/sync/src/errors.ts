import { CoroError, InvalidArgumentError } from '@coro/task';

/**
 * Re-exported from `@coro/task` so that both `@coro/sync` and `@coro/sync/threads` users can
 * match every misuse error of this package from one module. Thrown for invalid construction
 * (a negative or non-integer count, a capacity of 0, `initial > max`) and bad options.
 * Code: `ERR_CORO_INVALID_ARGUMENT`.
 */
export { CoroError, InvalidArgumentError };

/**
 * Thrown when a lock is released by someone who does not hold it: `mutex.unlock()` while the
 * mutex is free, `unlockShared()` with no shared holder, a `ScopedLock` unlocked a second time,
 * or a condition-variable wait given a lock that is not held. The primitive is left unchanged.
 * Code: `ERR_CORO_LOCK_NOT_HELD`.
 *
 * @example
 * try { mutex.unlock() } catch (e) { if (e instanceof LockNotHeldError) console.log(e.code) }
 */
export class LockNotHeldError extends CoroError {
  constructor(message = 'the lock is not held', options?: { cause?: unknown }) {
    super(message, { code: 'ERR_CORO_LOCK_NOT_HELD', cause: options?.cause });
  }
}

/**
 * Thrown by `Semaphore.release()` when the count is already at its `max`: a release without a
 * matching acquire, which would otherwise silently let more holders in than intended.
 * The count is left unchanged. Code: `ERR_CORO_SEMAPHORE_OVERFLOW`.
 */
export class SemaphoreOverflowError extends CoroError {
  /** The semaphore's maximum count. */
  readonly max: number | undefined;

  constructor(
    message = 'semaphore released beyond its maximum',
    options?: { max?: number; cause?: unknown },
  ) {
    super(message, { code: 'ERR_CORO_SEMAPHORE_OVERFLOW', cause: options?.cause });
    this.max = options?.max;
  }
}

/**
 * Thrown when a counter would go below zero: `WaitGroup.done()` (or `add(-n)`) more times than
 * work was added. The counter is left unchanged. Code: `ERR_CORO_NEGATIVE_COUNT`.
 */
export class NegativeCountError extends CoroError {
  constructor(message = 'the count would become negative', options?: { cause?: unknown }) {
    super(message, { code: 'ERR_CORO_NEGATIVE_COUNT', cause: options?.cause });
  }
}

/**
 * Thrown when something is handed back that is not out on loan: `ObjectPool.release(obj)` for
 * an object the pool did not lend (or already got back), or a `PoolGuard` released a second
 * time. Nothing is released twice. Code: `ERR_CORO_NOT_ACQUIRED`.
 */
export class NotAcquiredError extends CoroError {
  constructor(message = 'the object is not acquired', options?: { cause?: unknown }) {
    super(message, { code: 'ERR_CORO_NOT_ACQUIRED', cause: options?.cause });
  }
}

/**
 * Thrown where a value is expected but the primitive was shut down or drained, for calls that
 * have no status to return it in (for example the plain `ObjectPool.acquire()` after `drain()`).
 * Calls with statuses return `'shutdown'` / `'stopped'` instead. Code: `ERR_CORO_SHUTDOWN`.
 */
export class ShutdownError extends CoroError {
  constructor(message = 'the primitive was shut down', options?: { cause?: unknown }) {
    super(message, { code: 'ERR_CORO_SHUTDOWN', cause: options?.cause });
  }
}

/**
 * Thrown by `ObjectPool.acquire()` when `create()` returns an object the pool already holds
 * (lent out or idle): lending it twice would corrupt the pool. Its slot is freed at once and
 * every count stays right. Code: `ERR_CORO_OBJECT_IN_USE`.
 */
export class ObjectInUseError extends CoroError {
  constructor(message = 'the object is already in use', options?: { cause?: unknown }) {
    super(message, { code: 'ERR_CORO_OBJECT_IN_USE', cause: options?.cause });
  }
}
