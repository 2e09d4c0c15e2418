import type { Worker } from 'node:worker_threads';
import { StopSource } from '@coro/task';
import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  LockNotHeldError,
  Mutex,
  WaiterCapacityError,
} from '../../src/threads/index.ts';
import { runWorker, turn, until } from './helpers.ts';

describe('threads Mutex', () => {
  it('locks, hands off FIFO on one thread, and releases with using', async () => {
    const mutex = new Mutex();
    const first = await mutex.lock();
    expect(mutex.isLocked).toBe(true);
    expect(mutex.tryLock()).toBeUndefined();
    const order: number[] = [];
    const waits = [1, 2, 3].map(async (n) => {
      using _lock = await mutex.lock();
      order.push(n);
      await turn();
    });
    await until(() => mutex.waiterCount === 3, 'three waiters');
    first.unlock();
    await Promise.all(waits);
    expect(order).toEqual([1, 2, 3]);
    expect(mutex.isLocked).toBe(false);
    expect(mutex._freeSlots).toBe(1024);
  });

  it('throws LockNotHeldError on a second unlock and on unlocking a free mutex', async () => {
    const mutex = new Mutex();
    const lock = await mutex.lock();
    lock.unlock();
    expect(() => lock.unlock()).toThrow(LockNotHeldError);
    expect(() => mutex.unlock()).toThrow(
      expect.objectContaining({ code: 'ERR_CORO_LOCK_NOT_HELD' }),
    );
    expect(mutex.isLocked).toBe(false);
    const again = mutex.tryLock();
    expect(again?.isHeld).toBe(true);
    again?.[Symbol.dispose]();
    expect(mutex.isLocked).toBe(false);
  });

  it('releases on throw inside a using scope', async () => {
    const mutex = new Mutex();
    await expect(
      (async () => {
        using _lock = await mutex.lock();
        throw new Error('boom');
      })(),
    ).rejects.toThrow('boom');
    expect(mutex.isLocked).toBe(false);
  });

  it('rebuilds from its structured clone and its buffer, and rejects anything else', () => {
    const mutex = new Mutex();
    const clone = structuredClone(mutex);
    const other = Mutex.from(clone);
    const lock = other.tryLock();
    expect(lock).toBeDefined();
    expect(mutex.isLocked).toBe(true);
    expect(Mutex.from(mutex.buffer).isLocked).toBe(true);
    lock?.unlock();
    expect(mutex.isLocked).toBe(false);
    expect(Mutex.from(mutex)).toBe(mutex);
    expect(() => Mutex.from({ buffer: new SharedArrayBuffer(64) })).toThrow(InvalidArgumentError);
    expect(() => Mutex.from({} as never)).toThrow(InvalidArgumentError);
    expect(() => new Mutex({ maxWaiters: 0 })).toThrow(InvalidArgumentError);
  });

  it('times out and cancels with nothing left behind; a dead signal or timeout 0 does not queue', async () => {
    const mutex = new Mutex();
    const held = await mutex.lock();
    expect(await mutex.lock({ timeout: 0 })).toBe('timeout');
    expect(await mutex.lock({ signal: AbortSignal.abort() })).toBe('cancelled');
    expect(await mutex.lock({ timeout: 10 })).toBe('timeout');
    const source = new StopSource();
    const pending = mutex.lock({ signal: source.token });
    await until(() => mutex.waiterCount === 1, 'a waiter');
    source.requestStop();
    expect(await pending).toBe('cancelled');
    expect(mutex.waiterCount).toBe(0);
    expect(mutex._freeSlots).toBe(1024);
    held.unlock();
    expect(mutex.isLocked).toBe(false);
  });

  it('keeps a lock handed over in the same turn as its stop, and never leaks one', async () => {
    const mutex = new Mutex();
    // Grant first, stop second: the waiter keeps the lock.
    let held = await mutex.lock();
    const source = new StopSource();
    const kept = mutex.lock({ signal: source.token, timeout: 60_000 });
    await until(() => mutex.waiterCount === 1, 'a waiter');
    held.unlock();
    source.requestStop();
    const lock = await kept;
    expect(typeof lock).toBe('object');
    expect(mutex.isLocked).toBe(true);
    (lock as { unlock(): void }).unlock();
    expect(mutex.isLocked).toBe(false);
    // Stop first, grant second: the waiter leaves, the lock goes to the next one.
    held = await mutex.lock();
    const stop = new StopSource();
    const leaving = mutex.lock({ signal: stop.token });
    const next = mutex.lock();
    await until(() => mutex.waiterCount === 2, 'two waiters');
    stop.requestStop();
    held.unlock();
    expect(await leaving).toBe('cancelled');
    const nextLock = await next;
    expect(mutex.isLocked).toBe(true);
    nextLock.unlock();
    expect(mutex.isLocked).toBe(false);
    expect(mutex._freeSlots).toBe(1024);
  });

  it('throws WaiterCapacityError when every waiter slot is taken, queueing nothing', async () => {
    const mutex = new Mutex({ maxWaiters: 2 });
    const held = await mutex.lock();
    const a = mutex.lock();
    const b = mutex.lock();
    expect(() => mutex.lock()).toThrow(WaiterCapacityError);
    expect(mutex.waiterCount).toBe(2);
    held.unlock();
    (await a).unlock();
    (await b).unlock();
    expect(mutex.isLocked).toBe(false);
  });

  it('gives mutual exclusion to a non-atomic counter across 3 workers and the main thread', async () => {
    const mutex = new Mutex();
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const loops = 2;
    const iterations = 150;
    const workers = [1, 2, 3].map(() =>
      runWorker('mutexCounter', { mutex, counter, loops, iterations }),
    );
    const main = (async () => {
      for (let i = 0; i < iterations; i++) {
        using _lock = await mutex.lock();
        const value = counter[0] as number;
        await turn();
        counter[0] = value + 1;
      }
    })();
    await Promise.all([...workers, main]);
    expect(counter[0]).toBe(3 * loops * iterations + iterations);
    expect(mutex.isLocked).toBe(false);
    expect(mutex.waiterCount).toBe(0);
    expect(mutex._freeSlots).toBe(1024);
  });

  it('times out and is cancelled on a worker while the main thread holds the lock', async () => {
    const mutex = new Mutex();
    const held = await mutex.lock();
    const timedOut = runWorker<string>('mutexLockTimeout', { mutex, timeout: 30 });
    let worker: Worker | undefined;
    const cancelled = runWorker<string>('mutexLockCancelled', { mutex }, (w) => {
      worker = w;
    });
    expect(await timedOut).toBe('timeout');
    await until(() => mutex.waiterCount === 1, 'the cancellable waiter');
    worker?.postMessage('cancel');
    expect(await cancelled).toBe('cancelled');
    expect(mutex.waiterCount).toBe(0);
    expect(mutex._freeSlots).toBe(1024);
    expect(mutex.isLocked).toBe(true);
    held.unlock();
    expect(mutex.isLocked).toBe(false);
  });
});
