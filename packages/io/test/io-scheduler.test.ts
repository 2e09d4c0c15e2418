import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { CancelledError, InvalidArgumentError, StopSource, task, whenAll } from '@coro/task';
import { describe, expect, it } from 'vitest';
import {
  IoScheduler,
  SchedulerModeError,
  SchedulerShutdownError,
  TaskGroup,
} from '../src/index.ts';
import { schedulerFactory } from './utils/schedulers.ts';

const make = schedulerFactory();

/**
 * Timers of the whole process. Other code's timers may end while a test runs, so tests check
 * the scheduler's own timer exactly (`_timerArmed`) and only that this count did not grow.
 */
function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('IoScheduler (event loop)', () => {
  it('runs tasks that schedule onto it and returns their results', async () => {
    const s = make();
    const work = task(async (x: number) => {
      await s.schedule();
      return x * 2;
    });
    expect(await whenAll([work(1), work(2), work(3)])).toEqual([2, 4, 6]);
    expect(s.isEmpty).toBe(true);
  });

  it('resumes schedule() callers in FIFO order', async () => {
    const s = make();
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        await s.schedule();
        order.push(i);
        await s.schedule();
        order.push(10 + i);
      }),
    );
    expect(order).toEqual([0, 1, 2, 3, 10, 11, 12, 13]);
  });

  it('interleaves yielders round-robin, one batch per loop turn', async () => {
    const s = make();
    const order: string[] = [];
    const worker = async (name: string) => {
      for (let i = 0; i < 3; i++) {
        order.push(`${name}${i}`);
        await s.yield();
      }
    };
    await Promise.all([worker('a'), worker('b')]);
    expect(order).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
  });

  it('yield() lets pending I/O callbacks and timers run, unlike schedule()', async () => {
    const s = make();
    let immediateRan = false;
    setImmediate(() => {
      immediateRan = true;
    });
    await s.schedule();
    expect(immediateRan).toBe(false);
    await s.yield();
    expect(immediateRan).toBe(true);
  });

  it('a task yielding in a loop does not starve a socket or a timer', async () => {
    const s = make();
    const { createServer, connect } = await import('node:net');
    const server = createServer((socket) => socket.end('hello'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    let received = '';
    let timerFired = false;
    setTimeout(() => {
      timerFired = true;
    }, 5);
    const client = connect(port, '127.0.0.1');
    client.setEncoding('utf8').on('data', (d: string) => (received += d));
    let spins = 0;
    while ((received !== 'hello' || !timerFired) && spins < 1_000_000) {
      spins++;
      await s.yield();
    }
    client.destroy();
    server.close();
    expect(received).toBe('hello');
    expect(timerFired).toBe(true);
  });

  it('resumes timed waits in deadline order, FIFO among equal deadlines', async () => {
    const s = make();
    const order: string[] = [];
    const wait = async (name: string, ms: number) => {
      await s.yieldFor(ms);
      order.push(name);
    };
    await Promise.all([wait('c', 60), wait('a', 10), wait('b', 30), wait('d', 60)]);
    expect(order).toEqual(['a', 'b', 'c', 'd']);
  });

  it('waits at least the requested time', async () => {
    const s = make();
    const start = performance.now();
    await s.yieldFor(25);
    expect(performance.now() - start).toBeGreaterThanOrEqual(24);
    const t0 = s.now();
    await s.scheduleAt(t0 + 15);
    expect(s.now()).toBeGreaterThanOrEqual(t0 + 14);
  });

  it('scheduleAfter and yieldUntil work, and a past time point runs at once', async () => {
    const s = make();
    await s.scheduleAfter(5);
    await s.yieldUntil(s.now() + 5);
    await s.yieldUntil(s.now() - 1000);
    await s.scheduleAt(0);
    expect(s.isEmpty).toBe(true);
  });

  it('rejects bad durations and time points at the call', () => {
    const s = make();
    for (const bad of [-1, Number.NaN, Number.NEGATIVE_INFINITY, '5' as unknown as number]) {
      expect(() => s.yieldFor(bad)).toThrow(InvalidArgumentError);
      expect(() => s.scheduleAfter(bad)).toThrow(InvalidArgumentError);
    }
    expect(() => s.yieldUntil(Number.NaN)).toThrow(InvalidArgumentError);
    expect(() => s.scheduleAt(Number.NEGATIVE_INFINITY)).toThrow(InvalidArgumentError);
    expect(() => s.schedule(42 as unknown as Promise<number>)).toThrow(InvalidArgumentError);
    expect(() => s.spawnDetached({} as Promise<void>)).toThrow(InvalidArgumentError);
    expect(() => new IoScheduler({ threadStrategy: 'pool' as 'manual' })).toThrow(
      InvalidArgumentError,
    );
    expect(() => s.schedule(Promise.resolve(1), { timeout: -5 })).toThrow(InvalidArgumentError);
    expect(() => s.processEvents()).toThrow(SchedulerModeError);
    expect(() => s.advanceTime(1)).toThrow(SchedulerModeError);
  });

  it('rejects options that are not an object (null, a number) at the call', () => {
    const s = make();
    const stream = new PassThrough();
    for (const bad of [null, 5, 'x'] as unknown as object[]) {
      expect(() => s.schedule(Promise.resolve(1), bad)).toThrow(InvalidArgumentError);
      expect(() => s.yieldFor(5, bad)).toThrow(InvalidArgumentError);
      expect(() => s.yieldFor(0, bad)).toThrow(InvalidArgumentError);
      expect(() => s.yieldUntil(s.now() + 5, bad)).toThrow(InvalidArgumentError);
      expect(() => s.scheduleAfter(5, bad)).toThrow(InvalidArgumentError);
      expect(() => s.scheduleAt(s.now() - 5, bad)).toThrow(InvalidArgumentError);
      expect(() => s.poll(stream, 'read', bad)).toThrow(InvalidArgumentError);
      expect(() => new TaskGroup(s, bad)).toThrow(InvalidArgumentError);
      expect(() => new IoScheduler(bad)).toThrow(InvalidArgumentError);
    }
    // Nothing was left pending by the refused calls.
    expect(s.size).toBe(0);
  });

  it('refuses an option the constructor does not take, naming it and what it takes', () => {
    for (const options of [
      { threadStrategi: 'manual' },
      { threadStrategy: 'manual', onerror: () => {} },
      { executionstrategy: 'inline' },
      { onIoThreadStart: () => {}, onThreadStart: () => {} },
    ]) {
      expect(() => new IoScheduler(options as never)).toThrow(InvalidArgumentError);
    }
    expect(() => new IoScheduler({ threadStrategi: 'manual' } as never)).toThrow(
      'IoScheduler: unknown option "threadStrategi" (it takes threadStrategy, executionStrategy, pool, onIoThreadStart, onIoThreadStop, onError)',
    );
    // The ones left undefined are fine; every option with a value is in pool.test.ts.
    const all = {
      threadStrategy: undefined,
      executionStrategy: undefined,
      pool: undefined,
      onIoThreadStart: undefined,
      onIoThreadStop: undefined,
      onError: undefined,
    };
    expect(make(all).threadStrategy).toBe('spawn');
  });

  it('a cancelled timed wait rejects with CancelledError and leaves no timer behind', async () => {
    const s = make();
    const before = activeTimeouts();
    const source = new StopSource();
    const waiting = s.yieldFor(60_000, { signal: source.token });
    expect(s.size).toBe(1);
    expect(s._timerArmed).toBe(true);
    expect(activeTimeouts()).toBeLessThanOrEqual(before + 1);
    source.requestStop('enough');
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    expect(s.size).toBe(0);
    expect(s._timerArmed).toBe(false);
    expect(activeTimeouts()).toBeLessThanOrEqual(before);
    // An already-stopped signal rejects without installing anything.
    await expect(s.yieldFor(10, { signal: source.token })).rejects.toBeInstanceOf(CancelledError);
    const controller = new AbortController();
    const viaAbort = s.scheduleAfter(60_000, { signal: controller.signal });
    controller.abort();
    await expect(viaAbort).rejects.toBeInstanceOf(CancelledError);
    expect(s._timerArmed).toBe(false);
    expect(activeTimeouts()).toBeLessThanOrEqual(before);
  });

  it('a callAfter cancelled by an earlier callback of the same deadline keeps size right', async () => {
    const s = make();
    const log: string[] = [];
    let second: ReturnType<IoScheduler['callAfter']> | undefined;
    const ran = Promise.withResolvers<void>();
    const first = s.callAfter(10, () => {
      log.push('first');
      expect(second!.cancel()).toBe(true);
      ran.resolve();
    });
    second = s.callAfter(10, () => log.push('second'));
    expect(s.size).toBe(2);
    await ran.promise;
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['first']);
    expect(first.pending).toBe(false);
    expect(s.size).toBe(0);
    expect(s.isEmpty).toBe(true);
    expect(s._timerArmed).toBe(false);
  });

  it('callAfter fires on the event loop; a cancelled one keeps nothing alive', async () => {
    const s = make();
    const before = activeTimeouts();
    // Read before scheduling: the deadline is at least 5 ms after this, however long the
    // machine takes between the two statements.
    const start = s.now();
    const fired = new Promise<number>((resolve) => s.callAfter(5, () => resolve(s.now())));
    expect(await fired).toBeGreaterThanOrEqual(start + 5);
    const call = s.callAfter(60_000, () => {});
    expect(s._timerArmed).toBe(true);
    expect(activeTimeouts()).toBeLessThanOrEqual(before + 1);
    expect(call.cancel()).toBe(true);
    expect(s._timerArmed).toBe(false);
    expect(activeTimeouts()).toBeLessThanOrEqual(before);
    expect(s.isEmpty).toBe(true);
  });

  it('100,000 cancelled timers leave nothing', async () => {
    const s = make();
    const before = activeTimeouts();
    const source = new StopSource();
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 100_000; i++) {
      waits.push(s.yieldFor(1000 + (i % 977), { signal: source.token }));
    }
    expect(s.size).toBe(100_000);
    source.requestStop();
    const outcomes = await Promise.allSettled(waits);
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    expect(s.size).toBe(0);
    expect(s._timerArmed).toBe(false);
    expect(activeTimeouts()).toBeLessThanOrEqual(before);
  });

  it('cancelling some waits of a deadline keeps the others in order', async () => {
    const s = make();
    const order: number[] = [];
    const sources = Array.from({ length: 40 }, () => new StopSource());
    const waits = sources.map((source, i) =>
      s.yieldFor(20, { signal: source.token }).then(
        () => order.push(i),
        () => {},
      ),
    );
    for (let i = 0; i < 40; i += 3) sources[i]!.requestStop();
    await Promise.all(waits);
    expect(order).toEqual(Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 3 !== 0));
  });

  it('schedule(task) is lazy and runs the task on the scheduler', async () => {
    const s = make();
    let ran = false;
    const t = s.schedule(
      task(async () => {
        ran = true;
        return 'done';
      })(),
    );
    await s.yield();
    expect(ran).toBe(false);
    expect(await t).toBe('done');
    expect(ran).toBe(true);
  });

  it('schedule(task, { timeout }) returns the value when the task wins', async () => {
    const s = make();
    const before = activeTimeouts();
    const quick = task(async () => {
      await s.yieldFor(5);
      return 7;
    });
    expect(await s.schedule(quick(), { timeout: 5000 })).toEqual({ ok: true, value: 7 });
    expect(s._timerArmed).toBe(false);
    expect(activeTimeouts()).toBeLessThanOrEqual(before);
    expect(s.isEmpty).toBe(true);
  });

  it('schedule(task, { timeout }) times out, requests stop, and still accounts for the task', async () => {
    const s = make();
    const stopSource = new StopSource();
    let sawStop = false;
    const slow = task.withContext(async (ctx) => {
      try {
        await s.yieldFor(60_000, { signal: ctx });
      } catch (error) {
        sawStop = error instanceof CancelledError;
        throw error;
      }
    });
    const result = await s.schedule(slow(), { timeout: 10, stopSource });
    expect(result).toEqual({ ok: false, error: 'timeout' });
    expect(stopSource.stopRequested).toBe(true);
    await s.shutdown(); // waits for the stopped task; its rejection is not unhandled
    expect(sawStop).toBe(true);
  });

  it('schedule(task, { signal }) resolves with cancelled', async () => {
    const s = make();
    const controller = new AbortController();
    const never = task.withContext(async (ctx) => {
      await s.yieldFor(60_000, { signal: ctx });
    });
    const pending = s.schedule(never(), { signal: controller.signal }).start();
    await s.yieldFor(5);
    controller.abort();
    expect(await pending).toEqual({ ok: false, error: 'cancelled' });
  });

  it('schedule(task) rethrows the task error', async () => {
    const s = make();
    const boom = task(async () => {
      throw new Error('boom');
    });
    await expect(s.schedule(boom())).rejects.toThrow('boom');
    await expect(s.schedule(boom(), { timeout: 100 })).rejects.toThrow('boom');
  });

  it('spawnDetached runs on the scheduler and reports errors to onError', async () => {
    const errors: unknown[] = [];
    const s = make({ onError: (e) => errors.push(e) });
    const seen: string[] = [];
    s.spawnDetached(
      task(async () => {
        seen.push('ran');
      })(),
    );
    s.spawnDetached(Promise.reject(new Error('detached failure')));
    expect(seen).toEqual([]); // started from the run queue, not inline
    expect(s.size).toBeGreaterThanOrEqual(2);
    await s.shutdown();
    expect(seen).toEqual(['ran']);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('detached failure');
  });

  it('spawnJoinable completes with the task and rejects with its error', async () => {
    const errors: unknown[] = [];
    const s = make({ onError: (e) => errors.push(e) });
    let value = 0;
    const join = s.spawnJoinable(
      task(async () => {
        await s.yieldFor(5);
        value = 1;
      })(),
    );
    await join;
    expect(value).toBe(1);
    const failing = s.spawnJoinable(Promise.reject(new Error('joined failure')));
    await expect(failing).rejects.toThrow('joined failure');
    expect(errors).toEqual([]);
    // Nobody joins this one: its error goes to onError.
    s.spawnJoinable(Promise.reject(new Error('lonely failure')));
    await s.shutdown();
    expect(errors.map((e) => (e as Error).message)).toEqual(['lonely failure']);
  });

  it('shutdown waits for spawned work in flight, then refuses new work', async () => {
    const stops: string[] = [];
    const s = make({
      onIoThreadStart: () => stops.push('start'),
      onIoThreadStop: () => stops.push('stop'),
    });
    let finished = 0;
    for (let i = 0; i < 5; i++) {
      s.spawnDetached(
        task(async () => {
          await s.yieldFor(10 + i);
          await s.yield();
          finished++;
        })(),
      );
    }
    const done = s.shutdown();
    expect(s.state).toBe('stopping');
    expect(() => s.spawnDetached(Promise.resolve())).toThrow(SchedulerShutdownError);
    expect(s.shutdown()).toBe(done);
    await done;
    expect(finished).toBe(5);
    expect(stops).toEqual(['start', 'stop']);
    expect(s.state).toBe('stopped');
    expect(() => s.spawnDetached(Promise.resolve())).toThrow(SchedulerShutdownError);
    expect(() => s.spawnJoinable(Promise.resolve())).toThrow(SchedulerShutdownError);
    expect(() => s.schedule()).toThrow(SchedulerShutdownError);
    expect(() => s.yield()).toThrow(SchedulerShutdownError);
    expect(() => s.yieldFor(1)).toThrow(SchedulerShutdownError);
    try {
      s.schedule();
    } catch (error) {
      expect((error as SchedulerShutdownError).code).toBe('ERR_CORO_SCHEDULER_SHUTDOWN');
    }
  });

  it('is an Executor and an AsyncDisposable', async () => {
    let stopped = false;
    {
      await using s = new IoScheduler({ onIoThreadStop: () => (stopped = true) });
      s.spawnDetached(
        task(async () => {
          await s.yield();
        })(),
      );
    }
    expect(stopped).toBe(true);
  });
});
