// A thread whose calls on a primitive have all returned must never touch that primitive's shared
// memory again: users terminate workers once their work is done, and a thread terminated while
// it holds a primitive's guard abandons the primitive for every other thread. Looking after
// unclaimed hand-offs is therefore the job of threads that are still waiting on the primitive
// (or that call it later), never of the thread that granted.
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Mutex } from '../../src/threads/index.ts';
import { runWorker, until } from './helpers.ts';

describe('threads: a thread with no call in progress leaves shared memory alone', () => {
  it('the granter of a hand-off that stays unclaimed does not probe it in the background', async () => {
    const mutex = new Mutex();
    const block = new Int32Array(new SharedArrayBuffer(8));
    // The granter takes the mutex first; then the waiter parks on it and blocks its thread, so
    // the hand-off stays unclaimed until it is unblocked.
    let granterLocked!: () => void;
    const locked = new Promise<void>((resolve) => {
      granterLocked = resolve;
    });
    // 600 ms covers the first four probes (10, 50, 210 ms after the grant) of the old design.
    const granter = runWorker<number>('grantThenIdle', { mutex, block, idleMs: 600 }, (w) => {
      w.on('message', (message: { event?: string }) => {
        if (message.event === 'locked') granterLocked();
      });
    });
    await locked;
    const waiter = runWorker<string>('blockedMutexLock', { mutex, block });
    const idleEntries = await granter;
    expect(idleEntries, 'guard entries by a thread whose calls had all returned').toBe(0);
    Atomics.store(block, 1, 1);
    Atomics.notify(block, 1);
    expect(await waiter).toBe('locked');
    await until(() => !mutex.isLocked, 'the mutex to be free');
    expect(mutex.waiterCount).toBe(0);
    expect(mutex._freeSlots).toBe(1024);
  });

  it('a waiter parked before a hand-off to a thread that then dies gets it, though the granter has returned', async () => {
    const mutex = new Mutex();
    const block = new Int32Array(new SharedArrayBuffer(8));
    let granterLocked!: () => void;
    const locked = new Promise<void>((resolve) => {
      granterLocked = resolve;
    });
    const granter = runWorker<number>(
      'grantThenIdle',
      { mutex, block, waiters: 2, idleMs: 0 },
      (w) => {
        w.on('message', (message: { event?: string }) => {
          if (message.event === 'locked') granterLocked();
        });
      },
    );
    await locked;
    // The first waiter parks and blocks its thread: it is alive when the lock is handed to it,
    // so the grant waits for its claim, and then it is terminated without ever claiming.
    let doomed: Worker | undefined;
    const first = runWorker('blockedMutexLock', { mutex, block }, (w) => {
      doomed = w;
    });
    first.catch(() => {}); // it ends by termination
    await until(
      () => mutex.waiterCount === 1 && Atomics.load(block, 0) === 1 && !mutex._guardHeld,
      'the first waiter to park and block',
    );
    // This thread waits behind it before the hand-off, and does not call the mutex again.
    // (Its own timeout would pass the lock on too — a waiter that gives up probes first — so
    // the check is that the lock arrives long before it: the waiter's background probe did it.)
    const mine = mutex.lock({ timeout: 40_000 });
    await granter; // it saw both waiters, handed the lock to the blocked one and returned
    await doomed?.terminate();
    const outcome = await Promise.race([
      mine.then((lock) => (typeof lock === 'string' ? lock : 'locked')),
      new Promise((resolve) => setTimeout(resolve, 20_000, 'still waiting after 20 s')),
    ]);
    expect(outcome, 'the lock handed to the thread that died never reached the next waiter').toBe(
      'locked',
    );
    const lock = await mine;
    if (typeof lock !== 'string') lock.unlock();
    expect(mutex.isLocked).toBe(false);
    expect(mutex.waiterCount).toBe(0);
    expect(mutex._freeSlots).toBe(1024);
  });

  it('a wait that settles while its other wake-up still waits for the guard leaves it alone after', async () => {
    const mutex = new Mutex();
    const held = mutex.tryLock();
    // [waiter parked, release the waiter, let the guard holder go]
    const block = new Int32Array(new SharedArrayBuffer(12));
    const waiter = runWorker<{ outcome: string; idle: number }>('racingWakeUps', {
      mutex,
      block,
      idleMs: 300,
    });
    const holder = runWorker<string>('holdGuard', { mutex, block, ms: 300 });
    await until(
      () => mutex.waiterCount === 1 && Atomics.load(block, 0) === 1 && !mutex._guardHeld,
      'the waiter to park and block',
    );
    held?.unlock(); // handed to the blocked waiter: its grant wake-up is now pending
    Atomics.store(block, 2, 1); // another thread takes the guard and keeps it for 300 ms
    Atomics.notify(block, 2);
    await until(() => mutex._guardHeld, 'the other thread to hold the guard');
    await new Promise((resolve) => setTimeout(resolve, 60)); // the waiter's 30 ms timeout is due
    Atomics.store(block, 1, 1); // the waiter runs again: grant and timeout both find the guard taken
    Atomics.notify(block, 1);
    expect(await holder).toBe('held');
    const { outcome, idle } = await waiter;
    expect(outcome, 'the grant won the race under the guard').toBe('locked');
    expect(idle, 'guard entries after the wait had settled and the lock was released').toBe(0);
    expect(mutex.isLocked).toBe(false);
    expect(mutex.waiterCount).toBe(0);
    expect(mutex._freeSlots).toBe(1024);
  });
});
