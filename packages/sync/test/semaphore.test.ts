import { StopSource } from '@coro/task';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError, Semaphore, SemaphoreOverflowError } from '../src/index.ts';
import { flush } from './utils/flush.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('Semaphore', () => {
  it('hands out up to max permits, then makes acquirers wait in line', async () => {
    const sem = new Semaphore(2);
    expect(sem.value).toBe(2);
    expect(await sem.acquire()).toBe('acquired');
    expect(await sem.acquire()).toBe('acquired');
    expect(sem.value).toBe(0);
    const order: number[] = [];
    const waits = [1, 2].map((i) =>
      sem.acquire().then((r) => {
        order.push(i);
        return r;
      }),
    );
    await flush();
    expect(sem.waiterCount).toBe(2);
    sem.release();
    sem.release();
    expect(await Promise.all(waits)).toEqual(['acquired', 'acquired']);
    expect(order).toEqual([1, 2]);
    expect(sem.value).toBe(0);
  });

  it('starts with initial permits', async () => {
    const sem = new Semaphore(3, 1);
    expect(sem.value).toBe(1);
    expect(sem.max).toBe(3);
    expect(sem.tryAcquire()).toBe(true);
    expect(sem.tryAcquire()).toBe(false);
    sem.release();
    sem.release();
    sem.release();
    expect(sem.value).toBe(3);
  });

  it('throws SemaphoreOverflowError on release beyond max and keeps the count', () => {
    const sem = new Semaphore(1);
    expect(() => sem.release()).toThrow(SemaphoreOverflowError);
    try {
      sem.release();
    } catch (error) {
      expect((error as SemaphoreOverflowError).code).toBe('ERR_CORO_SEMAPHORE_OVERFLOW');
      expect((error as SemaphoreOverflowError).max).toBe(1);
    }
    expect(sem.value).toBe(1);
  });

  it('rejects invalid construction at once', () => {
    expect(() => new Semaphore(0)).toThrow(InvalidArgumentError);
    expect(() => new Semaphore(-1)).toThrow(InvalidArgumentError);
    expect(() => new Semaphore(2.5)).toThrow(InvalidArgumentError);
    expect(() => new Semaphore(2, 3)).toThrow(/exceeds max/);
    expect(() => new Semaphore(2, -1)).toThrow(InvalidArgumentError);
    expect(() => new Semaphore(2, 0.5)).toThrow(InvalidArgumentError);
  });

  it("shutdown() wakes every waiter with 'shutdown'; later acquires return it at once", async () => {
    const sem = new Semaphore(1, 0);
    const a = sem.acquire();
    const b = sem.acquire({ timeout: 10_000 });
    sem.shutdown();
    expect(await a).toBe('shutdown');
    expect(await b).toBe('shutdown');
    expect(await sem.acquire()).toBe('shutdown');
    expect(await sem.acquire({ timeout: 0 })).toBe('shutdown');
    expect(sem.tryAcquire()).toBe(false);
    expect(sem.isShutdown).toBe(true);
    expect(sem.waiterCount).toBe(0);
  });

  it("gives up with 'timeout' and 'cancelled', without taking a permit", async () => {
    vi.useFakeTimers();
    const sem = new Semaphore(1, 0);
    const source = new StopSource();
    const timed = sem.acquire({ timeout: 5 });
    const stopped = sem.acquire({ signal: source.token });
    source.requestStop();
    vi.advanceTimersByTime(5);
    expect(await timed).toBe('timeout');
    expect(await stopped).toBe('cancelled');
    expect(sem.waiterCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    sem.release();
    expect(sem.value).toBe(1);
    expect(await sem.acquire({ timeout: 0 })).toBe('acquired');
    expect(await sem.acquire({ timeout: 0 })).toBe('timeout');
  });
});
