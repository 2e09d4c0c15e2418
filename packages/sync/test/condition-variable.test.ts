import { StopSource } from '@coro/task';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ConditionVariable,
  InvalidArgumentError,
  LockNotHeldError,
  Mutex,
  type ScopedLock,
  SharedMutex,
} from '../src/index.ts';
import { flush } from './utils/flush.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('ConditionVariable', () => {
  it('releases the lock while waiting and holds it again when notified', async () => {
    const mutex = new Mutex();
    const cv = new ConditionVariable();
    const waiter = (async () => {
      const lock = await mutex.lock();
      const notified = await cv.wait(lock);
      const held = lock.isHeld && mutex.isLocked;
      lock.unlock();
      return { notified, held };
    })();
    await flush();
    expect(cv.waiterCount).toBe(1);
    expect(mutex.isLocked).toBe(false);
    cv.notifyOne();
    expect(await waiter).toEqual({ notified: true, held: true });
    expect(mutex.isLocked).toBe(false);
  });

  it('notifying while holding the lock does not deadlock: the waiter queues behind', async () => {
    const mutex = new Mutex();
    const cv = new ConditionVariable();
    const items: number[] = [];
    const consumer = (async () => {
      using lock = await mutex.lock();
      await cv.wait(lock, () => items.length > 0);
      return items.shift();
    })();
    await flush();
    {
      using _lock = await mutex.lock();
      items.push(42);
      cv.notifyOne();
      await flush();
      // Still ours: the consumer waits for the lock, not the other way round.
      expect(items).toEqual([42]);
    }
    expect(await consumer).toBe(42);
    expect(mutex.isLocked).toBe(false);
  });

  it('with a predicate, ignores notifies until the predicate holds', async () => {
    const mutex = new Mutex();
    const cv = new ConditionVariable();
    let value = 0;
    const done = (async () => {
      using lock = await mutex.lock();
      expect(await cv.wait(lock, () => value >= 3)).toBe(true);
      return value;
    })();
    for (let i = 0; i < 3; i++) {
      await flush();
      using _lock = await mutex.lock();
      value++;
      cv.notifyAll();
    }
    expect(await done).toBe(3);
  });

  it('returns at once when the predicate already holds (without releasing the lock)', async () => {
    const mutex = new Mutex();
    const cv = new ConditionVariable();
    const lock = await mutex.lock();
    expect(await cv.wait(lock, () => true)).toBe(true);
    expect(lock.isHeld).toBe(true);
    expect(cv.waiterCount).toBe(0);
    lock.unlock();
  });

  it('notifyOne wakes the oldest waiter, notifyAll wakes everyone', async () => {
    const mutex = new Mutex();
    const cv = new ConditionVariable();
    const woke: number[] = [];
    const waiters = [1, 2, 3].map(async (i) => {
      using lock = await mutex.lock();
      await cv.wait(lock);
      woke.push(i);
    });
    await flush();
    expect(cv.waiterCount).toBe(3);
    cv.notifyOne();
    await flush();
    expect(woke).toEqual([1]);
    cv.notifyAll();
    await Promise.all(waiters);
    expect(woke).toEqual([1, 2, 3]);
  });

  it('times out with false and still holds the lock on return', async () => {
    vi.useFakeTimers();
    const mutex = new Mutex();
    const cv = new ConditionVariable();
    const lock = await mutex.lock();
    const waiting = cv.wait(lock, { timeout: 50 });
    await vi.advanceTimersByTimeAsync(50);
    expect(await waiting).toBe(false);
    expect(lock.isHeld).toBe(true);
    expect(cv.waiterCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    lock.unlock();
  });

  it('with a predicate and a timeout returns the predicate value at the end', async () => {
    const mutex = new Mutex();
    const cv = new ConditionVariable();
    const lock = await mutex.lock();
    expect(await cv.wait(lock, () => false, { timeout: 5 })).toBe(false);
    expect(lock.isHeld).toBe(true);
    expect(await cv.wait(lock, () => false, { timeout: 0 })).toBe(false);
    lock.unlock();
  });

  it('is cancelled by a stop token with false, holding the lock again', async () => {
    const mutex = new Mutex();
    const cv = new ConditionVariable();
    const source = new StopSource();
    const result = (async () => {
      using lock = await mutex.lock();
      const r = await cv.wait(lock, () => false, { signal: source.token });
      return [r, lock.isHeld];
    })();
    await flush();
    const other = await mutex.lock(); // the waiter released it
    source.requestStop();
    await flush();
    other.unlock();
    expect(await result).toEqual([false, true]);
    expect(cv.waiterCount).toBe(0);
    expect(mutex.isLocked).toBe(false);
  });

  it('works with a SharedMutex lock, shared or exclusive', async () => {
    const rw = new SharedMutex();
    const cv = new ConditionVariable();
    let ready = false;
    const reader = (async () => {
      using lock = await rw.lockShared();
      await cv.wait(lock, () => ready);
      return lock.isHeld && rw.sharedCount === 1;
    })();
    await flush();
    {
      using _writer = await rw.lock();
      ready = true;
      cv.notifyAll();
    }
    expect(await reader).toBe(true);
    expect(rw.sharedCount).toBe(0);
  });

  it('wait(lock, undefined, options) is wait(lock, options): the options still apply', async () => {
    vi.useFakeTimers();
    const mutex = new Mutex();
    const cv = new ConditionVariable();
    const lock = await mutex.lock();
    let result: unknown = 'still waiting';
    void cv.wait(lock, undefined as never, { timeout: 10 }).then((r) => {
      result = r;
    });
    expect(cv.waiterCount).toBe(1);
    await vi.advanceTimersByTimeAsync(10);
    await flush();
    expect(result).toBe(false);
    expect(lock.isHeld).toBe(true);
    expect(cv.waiterCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    // A signal given that way counts too, and so does a bad option.
    const source = new StopSource();
    source.requestStop();
    expect(await cv.wait(lock, undefined as never, { signal: source.token })).toBe(false);
    expect(() => cv.wait(lock, undefined as never, { timeout: -1 })).toThrow(InvalidArgumentError);
    lock.unlock();
  });

  it('refuses options given twice (options, then more options) instead of ignoring some', async () => {
    const mutex = new Mutex();
    const cv = new ConditionVariable();
    const lock = await mutex.lock();
    expect(() => cv.wait(lock, {} as never, { timeout: 10 })).toThrow(InvalidArgumentError);
    expect(cv.waiterCount).toBe(0);
    expect(lock.isHeld).toBe(true);
    lock.unlock();
  });

  it('throws at the call for a lock that is not held or not a ScopedLock', async () => {
    const mutex = new Mutex();
    const cv = new ConditionVariable();
    const lock = await mutex.lock();
    lock.unlock();
    expect(() => cv.wait(lock)).toThrow(LockNotHeldError);
    expect(() => cv.wait({} as ScopedLock)).toThrow(InvalidArgumentError);
    expect(mutex.isLocked).toBe(false);
  });
});
