// One worker script for every cross-thread test: `workerData.scenario` names what to run, and
// the result is posted back as `{ result }` (or `{ error }`).
import { parentPort, workerData } from 'node:worker_threads';
import {
  ConditionVariable,
  Event,
  Latch,
  Mutex,
  Queue,
  RingBuffer,
  Semaphore,
  SharedMutex,
  WaitGroup,
} from '../../src/threads/index.ts';
import { _guardEntries } from '../../src/threads/core.ts';

type Data = Record<string, unknown> & { scenario: string };

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Raises `peak[0]` to at least `value` (atomically). */
function recordPeak(peak: Int32Array, value: number): void {
  for (;;) {
    const seen = Atomics.load(peak, 0);
    if (value <= seen || Atomics.compareExchange(peak, 0, seen, value) === seen) return;
  }
}

/** Cancels the wait when the parent posts 'cancel'. */
function cancelOnMessage(): AbortController {
  const controller = new AbortController();
  parentPort?.on('message', (message: string) => {
    if (message === 'cancel') controller.abort(new Error('cancelled by the main thread'));
  });
  return controller;
}

const scenarios: Record<string, (data: Data) => Promise<unknown>> = {
  /** Readers and writers; `state` = [readers inside, writers inside, violations]. */
  async sharedMutexMix(data) {
    const rw = SharedMutex.from(data.rw as SharedMutex);
    const state = data.state as Int32Array;
    const iterations = data.iterations as number;
    await Promise.all(
      [0, 1, 2].map(async (lane) => {
        for (let i = 0; i < iterations; i++) {
          if ((i + lane) % 3 === 0) {
            using _write = await rw.lock();
            if (Atomics.add(state, 1, 1) !== 0 || Atomics.load(state, 0) !== 0) {
              Atomics.add(state, 2, 1);
            }
            await turn();
            Atomics.sub(state, 1, 1);
          } else {
            using _read = await rw.lockShared();
            Atomics.add(state, 0, 1);
            if (Atomics.load(state, 1) !== 0) Atomics.add(state, 2, 1);
            await turn();
            Atomics.sub(state, 0, 1);
          }
        }
      }),
    );
    return 'done';
  },

  /** Takes `take` items from `box` = [available, taken sum] under the mutex + condition. */
  async conditionConsumer(data) {
    const mutex = Mutex.from(data.mutex as Mutex);
    const ready = ConditionVariable.from(data.ready as ConditionVariable);
    const box = data.box as Int32Array;
    let taken = 0;
    for (let i = 0; i < (data.take as number); i++) {
      using lock = await mutex.lock();
      const ok = await ready.wait(lock, () => (box[0] as number) > 0, { timeout: 15_000 });
      if (!ok || !lock.isHeld) throw new Error('condition wait failed');
      box[0] = (box[0] as number) - 1;
      box[1] = (box[1] as number) + 1;
      taken++;
    }
    return taken;
  },

  /** Produces `count` numbers `id * 1e6 + seq` into a shared ring buffer. */
  async ringProducer(data) {
    const ring = RingBuffer.from(data.ring as RingBuffer);
    const id = data.id as number;
    for (let seq = 0; seq < (data.count as number); seq++) {
      const status = await ring.produce(id * 1_000_000 + seq);
      if (status !== 'produced') return status;
    }
    return 'produced';
  },

  /** Consumes until the ring stops (with short timeouts that it retries on). */
  async ringConsumer(data) {
    const ring = RingBuffer.from(data.ring as RingBuffer);
    const timeout = data.timeout as number | undefined;
    const items: number[] = [];
    for (;;) {
      const result = await ring.consume({ timeout });
      if (result.ok) items.push(result.value);
      else if (result.error !== 'timeout') return items;
    }
  },

  /** Sends strings through a byte ring buffer. */
  async bytesProducer(data) {
    const ring = RingBuffer.from<Uint8Array>(data.ring as RingBuffer<Uint8Array>);
    const encoder = new TextEncoder();
    for (let i = 0; i < (data.count as number); i++) {
      await ring.produce(encoder.encode(`${data.id as string}:${i}`));
    }
    return 'produced';
  },

  /** Many waits that give up (stop or timeout) on primitives held by the main thread. */
  async churn(data) {
    const mutex = Mutex.from(data.mutex as Mutex);
    const semaphore = Semaphore.from(data.semaphore as Semaphore);
    const event = Event.from(data.event as Event);
    const ring = RingBuffer.from(data.ring as RingBuffer);
    const outcomes = new Map<string, number>();
    const count = (outcome: unknown) => {
      const key = typeof outcome === 'object' ? JSON.stringify(outcome) : String(outcome);
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    };
    for (let i = 0; i < (data.iterations as number); i++) {
      const controller = new AbortController();
      const waits = [
        mutex.lock({ signal: controller.signal }),
        semaphore.acquire({ signal: controller.signal }),
        event.wait({ signal: controller.signal }),
        ring.consume({ signal: controller.signal }),
      ];
      controller.abort();
      for (const outcome of await Promise.all(waits)) count(outcome);
      if (i % 50 === 0) count(await mutex.lock({ timeout: 1 }));
    }
    return Object.fromEntries(outcomes);
  },

  async queueConsumer(data) {
    const queue = Queue.from(data.queue as Queue);
    const items: number[] = [];
    for await (const item of queue) items.push(item);
    return items;
  },

  /** Non-atomic increments (read, yield, write) under the mutex, from `loops` async loops. */
  async mutexCounter(data) {
    const mutex = Mutex.from(data.mutex as Mutex);
    const counter = data.counter as Int32Array;
    const loops = data.loops as number;
    const iterations = data.iterations as number;
    await Promise.all(
      Array.from({ length: loops }, async () => {
        for (let i = 0; i < iterations; i++) {
          using _lock = await mutex.lock();
          const value = counter[0] as number;
          await turn();
          counter[0] = value + 1;
        }
      }),
    );
    return 'done';
  },

  /** Holders counted atomically: the peak must never exceed the semaphore's max. */
  async semaphoreBound(data) {
    const semaphore = Semaphore.from(data.semaphore as Semaphore);
    const inside = data.inside as Int32Array;
    const loops = data.loops as number;
    const iterations = data.iterations as number;
    await Promise.all(
      Array.from({ length: loops }, async () => {
        for (let i = 0; i < iterations; i++) {
          const status = await semaphore.acquire();
          if (status !== 'acquired') throw new Error(`acquire returned ${status}`);
          recordPeak(inside.subarray(1), Atomics.add(inside, 0, 1) + 1);
          await turn();
          Atomics.sub(inside, 0, 1);
          semaphore.release();
        }
      }),
    );
    return 'done';
  },

  async eventWait(data) {
    const event = Event.from(data.event as Event);
    return event.wait();
  },

  async latchCountDown(data) {
    const latch = Latch.from(data.latch as Latch);
    const start = Event.from(data.start as Event);
    await start.wait();
    latch.countDown();
    return latch.wait();
  },

  async waitGroupDone(data) {
    const group = WaitGroup.from(data.group as WaitGroup);
    const back = WaitGroup.from(data.back as WaitGroup);
    await turn();
    group.done();
    return back.wait();
  },

  /**
   * Parks on `ring.consume()` and then blocks the thread (its event loop does not run) on
   * `block[1]` until woken or terminated: while blocked its waits stay registered, exactly like
   * a thread whose termination is slow to tear them down. `block[0]` = 1 once parked.
   */
  async blockedRingConsumer(data) {
    const ring = RingBuffer.from(data.ring as RingBuffer);
    const block = data.block as Int32Array;
    const consumed = ring.consume();
    Atomics.store(block, 0, 1);
    Atomics.wait(block, 1, 0);
    return consumed;
  },

  /** Like `blockedRingConsumer`, for `mutex.lock()`; reports 'locked' once it holds the lock. */
  async blockedMutexLock(data) {
    const mutex = Mutex.from(data.mutex as Mutex);
    const block = data.block as Int32Array;
    const locking = mutex.lock();
    Atomics.store(block, 0, 1);
    Atomics.wait(block, 1, 0);
    const lock = await locking;
    const held = lock.isHeld;
    lock.unlock();
    return held ? 'locked' : 'not held';
  },

  /**
   * Takes the mutex, waits until `waiters` (default 1) are parked on it and `block[0]` is 1 (the
   * first waiter is blocked, or the test says go), unlocks — a hand-off that stays unclaimed — and then, its calls all
   * returned, idles for `idleMs`: returns how many times this thread took a primitive's guard
   * while idle (a thread with no call in progress must leave shared memory alone).
   */
  async grantThenIdle(data) {
    const mutex = Mutex.from(data.mutex as Mutex);
    const block = data.block as Int32Array;
    const lock = await mutex.lock();
    parentPort?.postMessage({ event: 'locked' });
    const waiters = (data.waiters as number | undefined) ?? 1;
    while (!(mutex.waiterCount === waiters && Atomics.load(block, 0) === 1)) await turn();
    lock.unlock();
    const before = _guardEntries();
    await new Promise((resolve) => setTimeout(resolve, data.idleMs as number));
    return _guardEntries() - before;
  },

  /**
   * Waits for the mutex with a short timeout, blocks its thread until `block[1]` is set (so its
   * timeout falls due and its grant arrives while it does not run: both wake-ups then race for a
   * guard that another thread holds), and once it has the lock, unlocks and idles for `idleMs`:
   * returns the outcome and how many times this thread took a guard while idle.
   */
  async racingWakeUps(data) {
    const mutex = Mutex.from(data.mutex as Mutex);
    const block = data.block as Int32Array;
    const locking = mutex.lock({ timeout: 30 });
    Atomics.store(block, 0, 1);
    Atomics.wait(block, 1, 0);
    const lock = await locking;
    if (typeof lock !== 'string') lock.unlock();
    const before = _guardEntries();
    await new Promise((resolve) => setTimeout(resolve, data.idleMs as number));
    return { outcome: typeof lock === 'string' ? lock : 'locked', idle: _guardEntries() - before };
  },

  /** Holds the mutex's guard for `ms` (a thread preempted inside an operation). */
  async holdGuard(data) {
    const mutex = Mutex.from(data.mutex as Mutex);
    const block = data.block as Int32Array;
    Atomics.wait(block, 2, 0); // until told to
    mutex._holdGuardFor(data.ms as number);
    return 'held';
  },

  async mutexLockTimeout(data) {
    const mutex = Mutex.from(data.mutex as Mutex);
    const result = await mutex.lock({ timeout: data.timeout as number });
    return typeof result === 'string' ? result : 'locked';
  },

  async mutexLockCancelled(data) {
    const mutex = Mutex.from(data.mutex as Mutex);
    const controller = cancelOnMessage();
    parentPort?.postMessage({ event: 'waiting' });
    const result = await mutex.lock({ signal: controller.signal });
    parentPort?.removeAllListeners('message');
    return typeof result === 'string' ? result : 'locked';
  },

  /** Waits on the condition variable (no predicate, no timeout) under the mutex. */
  async conditionWait(data) {
    const mutex = Mutex.from(data.mutex as Mutex);
    const ready = ConditionVariable.from(data.ready as ConditionVariable);
    using lock = await mutex.lock();
    return ready.wait(lock);
  },

  /** Takes the shared mutex exclusively (or shared with `shared`), then returns. */
  async sharedMutexLock(data) {
    const rw = SharedMutex.from(data.rw as SharedMutex);
    using _lock = data.shared === true ? await rw.lockShared() : await rw.lock();
    return 'locked';
  },

  /** Calls the bare unlock methods named in `calls` and reports what each threw. */
  async bareUnlock(data) {
    const calls = data.calls as string[];
    const outcomes: string[] = [];
    for (const call of calls) {
      try {
        if (call === 'mutex') Mutex.from(data.mutex as Mutex).unlock();
        else if (call === 'rw') SharedMutex.from(data.rw as SharedMutex).unlock();
        else SharedMutex.from(data.rw as SharedMutex).unlockShared();
        outcomes.push('released');
      } catch (error) {
        outcomes.push((error as { code?: string }).code ?? String(error));
      }
    }
    return outcomes;
  },

  async semaphoreShutdown(data) {
    const semaphore = Semaphore.from(data.semaphore as Semaphore);
    return semaphore.acquire();
  },

  /**
   * A random schedule: each step locks the mutex or acquires the semaphore, maybe with a small
   * timeout or a stop after some turns, holds it for some turns, and checks exclusion with
   * atomic counters shared by every thread.
   */
  async schedule(data) {
    const mutex = Mutex.from(data.mutex as Mutex);
    const semaphore = Semaphore.from(data.semaphore as Semaphore);
    const rw = SharedMutex.from(data.rw as SharedMutex);
    // [inMutex, inSemaphore, violations, readers, writers]
    const counters = data.counters as Int32Array;
    const max = semaphore.max;
    const steps = data.steps as Array<{
      kind: 'mutex' | 'semaphore' | 'read' | 'write';
      hold: number;
      timeout: number | undefined;
      stopAfter: number | undefined;
    }>;
    const outcomes: string[] = [];
    await Promise.all(
      [0, 1].map(async (lane) => {
        for (let i = lane; i < steps.length; i += 2) {
          const step = steps[i] as (typeof steps)[number];
          const controller = new AbortController();
          if (step.stopAfter !== undefined) {
            const after = step.stopAfter;
            void (async () => {
              for (let t = 0; t < after; t++) await turn();
              controller.abort();
            })();
          }
          const options = { signal: controller.signal, timeout: step.timeout };
          if (step.kind === 'mutex') {
            const lock = await mutex.lock(options);
            if (typeof lock === 'string') {
              outcomes.push(lock);
              continue;
            }
            if (Atomics.add(counters, 0, 1) !== 0) Atomics.add(counters, 2, 1);
            for (let t = 0; t < step.hold; t++) await turn();
            Atomics.sub(counters, 0, 1);
            lock.unlock();
            outcomes.push('locked');
          } else if (step.kind === 'read' || step.kind === 'write') {
            const shared = step.kind === 'read';
            const lock = shared ? await rw.lockShared(options) : await rw.lock(options);
            if (typeof lock === 'string') {
              outcomes.push(lock);
              continue;
            }
            if (shared) {
              Atomics.add(counters, 3, 1);
              if (Atomics.load(counters, 4) !== 0) Atomics.add(counters, 2, 1);
            } else if (Atomics.add(counters, 4, 1) !== 0 || Atomics.load(counters, 3) !== 0) {
              Atomics.add(counters, 2, 1);
            }
            for (let t = 0; t < step.hold; t++) await turn();
            Atomics.sub(counters, shared ? 3 : 4, 1);
            lock.unlock();
            outcomes.push('locked');
          } else {
            const status = await semaphore.acquire(options);
            outcomes.push(status);
            if (status !== 'acquired') continue;
            if (Atomics.add(counters, 1, 1) >= max) Atomics.add(counters, 2, 1);
            for (let t = 0; t < step.hold; t++) await turn();
            Atomics.sub(counters, 1, 1);
            semaphore.release();
          }
        }
      }),
    );
    return outcomes;
  },
};

const data = workerData as Data;
const run = scenarios[data.scenario];
if (run === undefined) {
  parentPort?.postMessage({ error: `no scenario ${data.scenario}` });
} else {
  run(data).then(
    (result) => parentPort?.postMessage({ result }),
    (error: unknown) =>
      parentPort?.postMessage({ error: String((error as Error)?.stack ?? error) }),
  );
}
