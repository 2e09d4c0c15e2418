import { type Err, err } from '@coro/task';

// Settled promises and results shared by every primitive: the fast paths return these instead
// of allocating (a resolved promise can be awaited any number of times).
export const resolvedTrue: Promise<true> = Promise.resolve(true);
export const resolvedFalse: Promise<false> = Promise.resolve(false);
export const resolvedTimeout: Promise<'timeout'> = Promise.resolve('timeout');
export const resolvedCancelled: Promise<'cancelled'> = Promise.resolve('cancelled');
export const resolvedVoid: Promise<void> = Promise.resolve();

export const errStopped: Err<'stopped'> = Object.freeze(err('stopped' as const));
export const errTimeout: Err<'timeout'> = Object.freeze(err('timeout' as const));
export const errCancelled: Err<'cancelled'> = Object.freeze(err('cancelled' as const));
export const errEmpty: Err<'empty'> = Object.freeze(err('empty' as const));

export const resolvedErrStopped: Promise<Err<'stopped'>> = Promise.resolve(errStopped);
export const resolvedErrTimeout: Promise<Err<'timeout'>> = Promise.resolve(errTimeout);
export const resolvedErrCancelled: Promise<Err<'cancelled'>> = Promise.resolve(errCancelled);

/** The iterator result that ends a `for await` over a stopped channel. */
export const iterDone: IteratorReturnResult<undefined> = Object.freeze({
  done: true as const,
  value: undefined,
});
export const resolvedIterDone: Promise<IteratorReturnResult<undefined>> = Promise.resolve(iterDone);

/** Marks a consumer waiter that wants an iterator result rather than an `Expected`. */
export const ITERATE = 1;
