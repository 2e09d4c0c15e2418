import { describe, expect, it } from 'vitest';
import { Event, Mutex, RingBuffer, Semaphore } from '../../src/threads/index.ts';
import { runWorkerToExit } from './helpers.ts';

describe('threads: nothing left behind', () => {
  it('thousands of cancelled and timed-out waits on a worker leave no waiter, slot or handle', async () => {
    const mutex = new Mutex();
    const held = mutex.tryLock();
    const semaphore = new Semaphore(1, 0);
    const event = new Event();
    const ring = new RingBuffer(4);
    const iterations = 1_000;
    const outcomes = await runWorkerToExit<Record<string, number>>('churn', {
      mutex,
      semaphore,
      event,
      ring,
      iterations,
    });
    expect(outcomes).toEqual({
      cancelled: iterations * 2,
      false: iterations,
      '{"ok":false,"error":"cancelled"}': iterations,
      timeout: iterations / 50,
    });
    for (const primitive of [mutex, semaphore, event, ring]) {
      expect(primitive.waiterCount).toBe(0);
      expect(primitive._freeSlots).toBe(1024);
    }
    // And the primitives still work.
    held?.unlock();
    expect(mutex.tryLock()).toBeDefined();
    semaphore.release();
    expect(await semaphore.acquire({ timeout: 0 })).toBe('acquired');
  });

  it('a waiting worker stays alive until it is served, then exits by itself', async () => {
    const event = new Event();
    let settled = false;
    const served = runWorkerToExit<boolean>('eventWait', { event }).finally(() => {
      settled = true;
    });
    // Wait (as long as a loaded machine needs) for the worker to park on the event.
    const deadline = Date.now() + 15_000;
    while (event.waiterCount === 0 && !settled && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(event.waiterCount).toBe(1);
    // Parked, with nothing else to keep it running: it must still be there a while later.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled).toBe(false);
    expect(event.waiterCount).toBe(1);
    event.set();
    expect(await served).toBe(true);
  });
});
