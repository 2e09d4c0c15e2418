import { CoroError } from '@coro/task';

/**
 * Thrown by a wait on a `@coro/sync/threads` primitive when every waiter slot of its shared
 * memory is taken (more simultaneous waiters, across all threads, than its `maxWaiters` option,
 * default 1024). Nothing was queued. Raise `maxWaiters` when creating the primitive.
 * Code: `ERR_CORO_TOO_MANY_WAITERS`.
 *
 * @example
 * const mutex = new Mutex({ maxWaiters: 10_000 });
 */
export class WaiterCapacityError extends CoroError {
  /** The primitive's `maxWaiters`. */
  readonly maxWaiters: number;

  constructor(maxWaiters: number) {
    super(
      `all ${maxWaiters} waiter slots of this shared primitive are in use; create it with a larger maxWaiters`,
      { code: 'ERR_CORO_TOO_MANY_WAITERS' },
    );
    this.maxWaiters = maxWaiters;
  }
}

/**
 * Thrown when a shared primitive's internal guard stayed taken for seconds: a thread was
 * terminated (`worker.terminate()`) in the middle of an operation on it, so its shared state
 * can no longer be trusted. Rather than spin forever, the call fails. End workers cooperatively
 * (let them return) when they use shared primitives. Code: `ERR_CORO_SHARED_STATE_ABANDONED`.
 */
export class SharedStateAbandonedError extends CoroError {
  constructor() {
    super(
      'the shared primitive was abandoned in the middle of an operation (a thread was terminated while using it)',
      { code: 'ERR_CORO_SHARED_STATE_ABANDONED' },
    );
  }
}
