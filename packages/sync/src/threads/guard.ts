/**
 * The guard word of a primitive's shared memory (see `core.ts`): a tiny lock held for a few
 * dozen instructions, never across an `await`. Values: 0 free, 1 taken, 2 taken and someone
 * waits for it asynchronously (then `unlockGuard` notifies, futex-style).
 *
 * - Synchronous calls spin for it (a worker naps with a microsecond `Atomics.wait`).
 * - Asynchronous calls spin a few microseconds, then wait with `Atomics.waitAsync`, so their
 *   event loop keeps running, and run the rest of the call the moment they take it.
 * - A guard that stays taken for `guardAbandonedMs` (5 s) was left by a thread terminated in
 *   the middle of an operation: the call that finds out throws `SharedStateAbandonedError` and
 *   sets `ABANDONED`, so every later call that finds the guard taken fails at once. A holder
 *   that was only slow clears the mark when it releases.
 *
 * @internal
 */
import { isMainThread } from 'node:worker_threads';
import { SharedStateAbandonedError } from './errors.ts';
import { holdAlive, releaseAlive } from './keep-alive.ts';

/** Word index of the guard. */
export const GUARD = 1;
/** Word index of the abandoned mark. */
export const ABANDONED = 4;

/** Spins of a call that finds the guard taken before it waits otherwise (a few µs). */
const BRIEF_SPINS = 256;

/** How often a call waiting asynchronously for the guard re-checks it without being woken. */
const GUARD_NAP_MS = 20;

/** How long the guard may stay taken before the primitive is deemed abandoned. */
let guardAbandonedMs = 5_000;

/** @internal For tests: shortens the abandoned-guard limit. Returns the previous one. */
export function _setGuardAbandonedMs(ms: number): number {
  const previous = guardAbandonedMs;
  guardAbandonedMs = ms;
  return previous;
}

type AtomicsWithPause = typeof Atomics & { pause?: (n?: number) => void };
const pause = (Atomics as AtomicsWithPause).pause?.bind(Atomics) ?? (() => {});

function abandoned(i32: Int32Array): never {
  Atomics.store(i32, ABANDONED, 1);
  throw new SharedStateAbandonedError();
}

/** Takes the guard, spinning (a worker naps) until it is free or found abandoned. */
export function spinLock(i32: Int32Array): void {
  if (Atomics.compareExchange(i32, GUARD, 0, 1) === 0) return;
  if (Atomics.load(i32, ABANDONED) !== 0) throw new SharedStateAbandonedError();
  let spins = 0;
  let since = 0;
  // After a nap among asynchronous waiters, take it as "someone may wait": a notify meant for
  // one of them may have woken this thread instead, so its release must notify in turn.
  let taken = 1;
  for (;;) {
    if (Atomics.load(i32, GUARD) === 0 && Atomics.compareExchange(i32, GUARD, 0, taken) === 0) {
      return;
    }
    spins++;
    // The holder runs a handful of instructions; only if it was preempted do we get here
    // many times. A worker may nap then; the main thread must not block, so it keeps spinning.
    if (spins > 200 && !isMainThread) {
      const held = Atomics.load(i32, GUARD);
      if (held !== 0) Atomics.wait(i32, GUARD, held, 0.02);
      if (held === 2) taken = 2;
    } else pause();
    if ((spins & 0x3ff) === 0) {
      if (Atomics.load(i32, ABANDONED) !== 0) throw new SharedStateAbandonedError();
      const now = performance.now();
      if (since === 0) since = now;
      else if (now - since > guardAbandonedMs) abandoned(i32);
    }
  }
}

/** Takes the guard if it comes free within a few microseconds; false otherwise. */
export function tryLockBriefly(i32: Int32Array): boolean {
  if (Atomics.compareExchange(i32, GUARD, 0, 1) === 0) return true;
  if (Atomics.load(i32, ABANDONED) !== 0) throw new SharedStateAbandonedError();
  for (let spins = 0; spins < BRIEF_SPINS; spins++) {
    pause();
    if (Atomics.load(i32, GUARD) === 0 && Atomics.compareExchange(i32, GUARD, 0, 1) === 0) {
      return true;
    }
  }
  return false;
}

/**
 * Waits for the guard with `Atomics.waitAsync` (woken by `unlockGuard`, re-checked every
 * `GUARD_NAP_MS` in case its holder is gone) and runs `body` synchronously once it has it.
 * With `wanted`, gives up without touching the guard (resolving `undefined`) as soon as
 * `wanted()` is false: a wake-up of a wait that has meanwhile settled another way must not take
 * the guard after the call has returned. Rejects with `SharedStateAbandonedError` when the guard
 * is abandoned.
 */
export async function lockAsync<T>(
  i32: Int32Array,
  body: () => T,
  wanted?: () => boolean,
): Promise<Awaited<T> | undefined> {
  const since = performance.now();
  holdAlive();
  try {
    for (;;) {
      if (wanted !== undefined && !wanted()) return undefined;
      const seen = Atomics.compareExchange(i32, GUARD, 0, 2);
      if (seen === 0) return await body();
      if (seen === 2 || Atomics.compareExchange(i32, GUARD, 1, 2) !== 0) {
        const nap = Atomics.waitAsync(i32, GUARD, 2, GUARD_NAP_MS);
        if (nap.async) await nap.value;
      }
      if (Atomics.load(i32, ABANDONED) !== 0 && Atomics.load(i32, GUARD) !== 0) {
        throw new SharedStateAbandonedError();
      }
      if (performance.now() - since > guardAbandonedMs) abandoned(i32);
    }
  } finally {
    releaseAlive();
  }
}

/** Releases the guard, waking one asynchronous waiter if there is one. */
export function unlockGuard(i32: Int32Array): void {
  if (i32[ABANDONED] !== 0) Atomics.store(i32, ABANDONED, 0);
  if (Atomics.exchange(i32, GUARD, 0) === 2) Atomics.notify(i32, GUARD, 1);
}
