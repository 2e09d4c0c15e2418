import { type Expected, ok } from '@coro/task';
import { ITERATE, iterDone, errStopped } from './resolved.ts';
import type { WaitList } from './waiter.ts';

/**
 * What a consumer waiter of a `Queue` or `RingBuffer` is resolved with: an `Expected` for
 * `pop` / `consume`, or an iterator result for `for await` (waiter data `ITERATE`).
 */
export type Consumed<T> =
  | Expected<T, 'stopped' | 'timeout' | 'cancelled'>
  | IteratorResult<T, undefined>;

/** Hands `value` to the oldest waiting consumer, in the shape it asked for; false if none waits. */
export function deliverToConsumer<T>(consumers: WaitList<Consumed<T>>, value: T): boolean {
  const waiter = consumers.head;
  if (waiter === undefined) return false;
  consumers.grant(waiter, waiter.data === ITERATE ? { done: false, value } : ok(value));
  return true;
}

/** Wakes every waiting consumer with "stopped" (`{ ok: false }` or the end of iteration). */
export function wakeConsumersStopped<T>(consumers: WaitList<Consumed<T>>): void {
  for (let waiter = consumers.head; waiter !== undefined; waiter = consumers.head) {
    consumers.grant(waiter, waiter.data === ITERATE ? iterDone : errStopped);
  }
}
