// A thread that ends while parked (terminated, crashed) must not swallow what is handed to it:
// its waits vanish with it, the granter notices that nobody was woken, frees the slot and hands
// the lock, permit or item to the next waiter instead.
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Mutex, RingBuffer, Semaphore, SharedMutex } from '../../src/threads/index.ts';
import { runWorker, until } from './helpers.ts';

/**
 * Starts a worker scenario that parks, waits until it has, then terminates the worker. Parked
 * means its waiter is in line *and* it has left the primitive's guard: a waiter becomes visible
 * while its thread still holds the guard for a moment, and a thread killed inside the guard is
 * a different case (the primitive is abandoned, see the SharedStateAbandonedError test).
 */
async function parkAndKill(
  scenario: string,
  data: Record<string, unknown>,
  primitive: { readonly _guardHeld: boolean },
  parked: () => boolean,
): Promise<void> {
  let worker: Worker | undefined;
  const run = runWorker(scenario, data, (w) => {
    worker = w;
  });
  run.catch(() => {}); // it ends by termination
  await until(() => parked() && !primitive._guardHeld, `${scenario} to park`);
  await worker?.terminate();
}

describe('threads primitives skip waiters whose thread is gone', () => {
  it('Mutex: the lock goes to the next live waiter, or becomes free', async () => {
    const mutex = new Mutex();
    const held = mutex.tryLock();
    await parkAndKill(
      'mutexLockTimeout',
      { mutex, timeout: 60_000 },
      mutex,
      () => mutex.waiterCount === 1,
    );
    const next = mutex.lock();
    held?.unlock();
    (await next).unlock();
    expect(mutex.isLocked).toBe(false);
    // Only the dead waiter in line: unlocking frees the mutex.
    const again = mutex.tryLock();
    await parkAndKill(
      'mutexLockTimeout',
      { mutex, timeout: 60_000 },
      mutex,
      () => mutex.waiterCount === 1,
    );
    again?.unlock();
    expect(mutex.isLocked).toBe(false);
    expect(mutex.waiterCount).toBe(0);
    expect(mutex._freeSlots).toBe(1024);
  });

  it('Semaphore: the permit returns to the count', async () => {
    const semaphore = new Semaphore(1, 0);
    await parkAndKill(
      'semaphoreShutdown',
      { semaphore },
      semaphore,
      () => semaphore.waiterCount === 1,
    );
    semaphore.release();
    expect(semaphore.value).toBe(1);
    expect(semaphore._freeSlots).toBe(1024);
  });

  it('RingBuffer: an item is not reserved for a dead consumer', async () => {
    const ring = new RingBuffer(2);
    await parkAndKill('ringConsumer', { ring }, ring, () => ring.waiterCount === 1);
    expect(ring.tryProduce(5)).toBe('produced');
    expect(ring.tryConsume()).toEqual({ ok: true, value: 5 });
    expect(ring._freeSlots).toBe(1024);
  });

  it('SharedMutex: a dead exclusive waiter does not block the readers behind it', async () => {
    const rw = new SharedMutex();
    const reader = rw.tryLockShared();
    const state = new Int32Array(new SharedArrayBuffer(12));
    // The worker's lane 0 asks for a write lock (it parks behind our reader) and its lanes 1
    // and 2 for read locks (they park behind the writer). It is killed once all three are
    // parked: killing it while a lane is still inside its call would abandon the primitive.
    await parkAndKill(
      'sharedMutexMix',
      { rw, state, iterations: 1 },
      rw,
      () => rw.waiterCount === 3,
    );
    const behind = rw.lockShared();
    await until(() => rw.waiterCount === 4, 'a reader behind the dead writer and readers');
    reader?.unlock();
    const second = await behind;
    expect(second.shared).toBe(true);
    second.unlock();
    expect(rw.sharedCount).toBe(0);
    expect(rw.isLocked).toBe(false);
  });
});
