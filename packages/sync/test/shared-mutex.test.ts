import { afterEach, describe, expect, it, vi } from 'vitest';
import { LockNotHeldError, type ScopedLock, SharedMutex } from '../src/index.ts';
import { flush } from './utils/flush.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('SharedMutex', () => {
  it('admits many shared holders at once', async () => {
    const rw = new SharedMutex();
    const locks = await Promise.all([rw.lockShared(), rw.lockShared(), rw.lockShared()]);
    expect(rw.sharedCount).toBe(3);
    expect(locks.every((l) => l.shared && l.isHeld)).toBe(true);
    expect(rw.tryLock()).toBeUndefined();
    for (const l of locks) l.unlock();
    expect(rw.sharedCount).toBe(0);
    expect(rw.tryLock()).toBeDefined();
  });

  it('makes later shared lockers wait behind a waiting exclusive locker (no writer starvation)', async () => {
    const rw = new SharedMutex();
    const log: string[] = [];
    const reader1 = await rw.lockShared();
    const writer = rw.lock().then((l) => {
      log.push('writer');
      return l;
    });
    const reader2 = rw.lockShared().then((l) => {
      log.push('reader2');
      return l;
    });
    await flush();
    expect(rw.tryLockShared()).toBeUndefined();
    expect(log).toEqual([]);
    reader1.unlock();
    const w = await writer;
    await flush();
    expect(log).toEqual(['writer']);
    w.unlock();
    (await reader2).unlock();
    expect(log).toEqual(['writer', 'reader2']);
  });

  it('an exclusive release admits every shared waiter up to the next exclusive one', async () => {
    const rw = new SharedMutex();
    const first = (await rw.lock()) as ScopedLock;
    const granted: string[] = [];
    const s1 = rw.lockShared().then((l) => {
      granted.push('s1');
      return l;
    });
    const s2 = rw.lockShared().then((l) => {
      granted.push('s2');
      return l;
    });
    const x = rw.lock().then((l) => {
      granted.push('x');
      return l;
    });
    const s3 = rw.lockShared().then((l) => {
      granted.push('s3');
      return l;
    });
    await flush();
    first.unlock();
    expect(rw.sharedCount).toBe(2);
    await flush();
    expect(granted).toEqual(['s1', 's2']);
    (await s1).unlock();
    (await s2).unlock();
    await flush();
    expect(granted).toEqual(['s1', 's2', 'x']);
    (await x).unlock();
    (await s3).unlock();
    expect(granted).toEqual(['s1', 's2', 'x', 's3']);
    expect(rw.waiterCount).toBe(0);
  });

  it('admits the shared waiters behind an exclusive waiter that times out', async () => {
    vi.useFakeTimers();
    const rw = new SharedMutex();
    const reader = (await rw.lockShared()) as ScopedLock;
    const writer = rw.lock({ timeout: 10 });
    const reader2 = rw.lockShared();
    expect(rw.waiterCount).toBe(2);
    vi.advanceTimersByTime(10);
    expect(await writer).toBe('timeout');
    const second = await reader2;
    expect(second.isHeld).toBe(true);
    expect(rw.sharedCount).toBe(2);
    reader.unlock();
    second.unlock();
    expect(rw.waiterCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('throws LockNotHeldError for unlocks of what is not held, and stays consistent', async () => {
    const rw = new SharedMutex();
    expect(() => rw.unlock()).toThrow(LockNotHeldError);
    expect(() => rw.unlockShared()).toThrow(LockNotHeldError);
    const a = await rw.lockShared();
    const b = await rw.lockShared();
    rw.unlockShared();
    a[Symbol.dispose]();
    b[Symbol.dispose]();
    expect(rw.sharedCount).toBe(0);
    expect(() => rw.unlockShared()).toThrow(LockNotHeldError);
    const x = await rw.lock();
    x.unlock();
    expect(() => x.unlock()).toThrow(LockNotHeldError);
    expect(rw.isLocked).toBe(false);
  });

  it("lockShared and lock give up with 'cancelled' / 'timeout'", async () => {
    const rw = new SharedMutex();
    const x = rw.tryLock();
    expect(await rw.lockShared({ timeout: 0 })).toBe('timeout');
    expect(await rw.lock({ signal: AbortSignal.abort() })).toBe('cancelled');
    const controller = new AbortController();
    const waiting = rw.lockShared({ signal: controller.signal });
    controller.abort();
    expect(await waiting).toBe('cancelled');
    x?.unlock();
    expect(rw.waiterCount).toBe(0);
    expect(rw.isLocked).toBe(false);
  });
});
