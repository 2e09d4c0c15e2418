// Who may release a thread lock. The lock belongs to the thread that took it (its id is kept in
// the shared memory), and to the `ScopedLock` that took it on that thread: a bare `unlock()`
// from another thread, or a stale `ScopedLock`, throws LockNotHeldError and releases nothing.
import { describe, expect, it } from 'vitest';
import { LockNotHeldError, Mutex, SharedMutex } from '../../src/threads/index.ts';
import { runWorker, turn } from './helpers.ts';

describe('threads lock ownership', () => {
  it('Mutex.unlock() from a thread that does not hold the lock throws there', async () => {
    const mutex = new Mutex();
    const lock = await mutex.lock();
    const outcomes = await runWorker<string[]>('bareUnlock', { mutex, calls: ['mutex'] });
    expect(outcomes).toEqual(['ERR_CORO_LOCK_NOT_HELD']);
    expect(mutex.isLocked).toBe(true);
    expect(lock.isHeld).toBe(true);
    lock.unlock(); // the real holder is not blamed
    expect(mutex.isLocked).toBe(false);
  });

  it('Mutex.unlock() on the holding thread releases its hold; the old ScopedLock is stale', async () => {
    const mutex = new Mutex();
    const first = await mutex.lock();
    mutex.unlock();
    expect(first.isHeld).toBe(false);
    const second = await mutex.lock();
    // The first hold was released by the bare unlock(): its guard cannot release the second.
    expect(() => first.unlock()).toThrow(LockNotHeldError);
    first[Symbol.dispose](); // a no-op, as for any lock no longer held
    expect(mutex.isLocked).toBe(true);
    expect(second.isHeld).toBe(true);
    second.unlock();
    expect(mutex.isLocked).toBe(false);
  });

  it('a ScopedLock handed over from another waiter keeps working after a contended hand-off', async () => {
    const mutex = new Mutex();
    const first = await mutex.lock();
    const next = mutex.lock();
    await turn();
    first.unlock();
    const second = await next;
    expect(second.isHeld).toBe(true);
    expect(() => first.unlock()).toThrow(LockNotHeldError);
    second.unlock();
    expect(mutex.isLocked).toBe(false);
  });

  it('SharedMutex: bare unlock()/unlockShared() from a thread without a hold throw there', async () => {
    const rw = new SharedMutex();
    const write = await rw.lock();
    const [exclusive] = await runWorker<string[]>('bareUnlock', { rw, calls: ['rw'] });
    expect(exclusive).toBe('ERR_CORO_LOCK_NOT_HELD');
    expect(rw.isLocked).toBe(true);
    write.unlock();
    const read = await rw.lockShared();
    const [shared] = await runWorker<string[]>('bareUnlock', { rw, calls: ['rwShared'] });
    expect(shared).toBe('ERR_CORO_LOCK_NOT_HELD');
    expect(rw.sharedCount).toBe(1);
    read.unlock();
    expect(rw.sharedCount).toBe(0);
  });

  it('SharedMutex: a bare unlockShared() ends the oldest shared hold; its ScopedLock is stale, as on one loop', async () => {
    const rw = new SharedMutex();
    const a = await rw.lockShared(); // the oldest hold
    const b = await rw.lockShared();
    rw.unlockShared();
    expect(a.isHeld).toBe(false);
    expect(b.isHeld).toBe(true);
    expect(rw.sharedCount).toBe(1);
    // The stale guard releases nothing, neither b's hold nor a later one.
    expect(() => a.unlock()).toThrow(LockNotHeldError);
    const c = rw.tryLockShared()!;
    a[Symbol.dispose]();
    expect(b.isHeld).toBe(true);
    expect(c.isHeld).toBe(true);
    expect(rw.sharedCount).toBe(2);
    b.unlock();
    expect(() => b.unlock()).toThrow(LockNotHeldError);
    expect(c.isHeld).toBe(true);
    expect(rw.sharedCount).toBe(1);
    // Now c is the oldest (the only) hold.
    rw.unlockShared();
    expect(c.isHeld).toBe(false);
    expect(() => c.unlock()).toThrow(LockNotHeldError);
    expect(rw.sharedCount).toBe(0);
    expect(() => rw.unlockShared()).toThrow(LockNotHeldError);
    expect(rw.tryLock()).toMatchObject({ shared: false });
  });

  it("SharedMutex: holds are told apart across this thread's copies of one mutex, never another thread's", async () => {
    const rw = new SharedMutex();
    const copy = SharedMutex.from(rw.buffer);
    const a = await rw.lockShared();
    const b = await copy.lockShared();
    const waited = rw.lock(); // a writer behind them
    copy.unlockShared(); // the oldest hold of this thread: a's
    expect(a.isHeld).toBe(false);
    expect(b.isHeld).toBe(true);
    expect(() => a.unlock()).toThrow(LockNotHeldError);
    // Another thread has no shared hold of its own to end.
    const [shared] = await runWorker<string[]>('bareUnlock', { rw, calls: ['rwShared'] });
    expect(shared).toBe('ERR_CORO_LOCK_NOT_HELD');
    expect(b.isHeld).toBe(true);
    expect(rw.sharedCount).toBe(1);
    b.unlock();
    const write = await waited;
    expect(write.isHeld).toBe(true);
    write.unlock();
    expect(rw.isLocked).toBe(false);
  });
});
