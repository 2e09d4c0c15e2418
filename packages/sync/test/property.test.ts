// Random schedules of many tasks with random yields, timeouts and stops (fast-check), checking
// each primitive's invariants and that no waiter, timer or stop registration is left behind.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ConditionVariable,
  Mutex,
  ObjectPool,
  PoolGuard,
  Queue,
  RingBuffer,
  ScopedLock,
  Semaphore,
  SharedMutex,
} from '../src/index.ts';
import { decisions, RandomSchedule, Stoppers, stopAfter, waitPlan } from './utils/schedule.ts';

const runs = { numRuns: 250 };

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const attempt = fc.record({ plan: waitPlan, hold: fc.nat({ max: 3 }), before: fc.nat({ max: 2 }) });
const tasksOf = <T>(item: fc.Arbitrary<T>) =>
  fc.array(fc.array(item, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 });

function expectClean(stoppers: Stoppers): void {
  expect(vi.getTimerCount()).toBe(0);
  stoppers.expectNoRegistrations();
}

describe('property: random schedules', () => {
  it('Mutex: mutual exclusion, FIFO hand-off, nothing left behind', async () => {
    await fc.assert(
      fc.asyncProperty(tasksOf(attempt), decisions, stopAfter, async (tasks, picks, after) => {
        const schedule = new RandomSchedule(picks);
        const stoppers = new Stoppers();
        const mutex = new Mutex();
        let inside = 0;
        let nextRequest = 0;
        const granted: number[] = [];
        const run = async (attempts: (typeof tasks)[number]) => {
          for (const { plan, hold, before } of attempts) {
            await schedule.yieldTimes(before);
            const request = nextRequest++;
            const result = await mutex.lock(stoppers.options(plan));
            if (!(result instanceof ScopedLock)) {
              expect(['timeout', 'cancelled']).toContain(result);
              continue;
            }
            granted.push(request);
            expect(inside).toBe(0);
            inside++;
            await schedule.yieldTimes(hold);
            inside--;
            result.unlock();
          }
        };
        await schedule.run([...tasks.map(run), stoppers.run(schedule, after)]);
        expect(granted).toEqual([...granted].sort((a, b) => a - b));
        expect(mutex.isLocked).toBe(false);
        expect(mutex.waiterCount).toBe(0);
        expectClean(stoppers);
      }),
      runs,
    );
  });

  it('SharedMutex: shared/exclusive exclusion, FIFO grants, nothing left behind', async () => {
    const sharedAttempt = fc.record({
      plan: waitPlan,
      hold: fc.nat({ max: 3 }),
      before: fc.nat({ max: 2 }),
      shared: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(
        tasksOf(sharedAttempt),
        decisions,
        stopAfter,
        async (tasks, picks, after) => {
          const schedule = new RandomSchedule(picks);
          const stoppers = new Stoppers();
          const rw = new SharedMutex();
          let readers = 0;
          let writers = 0;
          let nextRequest = 0;
          const granted: number[] = [];
          const run = async (attempts: (typeof tasks)[number]) => {
            for (const { plan, hold, before, shared } of attempts) {
              await schedule.yieldTimes(before);
              const request = nextRequest++;
              const options = stoppers.options(plan);
              const result = shared ? await rw.lockShared(options) : await rw.lock(options);
              if (!(result instanceof ScopedLock)) continue;
              granted.push(request);
              expect(writers).toBe(0);
              if (shared) readers++;
              else {
                expect(readers).toBe(0);
                writers++;
              }
              await schedule.yieldTimes(hold);
              if (shared) readers--;
              else writers--;
              result.unlock();
            }
          };
          await schedule.run([...tasks.map(run), stoppers.run(schedule, after)]);
          expect(granted).toEqual([...granted].sort((a, b) => a - b));
          expect(rw.isLocked).toBe(false);
          expect(rw.sharedCount).toBe(0);
          expect(rw.waiterCount).toBe(0);
          expectClean(stoppers);
        },
      ),
      runs,
    );
  });

  it('Semaphore: never more than max holders, FIFO, every permit returned', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        tasksOf(attempt),
        decisions,
        stopAfter,
        async (max, tasks, picks, after) => {
          const schedule = new RandomSchedule(picks);
          const stoppers = new Stoppers();
          const sem = new Semaphore(max);
          let holders = 0;
          let nextRequest = 0;
          const granted: number[] = [];
          const run = async (attempts: (typeof tasks)[number]) => {
            for (const { plan, hold, before } of attempts) {
              await schedule.yieldTimes(before);
              const request = nextRequest++;
              const result = await sem.acquire(stoppers.options(plan));
              if (result !== 'acquired') {
                expect(['timeout', 'cancelled']).toContain(result);
                continue;
              }
              granted.push(request);
              holders++;
              expect(holders).toBeLessThanOrEqual(max);
              // Permits taken but not yet resumed make the value lower still, never higher.
              expect(sem.value).toBeLessThanOrEqual(max - holders);
              await schedule.yieldTimes(hold);
              holders--;
              sem.release();
            }
          };
          await schedule.run([...tasks.map(run), stoppers.run(schedule, after)]);
          expect(granted).toEqual([...granted].sort((a, b) => a - b));
          expect(sem.value).toBe(max);
          expect(sem.waiterCount).toBe(0);
          expectClean(stoppers);
        },
      ),
      runs,
    );
  });

  const produceStep = fc.record({ plan: waitPlan, before: fc.nat({ max: 2 }) });
  const channelCase = fc.record({
    producers: fc.array(fc.array(produceStep, { minLength: 1, maxLength: 6 }), {
      minLength: 1,
      maxLength: 3,
    }),
    consumers: fc.array(fc.array(produceStep, { minLength: 1, maxLength: 4 }), {
      minLength: 1,
      maxLength: 3,
    }),
    capacity: fc.integer({ min: 1, max: 4 }),
    drain: fc.boolean(),
  });

  /** Checks exactly-once, in-order delivery from what producers got in and consumers got out. */
  function expectDelivered(delivered: string[], consumed: string[], drained: boolean): void {
    expect(new Set(consumed).size).toBe(consumed.length);
    const accepted = new Set(delivered);
    for (const item of consumed) expect(accepted.has(item)).toBe(true);
    if (drained) expect([...consumed].sort()).toEqual([...delivered].sort());
    const lastOf = new Map<string, number>();
    for (const item of consumed) {
      const [producer, index] = item.split(':') as [string, string];
      expect(Number(index)).toBeGreaterThan(lastOf.get(producer) ?? -1);
      lastOf.set(producer, Number(index));
    }
  }

  it('RingBuffer: each produced item consumed exactly once, in order; nothing left behind', async () => {
    await fc.assert(
      fc.asyncProperty(channelCase, decisions, stopAfter, async (c, picks, after) => {
        const schedule = new RandomSchedule(picks);
        const stoppers = new Stoppers();
        const rb = new RingBuffer<string>(c.capacity);
        const delivered: string[] = [];
        const consumed: string[] = [];
        const producers = c.producers.map(async (steps, p) => {
          for (const [i, { plan, before }] of steps.entries()) {
            await schedule.yieldTimes(before);
            const status = await rb.produce(`${p}:${i}`, stoppers.options(plan));
            if (status === 'produced') delivered.push(`${p}:${i}`);
            else expect(['timeout', 'cancelled', 'stopped']).toContain(status);
          }
        });
        const consumers = c.consumers.map(async (steps) => {
          for (let k = 0; ; k++) {
            const { plan, before } = steps[k % steps.length]!;
            await schedule.yieldTimes(before);
            const result = await rb.consume(stoppers.options(plan));
            if (result.ok) consumed.push(result.value);
            else if (result.error === 'stopped') return;
            else await schedule.yield();
          }
        });
        const closer = (async () => {
          await Promise.all(producers);
          await schedule.yield();
          if (c.drain) await rb.shutdownDrain();
          else rb.shutdown();
        })();
        await schedule.run([...producers, ...consumers, closer, stoppers.run(schedule, after)]);
        expectDelivered(delivered, consumed, c.drain);
        expect(rb.waiterCount).toBe(0);
        expect(rb.isStopped).toBe(true);
        expectClean(stoppers);
      }),
      runs,
    );
  });

  it('Queue: each pushed item popped exactly once, in order; nothing left behind', async () => {
    await fc.assert(
      fc.asyncProperty(channelCase, decisions, stopAfter, async (c, picks, after) => {
        const schedule = new RandomSchedule(picks);
        const stoppers = new Stoppers();
        const q = new Queue<string>();
        const delivered: string[] = [];
        const consumed: string[] = [];
        const producers = c.producers.map(async (steps, p) => {
          for (const [i, { before }] of steps.entries()) {
            await schedule.yieldTimes(before);
            expect(q.push(`${p}:${i}`)).toBe('produced');
            delivered.push(`${p}:${i}`);
          }
        });
        const consumers = c.consumers.map(async (steps) => {
          for (let k = 0; ; k++) {
            const { plan, before } = steps[k % steps.length]!;
            await schedule.yieldTimes(before);
            const result = await q.pop(stoppers.options(plan));
            if (result.ok) consumed.push(result.value);
            else if (result.error === 'stopped') return;
            else await schedule.yield();
          }
        });
        const closer = (async () => {
          await Promise.all(producers);
          await schedule.yield();
          if (c.drain) await q.shutdownDrain();
          else q.shutdown();
        })();
        await schedule.run([...producers, ...consumers, closer, stoppers.run(schedule, after)]);
        expectDelivered(delivered, consumed, c.drain);
        expect(q.waiterCount).toBe(0);
        expect(q.isStopped).toBe(true);
        expectClean(stoppers);
      }),
      runs,
    );
  });

  it('ConditionVariable + Mutex: exclusion, exactly-once hand-over, lock held on return', async () => {
    await fc.assert(
      fc.asyncProperty(channelCase, decisions, stopAfter, async (c, picks, after) => {
        const schedule = new RandomSchedule(picks);
        const stoppers = new Stoppers();
        const mutex = new Mutex();
        const cv = new ConditionVariable();
        const items: string[] = [];
        const consumed: string[] = [];
        const delivered: string[] = [];
        let closed = false;
        let inside = 0;
        const enter = () => {
          expect(inside).toBe(0);
          inside++;
        };
        const producers = c.producers.map(async (steps, p) => {
          for (const [i, { before }] of steps.entries()) {
            await schedule.yieldTimes(before);
            using _lock = await mutex.lock();
            enter();
            items.push(`${p}:${i}`);
            delivered.push(`${p}:${i}`);
            if (i % 2 === 0) cv.notifyOne();
            else cv.notifyAll();
            await schedule.yield(); // notify while still holding the lock
            inside--;
          }
        });
        const consumers = c.consumers.map(async (steps) => {
          for (let k = 0; ; k++) {
            const { plan, before } = steps[k % steps.length]!;
            await schedule.yieldTimes(before);
            using lock = await mutex.lock();
            enter();
            inside--;
            const ready = await cv.wait(
              lock,
              () => items.length > 0 || closed,
              stoppers.options(plan),
            );
            expect(lock.isHeld).toBe(true);
            enter();
            if (items.length > 0) {
              expect(ready).toBe(true);
              consumed.push(items.shift()!);
            } else if (closed) {
              inside--;
              return;
            }
            inside--;
          }
        });
        const closer = (async () => {
          await Promise.all(producers);
          await schedule.yield();
          using _lock = await mutex.lock();
          closed = true;
          cv.notifyAll();
        })();
        await schedule.run([...producers, ...consumers, closer, stoppers.run(schedule, after)]);
        expectDelivered(delivered, consumed, true);
        expect(mutex.isLocked).toBe(false);
        expect(cv.waiterCount).toBe(0);
        expect(mutex.waiterCount).toBe(0);
        expectClean(stoppers);
      }),
      runs,
    );
  });

  it('ObjectPool: at most max alive, each object lent to one holder at a time, none lost', async () => {
    const poolAttempt = fc.record({
      plan: waitPlan,
      hold: fc.nat({ max: 3 }),
      before: fc.nat({ max: 2 }),
      breakIt: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        tasksOf(poolAttempt),
        decisions,
        stopAfter,
        async (max, tasks, picks, after) => {
          const schedule = new RandomSchedule(picks);
          const stoppers = new Stoppers();
          let made = 0;
          let destroyed = 0;
          const pool = new ObjectPool({
            create: async () => {
              await schedule.yield();
              return { id: made++, broken: false };
            },
            destroy: () => {
              destroyed++;
            },
            validate: (o) => !o.broken,
            max,
          });
          const holding = new Set<number>();
          const run = async (attempts: (typeof tasks)[number]) => {
            for (const { plan, hold, before, breakIt } of attempts) {
              await schedule.yieldTimes(before);
              const result = await pool.acquire(stoppers.options(plan));
              if (!(result instanceof PoolGuard)) {
                expect(['timeout', 'cancelled']).toContain(result);
                continue;
              }
              expect(holding.has(result.value.id)).toBe(false);
              holding.add(result.value.id);
              expect(pool.size).toBeLessThanOrEqual(max);
              await schedule.yieldTimes(hold);
              holding.delete(result.value.id);
              if (breakIt) result.value.broken = true;
              result.release();
            }
          };
          await schedule.run([...tasks.map(run), stoppers.run(schedule, after)]);
          // An acquire that gave up while its object was being made leaves that creation
          // running; the object joins the pool when it arrives.
          await schedule.finishPending();
          expect(pool.lent).toBe(0);
          expect(pool.waiterCount).toBe(0);
          expect(pool.size).toBe(made - destroyed);
          expect(pool.size).toBeLessThanOrEqual(max);
          await pool.drain();
          expect(destroyed).toBe(made);
          expectClean(stoppers);
        },
      ),
      runs,
    );
  });
});
