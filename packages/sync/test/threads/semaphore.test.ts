import { StopSource } from '@coro/task';
import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  Semaphore,
  SemaphoreOverflowError,
} from '../../src/threads/index.ts';
import { runWorker, until } from './helpers.ts';

describe('threads Semaphore', () => {
  it('validates its construction', () => {
    expect(() => new Semaphore(0)).toThrow(InvalidArgumentError);
    expect(() => new Semaphore(2, 3)).toThrow(InvalidArgumentError);
    expect(() => new Semaphore(1.5)).toThrow(InvalidArgumentError);
    expect(() => new Semaphore(2, -1)).toThrow(InvalidArgumentError);
    expect(new Semaphore(3, 1).value).toBe(1);
  });

  it('acquires, waits FIFO, and throws on release beyond max without changing the count', async () => {
    const semaphore = new Semaphore(2);
    expect(await semaphore.acquire()).toBe('acquired');
    expect(semaphore.tryAcquire()).toBe(true);
    expect(semaphore.tryAcquire()).toBe(false);
    const order: number[] = [];
    const waits = [1, 2].map(async (n) => {
      expect(await semaphore.acquire()).toBe('acquired');
      order.push(n);
    });
    await until(() => semaphore.waiterCount === 2, 'two waiters');
    semaphore.release();
    semaphore.release();
    await Promise.all(waits);
    expect(order).toEqual([1, 2]);
    semaphore.release();
    semaphore.release();
    expect(semaphore.value).toBe(2);
    expect(() => semaphore.release()).toThrow(SemaphoreOverflowError);
    expect(semaphore.value).toBe(2);
  });

  it('returns timeout / cancelled with nothing left behind, and keeps a permit granted in the same turn', async () => {
    const semaphore = new Semaphore(1, 0);
    expect(await semaphore.acquire({ timeout: 5 })).toBe('timeout');
    expect(await semaphore.acquire({ signal: AbortSignal.abort() })).toBe('cancelled');
    const source = new StopSource();
    const kept = semaphore.acquire({ signal: source.token });
    await until(() => semaphore.waiterCount === 1, 'a waiter');
    semaphore.release();
    source.requestStop();
    expect(await kept).toBe('acquired');
    expect(semaphore.value).toBe(0);
    // Stop first, then release: the permit goes to the count, not to the leaver.
    const stop = new StopSource();
    const leaving = semaphore.acquire({ signal: stop.token });
    await until(() => semaphore.waiterCount === 1, 'a waiter');
    stop.requestStop();
    semaphore.release();
    expect(await leaving).toBe('cancelled');
    expect(semaphore.value).toBe(1);
    expect(semaphore.waiterCount).toBe(0);
    expect(semaphore._freeSlots).toBe(1024);
  });

  it('shutdown wakes waiters on other threads with shutdown, and later acquires return it at once', async () => {
    const semaphore = new Semaphore(1, 0);
    const remote = [
      runWorker('semaphoreShutdown', { semaphore }),
      runWorker('semaphoreShutdown', { semaphore }),
    ];
    await until(() => semaphore.waiterCount === 2, 'two cross-thread waiters');
    semaphore.shutdown();
    expect(await Promise.all(remote)).toEqual(['shutdown', 'shutdown']);
    expect(await semaphore.acquire()).toBe('shutdown');
    expect(semaphore.tryAcquire()).toBe(false);
    expect(semaphore.isShutdown).toBe(true);
    expect(semaphore._freeSlots).toBe(1024);
  });

  it('never lets more than max holders in across 3 workers', async () => {
    const max = 3;
    const semaphore = new Semaphore(max);
    const inside = new Int32Array(new SharedArrayBuffer(8)); // [holders, peak]
    await Promise.all(
      [1, 2, 3].map(() =>
        runWorker('semaphoreBound', { semaphore, inside, loops: 3, iterations: 80 }),
      ),
    );
    expect(inside[1]).toBeGreaterThanOrEqual(1);
    expect(inside[1]).toBeLessThanOrEqual(max);
    expect(inside[0]).toBe(0);
    expect(semaphore.value).toBe(max);
    expect(semaphore.waiterCount).toBe(0);
    expect(semaphore._freeSlots).toBe(1024);
  });
});
