// A thread terminated inside a primitive's internal guard leaves the guard taken for good. A
// call that has to wait for the guard must not block its event loop while it finds that out,
// and once one call has found it out, every later call fails at once.
import { afterEach, describe, expect, it } from 'vitest';
import {
  Mutex,
  RingBuffer,
  Semaphore,
  SharedStateAbandonedError,
} from '../../src/threads/index.ts';
import { _setGuardAbandonedMs } from '../../src/threads/guard.ts';

/** Simulates a thread terminated mid-operation: the guard word (index 1) stays taken. */
function abandon(primitive: { readonly buffer: SharedArrayBuffer }): void {
  Atomics.store(new Int32Array(primitive.buffer), 1, 1);
}

/** Counts event-loop turns until stopped. */
function turnCounter(): { readonly turns: () => number; stop(): void } {
  let turns = 0;
  let running = true;
  const tick = (): void => {
    if (!running) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  return {
    turns: () => turns,
    stop: () => {
      running = false;
    },
  };
}

let restore: number | undefined;
afterEach(() => {
  if (restore !== undefined) _setGuardAbandonedMs(restore);
  restore = undefined;
});

describe('threads primitives whose guard was abandoned', () => {
  it.each([
    [
      'Mutex.lock',
      () => {
        const mutex = new Mutex();
        return { primitive: mutex, call: () => mutex.lock() };
      },
    ],
    [
      'Semaphore.acquire',
      () => {
        const semaphore = new Semaphore(1, 0);
        return { primitive: semaphore, call: () => semaphore.acquire() };
      },
    ],
    [
      'RingBuffer.consume',
      () => {
        const ring = new RingBuffer(1);
        return { primitive: ring, call: () => ring.consume() };
      },
    ],
    [
      'RingBuffer.produce',
      () => {
        const ring = new RingBuffer(1);
        return { primitive: ring, call: () => ring.produce(1) };
      },
    ],
  ] as const)('%s waits for the guard without blocking the event loop', async (_name, make) => {
    const { primitive, call } = make();
    abandon(primitive);
    restore = _setGuardAbandonedMs(300);
    const counter = turnCounter();
    let result: Promise<unknown>;
    try {
      result = call();
    } finally {
      // Taken right after the call returned: a call that spun until the limit saw no turn.
      const turnsDuringCall = counter.turns();
      expect(turnsDuringCall, 'the call blocked its thread').toBe(0);
    }
    await expect(result).rejects.toThrow(SharedStateAbandonedError);
    const turns = counter.turns();
    counter.stop();
    expect(turns, 'the event loop did not run while the call waited for the guard').toBeGreaterThan(
      2,
    );
  });

  it('once found abandoned, every later call fails at once', async () => {
    const mutex = new Mutex();
    abandon(mutex);
    restore = _setGuardAbandonedMs(200);
    await expect(mutex.lock()).rejects.toThrow(SharedStateAbandonedError);
    // With a limit of minutes, a call that spun again would hang the test: it must not.
    _setGuardAbandonedMs(600_000);
    expect(() => mutex.tryLock()).toThrow(SharedStateAbandonedError);
    expect(() => mutex.unlock()).toThrow(
      expect.objectContaining({ code: 'ERR_CORO_SHARED_STATE_ABANDONED' }),
    );
    await expect(mutex.lock({ timeout: 10 })).rejects.toThrow(SharedStateAbandonedError);
  });

  it('a synchronous call fails with SharedStateAbandonedError instead of spinning forever', () => {
    const mutex = new Mutex();
    abandon(mutex);
    restore = _setGuardAbandonedMs(200);
    expect(() => mutex.tryLock()).toThrow(SharedStateAbandonedError);
    expect(() => mutex.unlock()).toThrow(SharedStateAbandonedError);
  });

  it('a guard released after a long hold is usable again', async () => {
    const mutex = new Mutex();
    abandon(mutex);
    restore = _setGuardAbandonedMs(100);
    await expect(mutex.lock()).rejects.toThrow(SharedStateAbandonedError);
    // The holder was only slow after all: it releases the guard.
    Atomics.store(new Int32Array(mutex.buffer), 1, 0);
    const lock = await mutex.lock();
    expect(lock.isHeld).toBe(true);
    lock.unlock();
  });
});
