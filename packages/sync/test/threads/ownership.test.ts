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
});
