// The one precedence rule (README: "a call whose signal has already stopped answers 'cancelled'
// without taking anything"), held to the same answers for @coro/sync/threads as for @coro/sync:
// the same calls on both, with an already-stopped signal, whatever state the primitive is in.
import { describe, expect, it } from 'vitest';
import * as single from '../../src/index.ts';
import * as threads from '../../src/threads/index.ts';

// The two modules' classes differ in their generics, not in these calls: one type for both.
type Sync = typeof single;

const signal = AbortSignal.abort('gone');

/** Every waiting call, each on a primitive ready to answer it, or shut down / stopped. */
async function answers(sync: Sync): Promise<Record<string, unknown>> {
  const mutex = new sync.Mutex();
  const rw = new sync.SharedMutex();
  const rwShared = new sync.SharedMutex();
  const sem = new sync.Semaphore(1);
  const semShut = new sync.Semaphore(1);
  semShut.shutdown();
  const latch = new sync.Latch(1);
  latch.countDown();
  const ring = new sync.RingBuffer<number>(2);
  ring.tryProduce(1);
  const ringStopped = new sync.RingBuffer<number>(2);
  ringStopped.shutdown();
  const queue = new sync.Queue<number>();
  queue.push(1);
  const queueStopped = new sync.Queue<number>();
  queueStopped.shutdown();
  return {
    mutexFree: await mutex.lock({ signal }),
    mutexAfter: mutex.isLocked,
    sharedMutexFree: await rw.lock({ signal }),
    sharedMutexSharedFree: await rwShared.lockShared({ signal }),
    sharedMutexAfter: [rw.isLocked, rwShared.isLocked],
    semaphoreFree: await sem.acquire({ signal }),
    semaphoreAfter: sem.value,
    semaphoreShutDown: await semShut.acquire({ signal }),
    eventSet: await new sync.Event(true).wait({ signal }),
    latchOpen: await latch.wait({ signal }),
    waitGroupZero: await new sync.WaitGroup().wait({ signal }),
    ringConsume: await ring.consume({ signal }),
    ringAfter: ring.size,
    ringProduce: await new sync.RingBuffer<number>(2).produce(1, { signal }),
    ringStopped: await ringStopped.produce(1, { signal }),
    queuePop: await queue.pop({ signal }),
    queueAfter: queue.size,
    queueStopped: await queueStopped.pop({ signal }),
  };
}

describe('threads: the one precedence rule, as on one loop', () => {
  it('an already-stopped signal answers cancelled and takes nothing, ready or shut down', async () => {
    const expected = {
      mutexFree: 'cancelled',
      mutexAfter: false,
      sharedMutexFree: 'cancelled',
      sharedMutexSharedFree: 'cancelled',
      sharedMutexAfter: [false, false],
      semaphoreFree: 'cancelled',
      semaphoreAfter: 1,
      semaphoreShutDown: 'cancelled',
      eventSet: false,
      latchOpen: false,
      waitGroupZero: false,
      ringConsume: { ok: false, error: 'cancelled' },
      ringAfter: 1,
      ringProduce: 'cancelled',
      ringStopped: 'cancelled',
      queuePop: { ok: false, error: 'cancelled' },
      queueAfter: 1,
      queueStopped: { ok: false, error: 'cancelled' },
    };
    expect(await answers(single)).toEqual(expected);
    expect(await answers(threads as unknown as Sync)).toEqual(expected);
  });

  it('new Event(initiallySet) takes a boolean only, on both (1 was set on one and not the other)', () => {
    for (const sync of [single, threads]) {
      for (const bad of [1, 0, 'yes', null]) {
        expect(() => new sync.Event(bad as never), String(bad)).toThrow(sync.InvalidArgumentError);
      }
      expect(new sync.Event(true).isSet).toBe(true);
      expect(new sync.Event(false).isSet).toBe(false);
      expect(new sync.Event().isSet).toBe(false);
    }
  });

  it("Event.set refuses an order other than 'fifo' / 'lifo', as on one loop", () => {
    for (const sync of [single, threads]) {
      const event = new sync.Event();
      expect(() => event.set('random' as never)).toThrow(sync.InvalidArgumentError);
      expect(event.isSet).toBe(false);
    }
  });
});
