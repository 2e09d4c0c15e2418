// A hand-off to a thread that is being terminated (its waits are still registered, so the
// granter sees it as alive) must not be lost: the waiter has to claim it, and one that is never
// claimed goes to the next waiter. Every case terminates the parked worker and hands it what it
// waits for in the same turn, which is exactly the window where the grant reaches a dying thread.
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import {
  ConditionVariable,
  Mutex,
  Queue,
  RingBuffer,
  Semaphore,
  SharedMutex,
} from '../../src/threads/index.ts';
import { runWorker, until } from './helpers.ts';

/** Resolves after `ms` (only ever to let a blocked worker stay blocked for a while). */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * How long a blocked worker stays blocked after its grant: far longer than the first probes
 * take, so that a thread which is slow to die (its waits stay registered) is probed several
 * times before it is gone, as it is when a loaded machine tears a terminated worker down slowly.
 */
const SLOW_DEATH_MS = 1500;

/** Generous: the hand-off must arrive, however slow the machine; a hang fails with a message. */
const WAIT = { timeout: 10_000 };

/** Starts a scenario and resolves with its worker once it is parked (and out of the guard). */
async function parked(
  scenario: string,
  data: Record<string, unknown>,
  primitive: { readonly _guardHeld: boolean },
  isParked: () => boolean,
): Promise<Worker> {
  let worker: Worker | undefined;
  const run = runWorker(scenario, data, (w) => {
    worker = w;
  });
  run.catch(() => {}); // it ends by termination
  await until(() => isParked() && !primitive._guardHeld, `${scenario} to park`);
  return worker as Worker;
}

describe('threads hand-offs to a thread that is being terminated', () => {
  it('Mutex: the lock goes to the next waiter, or becomes free', async () => {
    const mutex = new Mutex();
    const held = mutex.tryLock();
    const worker = await parked(
      'mutexLockTimeout',
      { mutex, timeout: 600_000 },
      mutex,
      () => mutex.waiterCount === 1,
    );
    void worker.terminate();
    held?.unlock();
    const next = await mutex.lock(WAIT);
    expect(next, 'the lock handed to the dying worker was lost').not.toBe('timeout');
    if (typeof next !== 'string') next.unlock();
    expect(mutex.isLocked).toBe(false);

    // Nobody else waiting: the unclaimed lock is passed on at the next call once the dying
    // thread is gone (nobody probes in the background of a thread with no call in progress).
    const again = mutex.tryLock();
    const second = await parked(
      'mutexLockTimeout',
      { mutex, timeout: 600_000 },
      mutex,
      () => mutex.waiterCount === 1,
    );
    void second.terminate();
    again?.unlock();
    let taken: ReturnType<typeof mutex.tryLock>;
    await until(() => {
      taken = mutex.tryLock();
      return taken !== undefined;
    }, 'the unclaimed lock to be passed on at a later tryLock');
    expect(taken?.isHeld).toBe(true);
    taken?.unlock();
    expect(mutex.isLocked).toBe(false);
  });

  it('Semaphore: the permit goes to the next waiter', async () => {
    const semaphore = new Semaphore(1, 0);
    const worker = await parked(
      'semaphoreShutdown',
      { semaphore },
      semaphore,
      () => semaphore.waiterCount === 1,
    );
    void worker.terminate();
    semaphore.release();
    expect(await semaphore.acquire(WAIT), 'the permit handed to the dying worker was lost').toBe(
      'acquired',
    );
    expect(semaphore.value).toBe(0);
  });

  it('RingBuffer: an item reserved for a dying consumer goes to the next one', async () => {
    const ring = new RingBuffer(2);
    const worker = await parked('ringConsumer', { ring }, ring, () => ring.waiterCount === 1);
    void worker.terminate();
    expect(ring.tryProduce(5)).toBe('produced');
    expect(await ring.consume(WAIT), 'the item reserved for the dying worker was lost').toEqual({
      ok: true,
      value: 5,
    });
    expect(ring.size).toBe(0);
  });

  it('RingBuffer: space reserved for a dying producer goes to the next one', async () => {
    const ring = new RingBuffer(1);
    expect(ring.tryProduce(1)).toBe('produced');
    const worker = await parked(
      'ringProducer',
      { ring, id: 0, count: 1 },
      ring,
      () => ring.waiterCount === 1,
    );
    void worker.terminate();
    expect(ring.tryConsume()).toEqual({ ok: true, value: 1 });
    expect(await ring.produce(7, WAIT), 'the space reserved for the dying worker was lost').toBe(
      'produced',
    );
    expect(ring.tryConsume()).toEqual({ ok: true, value: 7 });
  });

  it('SharedMutex: an exclusive hand-off goes to the next waiter', async () => {
    const rw = new SharedMutex();
    const reader = rw.tryLockShared();
    const worker = await parked('sharedMutexLock', { rw }, rw, () => rw.waiterCount === 1);
    void worker.terminate();
    reader?.unlock();
    const next = await rw.lock(WAIT);
    expect(next, 'the lock handed to the dying worker was lost').not.toBe('timeout');
    if (typeof next !== 'string') next.unlock();
    expect(rw.isLocked).toBe(false);
    expect(rw.sharedCount).toBe(0);
  });

  it('SharedMutex: a shared hand-off is given back, so a writer can get in', async () => {
    const rw = new SharedMutex();
    const writer = rw.tryLock();
    const worker = await parked(
      'sharedMutexLock',
      { rw, shared: true },
      rw,
      () => rw.waiterCount === 1,
    );
    void worker.terminate();
    writer?.unlock();
    const next = await rw.lock(WAIT);
    expect(next, 'the shared hold handed to the dying worker was never given back').not.toBe(
      'timeout',
    );
    if (typeof next !== 'string') next.unlock();
    expect(rw.sharedCount).toBe(0);
  });

  it('Queue: an item reserved for a dying consumer goes to the next one', async () => {
    const queue = new Queue();
    const worker = await parked('queueConsumer', { queue }, queue, () => queue.waiterCount === 1);
    void worker.terminate();
    expect(queue.push(9)).toBe('produced');
    expect(await queue.pop(WAIT), 'the item reserved for the dying worker was lost').toEqual({
      ok: true,
      value: 9,
    });
  });

  it('ConditionVariable: notifyOne to a dying waiter wakes the next one', async () => {
    const mutex = new Mutex();
    const ready = new ConditionVariable();
    const worker = await parked(
      'conditionWait',
      { mutex, ready },
      mutex,
      () => ready.waiterCount === 1 && !mutex.isLocked,
    );
    const lock = await mutex.lock();
    const waiting = ready.wait(lock, WAIT);
    await until(() => ready.waiterCount === 2, 'the main thread to wait behind the worker');
    void worker.terminate();
    ready.notifyOne();
    expect(await waiting, 'the notification handed to the dying worker was lost').toBe(true);
    expect(lock.isHeld).toBe(true);
    lock.unlock();
  });
});

describe('threads hand-offs to a thread that is slow to die or does not run for a while', () => {
  it('RingBuffer: an item reserved for a consumer that takes long to die goes to the next one', async () => {
    const ring = new RingBuffer(2);
    const block = new Int32Array(new SharedArrayBuffer(8));
    const worker = await parked(
      'blockedRingConsumer',
      { ring, block },
      ring,
      () => ring.waiterCount === 1 && Atomics.load(block, 0) === 1,
    );
    // The worker's thread is blocked: its waits stay registered, so the grant "wakes" it and
    // every probe finds it alive, exactly like a terminated thread whose waits linger.
    expect(ring.tryProduce(5)).toBe('produced');
    await sleep(SLOW_DEATH_MS);
    await worker.terminate();
    expect(
      await ring.consume(WAIT),
      'the item reserved for the slowly dying worker was lost',
    ).toEqual({ ok: true, value: 5 });
    expect(ring.size).toBe(0);
    expect(ring._freeSlots).toBe(1024);
  });

  it('Mutex: a lock handed to a thread that takes long to die goes to the next waiter', async () => {
    const mutex = new Mutex();
    const held = mutex.tryLock();
    const block = new Int32Array(new SharedArrayBuffer(8));
    const worker = await parked(
      'blockedMutexLock',
      { mutex, block },
      mutex,
      () => mutex.waiterCount === 1 && Atomics.load(block, 0) === 1,
    );
    held?.unlock();
    await sleep(SLOW_DEATH_MS);
    await worker.terminate();
    const next = await mutex.lock(WAIT);
    expect(next, 'the lock handed to the slowly dying worker was lost').not.toBe('timeout');
    if (typeof next !== 'string') next.unlock();
    expect(mutex.isLocked).toBe(false);
  });

  it('Mutex: a live thread that does not run its event loop for a while keeps its grant', async () => {
    const mutex = new Mutex();
    const held = mutex.tryLock();
    const block = new Int32Array(new SharedArrayBuffer(8));
    let worker: Worker | undefined;
    const run = runWorker('blockedMutexLock', { mutex, block }, (w) => {
      worker = w;
    });
    await until(
      () => mutex.waiterCount === 1 && Atomics.load(block, 0) === 1 && !mutex._guardHeld,
      'blockedMutexLock to park and block',
    );
    held?.unlock();
    // While the worker is blocked (alive, but its loop does not run), the lock is its own.
    expect(await mutex.lock({ timeout: SLOW_DEATH_MS }), 'a live thread lost its grant').toBe(
      'timeout',
    );
    expect(mutex.isLocked).toBe(true);
    Atomics.store(block, 1, 1);
    Atomics.notify(block, 1);
    expect(await run).toBe('locked');
    expect(worker).toBeDefined();
    expect(mutex.isLocked).toBe(false);
  });
});
