import { describe, expect, it } from 'vitest';
import {
  ConditionVariable,
  InvalidArgumentError,
  LockNotHeldError,
  Mutex,
  SharedMutex,
} from '../../src/threads/index.ts';
import { runWorker, until } from './helpers.ts';

describe('threads ConditionVariable', () => {
  it('hands items to consumers on 2 workers, notifying while holding the lock', async () => {
    const mutex = new Mutex();
    const ready = new ConditionVariable();
    const box = new Int32Array(new SharedArrayBuffer(8)); // [available, taken]
    const consumers = [1, 2].map(() =>
      runWorker<number>('conditionConsumer', { mutex, ready, box, take: 20 }),
    );
    for (let i = 0; i < 40; i++) {
      using _lock = await mutex.lock();
      box[0] = (box[0] as number) + 1;
      if (i % 2 === 0) ready.notifyOne();
      else ready.notifyAll();
      await new Promise((resolve) => setImmediate(resolve));
    }
    {
      using _lock = await mutex.lock();
      ready.notifyAll();
    }
    expect(await Promise.all(consumers)).toEqual([20, 20]);
    expect(box[0]).toBe(0);
    expect(box[1]).toBe(40);
    await until(() => ready.waiterCount === 0, 'no waiter');
    expect(mutex.isLocked).toBe(false);
    expect(ready._freeSlots).toBe(1024);
  });

  it('wait(lock, undefined, options) is wait(lock, options); options given twice are refused', async () => {
    const mutex = new Mutex();
    const cv = new ConditionVariable();
    const lock = await mutex.lock();
    const waiting = cv.wait(lock, undefined as never, { timeout: 10 });
    const outcome = await Promise.race([
      waiting,
      new Promise((resolve) => setTimeout(resolve, 2_000, 'still waiting')),
    ]);
    expect(outcome).toBe(false);
    expect(lock.isHeld).toBe(true);
    expect(await cv.wait(lock, undefined as never, { signal: AbortSignal.abort() })).toBe(false);
    expect(() => cv.wait(lock, undefined as never, { timeout: -1 })).toThrow(InvalidArgumentError);
    expect(() => cv.wait(lock, {} as never, { timeout: 10 })).toThrow(InvalidArgumentError);
    expect(cv.waiterCount).toBe(0);
    expect(lock.isHeld).toBe(true);
    cv.notifyAll(); // lets a wait that ignored its timeout end, should the fix regress
    lock.unlock();
    expect(cv._freeSlots).toBe(1024);
  });

  it('returns false on timeout or stop holding the lock again, and checks its lock', async () => {
    const mutex = new Mutex();
    const rw = new SharedMutex();
    const cv = new ConditionVariable();
    const lock = await mutex.lock();
    expect(await cv.wait(lock, { timeout: 5 })).toBe(false);
    expect(lock.isHeld).toBe(true);
    expect(mutex.isLocked).toBe(true);
    expect(await cv.wait(lock, () => false, { signal: AbortSignal.timeout(5) })).toBe(false);
    expect(lock.isHeld).toBe(true);
    expect(await cv.wait(lock, () => true)).toBe(true);
    lock.unlock();
    expect(() => cv.wait(lock)).toThrow(LockNotHeldError);
    expect(() => cv.wait({} as never)).toThrow(InvalidArgumentError);
    // Works with a shared hold of a SharedMutex too.
    const read = await rw.lockShared();
    const waiting = cv.wait(read, { timeout: 60_000 });
    await until(() => cv.waiterCount === 1 && rw.sharedCount === 0, 'released while waiting');
    cv.notifyOne();
    expect(await waiting).toBe(true);
    expect(rw.sharedCount).toBe(1);
    read.unlock();
    expect(cv.waiterCount).toBe(0);
    expect(cv._freeSlots).toBe(1024);
  });
});
