import { CancelledError, StopSource, task } from '@coro/task';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IoScheduler, SchedulerModeError, SchedulerShutdownError } from '../src/index.ts';

function manual(): IoScheduler {
  return new IoScheduler({ threadStrategy: 'manual' });
}

/** A small deterministic PRNG (mulberry32) for reproducible "random" delays. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('IoScheduler manual mode (virtual time)', () => {
  it('runs nothing until processEvents, and time stands still until moved', async () => {
    const s = manual();
    const log: string[] = [];
    const worker = task(async () => {
      await s.schedule();
      log.push('scheduled');
      await s.yield();
      log.push('yielded');
    });
    const done = worker().start();
    await new Promise((r) => setTimeout(r, 5));
    expect(log).toEqual([]);
    expect(s.now()).toBe(0);
    expect(s.size).toBe(1);
    expect(await s.processEvents()).toBe(0);
    await done;
    expect(log).toEqual(['scheduled', 'yielded']);
    expect(s.now()).toBe(0);
  });

  it('a 30-second timeout fires in one processEvents call, at virtual 30 s', async () => {
    const s = manual();
    const stopSource = new StopSource();
    const slow = task.withContext(async (ctx) => {
      await s.yieldFor(60_000, { signal: ctx });
      return 'finished';
    });
    const wallStart = performance.now();
    const result = s.schedule(slow(), { timeout: 30_000, stopSource }).start();
    await s.processEvents(30_000);
    expect(await result).toEqual({ ok: false, error: 'timeout' });
    expect(stopSource.stopRequested).toBe(true);
    expect(s.now()).toBe(30_000);
    // No real waiting: waiting for real would take the whole 30 s, however fast the machine.
    expect(performance.now() - wallStart).toBeLessThan(30_000);
    // The stopped task finishes through the scheduler too.
    await s.processEvents();
    expect(s.isEmpty).toBe(true);
  });

  it('timeouts racing completion are decided by virtual time, both ways', async () => {
    const outcome = async (workMs: number, timeoutMs: number) => {
      const s = manual();
      const work = task(async () => {
        await s.yieldFor(workMs);
        return workMs;
      });
      const r = s.schedule(work(), { timeout: timeoutMs }).start();
      await s.processEvents(Math.max(workMs, timeoutMs));
      await s.shutdown();
      return r;
    };
    for (let run = 0; run < 3; run++) {
      expect(await outcome(99, 100)).toEqual({ ok: true, value: 99 });
      expect(await outcome(101, 100)).toEqual({ ok: false, error: 'timeout' });
      // On a tie the timeout wins: at the deadline the task has not yet returned.
      expect(await outcome(100, 100)).toEqual({ ok: false, error: 'timeout' });
    }
  });

  it('processEvents(t) stops at the window and runs nothing past it', async () => {
    const s = manual();
    const fired: number[] = [];
    for (const ms of [10, 20, 30]) s.yieldFor(ms).then(() => fired.push(ms));
    await s.processEvents(15);
    expect(fired).toEqual([10]);
    expect(s.now()).toBe(15);
    expect(s.advanceTime(10)).toBe(25);
    expect(fired).toEqual([10]); // advanceTime runs nothing
    await s.processEvents();
    expect(fired).toEqual([10, 20]);
    await s.processEvents(Number.POSITIVE_INFINITY);
    expect(fired).toEqual([10, 20, 30]);
    expect(s.now()).toBe(30);
  });

  it('timers created while processing are honoured in order within the window', async () => {
    const s = manual();
    const log: string[] = [];
    const chain = task(async () => {
      await s.yieldFor(10);
      log.push(`a@${s.now()}`);
      await s.yieldFor(5); // due at 15, before b's 20
      log.push(`a@${s.now()}`);
    });
    const other = task(async () => {
      await s.yieldFor(20);
      log.push(`b@${s.now()}`);
    });
    const p = Promise.all([chain().start(), other().start()]);
    await s.processEvents(100);
    await p;
    expect(log).toEqual(['a@10', 'a@15', 'b@20']);
  });

  it('ready tasks run before due timers, in FIFO order; a due time point is a plain hop', async () => {
    const s = manual();
    const log: string[] = [];
    s.scheduleAt(0, { signal: new StopSource().token }).then(() => log.push('at 0'));
    s.advanceTime(1);
    s.yieldUntil(0.5, { signal: new StopSource().token }).then(() => log.push('until past'));
    s.yieldFor(5).then(() => log.push('timer'));
    s.schedule().then(() => log.push('schedule'));
    s.yield().then(() => log.push('yield'));
    s.advanceTime(5);
    await s.processEvents();
    expect(log).toEqual(['at 0', 'until past', 'schedule', 'yield', 'timer']);
  });

  it('scheduleAt / yieldUntil use virtual time points; the past runs at once', async () => {
    const s = manual();
    const log: string[] = [];
    s.scheduleAt(500).then(() => log.push(`at ${s.now()}`));
    s.yieldUntil(250).then(() => log.push(`until ${s.now()}`));
    await s.processEvents(1000);
    expect(log).toEqual(['until 250', 'at 500']);
    s.yieldUntil(10).then(() => log.push('past'));
    await s.processEvents();
    expect(log).toEqual(['until 250', 'at 500', 'past']);
  });

  it('a million yieldFor waits with random delays resume in deadline order', async () => {
    const s = manual();
    const n = 1_000_000;
    const random = prng(42);
    const delays = new Uint16Array(n);
    const resumed = new Int32Array(n);
    let count = 0;
    for (let i = 0; i < n; i++) {
      const d = Math.floor(random() * 1000);
      delays[i] = d;
      s.yieldFor(d).then(() => {
        resumed[count++] = i;
      });
    }
    expect(s.size).toBe(n);
    await s.processEvents(Number.POSITIVE_INFINITY);
    expect(count).toBe(n);
    expect(s.size).toBe(0);
    // Deadline order, and FIFO (by index) among equal deadlines.
    let sorted = true;
    for (let k = 1; k < n; k++) {
      const a = resumed[k - 1]!;
      const b = resumed[k]!;
      if (delays[a]! > delays[b]! || (delays[a] === delays[b] && a > b)) {
        sorted = false;
        break;
      }
    }
    expect(sorted).toBe(true);
  }, 60_000);

  it('property: any mix of waits and cancellations resumes in order and leaves nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            delay: fc.integer({ min: 0, max: 50 }),
            cancellable: fc.boolean(),
            cancelAt: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
          }),
          { maxLength: 60 },
        ),
        async (waits) => {
          const s = manual();
          const resumed: number[] = [];
          const cancelled: number[] = [];
          const sources = waits.map(() => new StopSource());
          waits.forEach((w, i) => {
            const options = w.cancellable ? { signal: sources[i]!.token } : undefined;
            s.yieldFor(w.delay, options).then(
              () => resumed.push(i),
              (e) => {
                expect(e).toBeInstanceOf(CancelledError);
                cancelled.push(i);
              },
            );
            if (w.cancellable && w.cancelAt !== undefined) {
              s.yieldFor(w.cancelAt).then(() => sources[i]!.requestStop());
            }
          });
          await s.processEvents(Number.POSITIVE_INFINITY);
          expect(s.size).toBe(0);
          // Which were cancelled: a cancellation strictly before the wait's deadline wins; on
          // a tie, whichever timer was created first fires first (the wait is created first).
          const expectCancelled = waits
            .map((w, i) => [w, i] as const)
            .filter(([w]) => w.cancellable && w.cancelAt !== undefined && w.cancelAt < w.delay)
            .map(([, i]) => i);
          expect([...cancelled].sort((a, b) => a - b)).toEqual(expectCancelled);
          // The others resumed by delay, FIFO among equal delays.
          const expectResumed = waits
            .map((w, i) => [w, i] as const)
            .filter(([, i]) => !expectCancelled.includes(i))
            .sort(([a, i], [b, j]) => a.delay - b.delay || i - j)
            .map(([, i]) => i);
          expect(resumed).toEqual(expectResumed);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('poll timeouts run on virtual time', async () => {
    const { PassThrough } = await import('node:stream');
    const s = manual();
    const stream = new PassThrough();
    const polled = s.poll(stream, 'read', { timeout: 5_000 });
    await s.processEvents(4_999);
    let status: string | undefined;
    polled.then((v) => (status = v));
    await new Promise((r) => setImmediate(r));
    expect(status).toBeUndefined();
    await s.processEvents(1);
    expect(await polled).toBe('timeout');
    expect(stream.listenerCount('readable')).toBe(0);
    stream.destroy();
  });

  it('callAfter runs on virtual time, can be cancelled, and reports a throwing callback', async () => {
    const errors: unknown[] = [];
    const s = new IoScheduler({ threadStrategy: 'manual', onError: (e) => errors.push(e) });
    const log: string[] = [];
    const first = s.callAfter(100, () => log.push(`first@${s.now()}`));
    const second = s.callAfter(200, () => log.push('second'));
    s.callAfter(150, () => {
      throw new Error('callback bug');
    });
    expect(s.size).toBe(3);
    await s.processEvents(120);
    expect(log).toEqual(['first@100']);
    expect(first.pending).toBe(false);
    expect(first.cancel()).toBe(false);
    expect(second.cancel()).toBe(true);
    expect(second.pending).toBe(false);
    await s.processEvents(1000);
    expect(log).toEqual(['first@100']);
    expect(errors.map((e) => (e as Error).message)).toEqual(['callback bug']);
    {
      using scoped = s.callAfter(10, () => log.push('scoped'));
      expect(scoped.pending).toBe(true);
    }
    await s.processEvents(100);
    expect(log).toEqual(['first@100']);
    expect(s.isEmpty).toBe(true);
    expect(() => s.callAfter(-1, () => {})).toThrow();
    expect(() => s.callAfter(1, 'x' as unknown as () => void)).toThrow();
  });

  it('shutdown drives the scheduler itself, advancing virtual time', async () => {
    const s = manual();
    let finished = false;
    s.spawnDetached(
      task(async () => {
        await s.yieldFor(3_600_000);
        finished = true;
      })(),
    );
    await s.shutdown();
    expect(finished).toBe(true);
    expect(s.now()).toBe(3_600_000);
    expect(s.state).toBe('stopped');
    expect(() => s.spawnDetached(Promise.resolve())).toThrow(SchedulerShutdownError);
  });

  it('an abort outside processEvents resumes nothing until processEvents runs', async () => {
    const { PassThrough } = await import('node:stream');
    const s = manual();
    const stop = new StopSource();
    const gate = Promise.withResolvers<void>();
    const log: string[] = [];
    s.yieldFor(1_000, { signal: stop.token }).then(
      () => log.push('slept'),
      (e) => log.push(e instanceof CancelledError ? 'sleep cancelled' : 'sleep failed'),
    );
    s.scheduleAfter(1_000, { signal: stop.token }).then(
      () => log.push('scheduled'),
      () => log.push('scheduleAfter cancelled'),
    );
    s.schedule(gate.promise, { signal: stop.token })
      .start()
      .then((r) => log.push(`schedule ${r.ok ? 'ok' : r.error}`));
    const stream = new PassThrough();
    s.poll(stream, 'read', { signal: stop.token }).then((status) => log.push(`poll ${status}`));
    await s.processEvents(); // schedule(task) hops onto the scheduler
    stop.requestStop();
    await new Promise((r) => setTimeout(r, 5));
    expect(log).toEqual([]);
    expect(s.size).toBeGreaterThan(0);
    await s.processEvents();
    expect([...log].sort()).toEqual([
      'poll cancelled',
      'schedule cancelled',
      'scheduleAfter cancelled',
      'sleep cancelled',
    ]);
    gate.resolve();
    await gate.promise;
    await s.processEvents();
    expect(s.isEmpty).toBe(true);
    stream.destroy();
  });

  it('outside promises given to schedule(task) are handed over inside processEvents', async () => {
    const s = manual();
    const outside = Promise.withResolvers<number>();
    const timed = Promise.withResolvers<number>();
    const log: string[] = [];
    s.schedule(outside.promise)
      .start()
      .then((v) => log.push(`plain ${v}`));
    s.schedule(timed.promise, { timeout: 1_000 })
      .start()
      .then((r) => log.push(`timed ${r.ok ? r.value : r.error}`));
    await s.processEvents();
    outside.resolve(1);
    timed.resolve(2);
    await new Promise((r) => setTimeout(r, 5));
    expect(log).toEqual([]);
    await s.processEvents();
    expect(log).toEqual(['plain 1', 'timed 2']);
    expect(s.isEmpty).toBe(true);
  });

  it('refuses a second concurrent processEvents and is not usable in spawn mode', async () => {
    const s = manual();
    s.yield();
    const first = s.processEvents();
    expect(() => s.processEvents()).toThrow(SchedulerModeError);
    await first;
    expect(() => s.processEvents(-1)).toThrow();
  });
});
