import { StopSource, task } from '@coro/task';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CoroError, LockNotHeldError, Mutex, ScopedLock } from '../src/index.ts';
import { flush } from './utils/flush.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('Mutex', () => {
  it('locks at once when free and hands out a held ScopedLock', async () => {
    const mutex = new Mutex();
    const lock = await mutex.lock();
    expect(lock).toBeInstanceOf(ScopedLock);
    expect(lock.isHeld).toBe(true);
    expect(lock.mutex).toBe(mutex);
    expect(mutex.isLocked).toBe(true);
    lock.unlock();
    expect(lock.isHeld).toBe(false);
    expect(mutex.isLocked).toBe(false);
  });

  it('serves waiters first come, first served and hands the lock over directly', async () => {
    const mutex = new Mutex();
    const first = await mutex.lock();
    const order: number[] = [];
    const waits = [1, 2, 3].map(async (i) => {
      const lock = await mutex.lock();
      order.push(i);
      lock.unlock();
    });
    await flush();
    expect(mutex.waiterCount).toBe(3);
    first.unlock();
    // Handed over: a newcomer cannot barge in between release and the waiter's resumption.
    expect(mutex.isLocked).toBe(true);
    expect(mutex.tryLock()).toBeUndefined();
    await Promise.all(waits);
    expect(order).toEqual([1, 2, 3]);
    expect(mutex.isLocked).toBe(false);
  });

  it('releases on scope exit with using, also when the scope throws', async () => {
    const mutex = new Mutex();
    {
      using lock = await mutex.lock();
      expect(lock.isHeld).toBe(true);
    }
    expect(mutex.isLocked).toBe(false);
    const fails = async () => {
      using _lock = await mutex.lock();
      throw new Error('boom');
    };
    await expect(fails()).rejects.toThrow('boom');
    expect(mutex.isLocked).toBe(false);
  });

  it('keeps mutual exclusion across awaits in the critical section', async () => {
    const mutex = new Mutex();
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        using _lock = await mutex.lock();
        inside++;
        maxInside = Math.max(maxInside, inside);
        await flush(1);
        inside--;
      }),
    );
    expect(maxInside).toBe(1);
  });

  it('throws LockNotHeldError on a second unlock of the same ScopedLock and stays consistent', async () => {
    const mutex = new Mutex();
    const a = await mutex.lock();
    const bWaiting = mutex.lock();
    a.unlock();
    const b = await bWaiting;
    expect(() => a.unlock()).toThrow(LockNotHeldError);
    // b still holds the mutex: the stale lock released nothing.
    expect(mutex.isLocked).toBe(true);
    expect(b.isHeld).toBe(true);
    // Disposing a released lock does nothing either.
    a[Symbol.dispose]();
    expect(b.isHeld).toBe(true);
    b.unlock();
    expect(mutex.isLocked).toBe(false);
  });

  it('throws LockNotHeldError (a CoroError with a code) on unlock of a free mutex', () => {
    const mutex = new Mutex();
    expect(() => mutex.unlock()).toThrow(LockNotHeldError);
    try {
      mutex.unlock();
    } catch (error) {
      expect(error).toBeInstanceOf(CoroError);
      expect((error as CoroError).code).toBe('ERR_CORO_LOCK_NOT_HELD');
      expect((error as CoroError).name).toBe('LockNotHeldError');
    }
    expect(mutex.isLocked).toBe(false);
  });

  it('mutex.unlock() releases whoever holds it; that ScopedLock is then released', async () => {
    const mutex = new Mutex();
    const lock = await mutex.lock();
    mutex.unlock();
    expect(lock.isHeld).toBe(false);
    expect(() => lock.unlock()).toThrow(LockNotHeldError);
    {
      using again = await mutex.lock();
      expect(again.isHeld).toBe(true);
      mutex.unlock(); // early release inside a using scope: dispose then does nothing
    }
    expect(mutex.isLocked).toBe(false);
  });

  it('tryLock takes a free lock or returns undefined', () => {
    const mutex = new Mutex();
    const lock = mutex.tryLock();
    expect(lock?.isHeld).toBe(true);
    expect(mutex.tryLock()).toBeUndefined();
    lock?.unlock();
    expect(mutex.tryLock()).toBeDefined();
  });

  it("times out with 'timeout' and leaves no waiter or timer", async () => {
    vi.useFakeTimers();
    const mutex = new Mutex();
    const held = mutex.tryLock();
    const waiting = mutex.lock({ timeout: 20 });
    expect(mutex.waiterCount).toBe(1);
    vi.advanceTimersByTime(20);
    expect(await waiting).toBe('timeout');
    expect(mutex.waiterCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    held?.unlock();
    expect(mutex.isLocked).toBe(false);
  });

  it("is cancelled with 'cancelled', and a timeout of 0 does not wait", async () => {
    const mutex = new Mutex();
    const held = mutex.tryLock();
    const source = new StopSource();
    const waiting = mutex.lock({ signal: source.token });
    source.requestStop('enough');
    expect(await waiting).toBe('cancelled');
    expect(await mutex.lock({ signal: source.token })).toBe('cancelled');
    expect(await mutex.lock({ timeout: 0 })).toBe('timeout');
    held?.unlock();
    const free = await mutex.lock({ timeout: 0 });
    expect(free).toBeInstanceOf(ScopedLock);
  });

  it('skips a waiter that gave up when handing over', async () => {
    const mutex = new Mutex();
    const held = mutex.tryLock();
    const controller = new AbortController();
    const quitter = mutex.lock({ signal: controller.signal });
    const stayer = mutex.lock();
    controller.abort();
    held?.unlock();
    expect(await quitter).toBe('cancelled');
    const lock = await stayer;
    expect(lock.isHeld).toBe(true);
    expect(mutex.waiterCount).toBe(0);
  });

  it('keeps first come, first served when many waiters in between give up (compaction)', async () => {
    const mutex = new Mutex();
    const held = mutex.tryLock() as ScopedLock;
    const controllers: AbortController[] = [];
    const waits: Promise<ScopedLock | 'timeout' | 'cancelled'>[] = [];
    for (let i = 0; i < 300; i++) {
      const controller = new AbortController();
      controllers.push(controller);
      waits.push(mutex.lock({ signal: controller.signal }));
    }
    // Give up two out of three, in an order that leaves gaps everywhere.
    for (let i = 299; i >= 0; i--) if (i % 3 !== 0) controllers[i]?.abort();
    expect(mutex.waiterCount).toBe(100);
    const order: number[] = [];
    held.unlock();
    for (let i = 0; i < 300; i++) {
      const result = await waits[i];
      if (i % 3 !== 0) {
        expect(result).toBe('cancelled');
        continue;
      }
      order.push(i);
      (result as ScopedLock).unlock();
    }
    expect(order).toEqual(Array.from({ length: 100 }, (_, k) => k * 3));
    expect(mutex.isLocked).toBe(false);
    expect(mutex.waiterCount).toBe(0);
  });

  it("accepts a task's context as its signal: a stopped task's lock wait gives up", async () => {
    const mutex = new Mutex();
    const held = mutex.tryLock() as ScopedLock;
    const waiting = task.withContext(async (ctx) => mutex.lock({ signal: ctx }))();
    const result = waiting.start();
    await flush();
    expect(mutex.waiterCount).toBe(1);
    waiting.requestStop();
    expect(await result).toBe('cancelled');
    expect(mutex.waiterCount).toBe(0);
    held.unlock();
  });
});
