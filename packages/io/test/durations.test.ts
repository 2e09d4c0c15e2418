import { PassThrough } from 'node:stream';
import { InvalidArgumentError, StopSource } from '@coro/task';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { schedulerFactory } from './utils/schedulers.ts';

const make = schedulerFactory();

afterEach(() => {
  vi.useRealTimers();
});

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // synchronous work
  }
}

/** Collects the process warnings emitted while `body` runs (and one turn after). */
async function warningsDuring(body: () => Promise<void>): Promise<string[]> {
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
  process.on('warning', onWarning);
  try {
    await body();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  return warnings;
}

describe('durations: measured from the call, on a fresh clock reading', () => {
  it('a timed wait after synchronous work still lasts its full duration', async () => {
    const s = make();
    // A first timed wait in this run of synchronous code reads the clock...
    const first = s.yieldFor(1);
    // ...then 40 ms of synchronous work, then a 20 ms wait: it must last 20 ms from here.
    busy(40);
    const start = performance.now();
    await s.yieldFor(20);
    const waited = performance.now() - start;
    await first;
    expect(waited).toBeGreaterThanOrEqual(20);
  });

  it('every timed wait is measured from its own call: scheduleAfter, callAfter, schedule timeout', async () => {
    const s = make();
    const first = s.yieldFor(1);
    busy(30);
    const start = performance.now();
    const after = s.scheduleAfter(15).then(() => performance.now() - start);
    const called = new Promise<number>((resolve) =>
      s.callAfter(15, () => resolve(performance.now() - start)),
    );
    const gate = Promise.withResolvers<void>();
    const timedOut = s
      .schedule(gate.promise, { timeout: 15 })
      .start()
      .then(() => performance.now() - start);
    await first;
    for (const waited of await Promise.all([after, called, timedOut])) {
      expect(waited).toBeGreaterThanOrEqual(15);
    }
    gate.resolve();
  });
});

describe('durations above 2^31-1 ms', () => {
  it('yieldFor(2 ** 32) prints no TimeoutOverflowWarning and keeps one quiet timer', async () => {
    const s = make();
    const stop = new StopSource();
    let settled = false;
    const warnings = await warningsDuring(async () => {
      const sleeping = s.yieldFor(2 ** 32, { signal: stop.token });
      sleeping.then(
        () => {
          settled = true;
        },
        () => {},
      );
      // Long enough for a wrongly armed (1 ms) timer to fire several times.
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(settled).toBe(false);
      expect(s.size).toBe(1);
      expect(s._timerArmed).toBe(true);
      stop.requestStop();
      await expect(sleeping).rejects.toThrow();
    });
    expect(warnings).toEqual([]);
    expect(s._timerArmed).toBe(false);
    expect(s.isEmpty).toBe(true);
  });

  it('clamps the armed libuv delay and re-arms until the far deadline is reached', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const s = make();
    const far = 2 ** 31 + 10_000; // just above the largest delay a Node timer takes
    let resolved = false;
    s.yieldFor(far).then(() => {
      resolved = true;
    });
    for (const call of setTimeoutSpy.mock.calls) expect(call[1]).toBeLessThanOrEqual(2 ** 31 - 1);
    await vi.advanceTimersByTimeAsync(2 ** 31 - 1);
    expect(resolved).toBe(false); // the first, clamped timer fired: nothing was due yet
    await vi.advanceTimersByTimeAsync(10_002);
    expect(resolved).toBe(true);
    for (const call of setTimeoutSpy.mock.calls) expect(call[1]).toBeLessThanOrEqual(2 ** 31 - 1);
    // One arm for the first stretch, one re-arm for the rest (not one every millisecond).
    expect(setTimeoutSpy.mock.calls.length).toBeLessThanOrEqual(3);
    expect(s._timerArmed).toBe(false);
  });

  it('a schedule timeout, callAfter and poll timeout above 2^31-1 ms are accepted', async () => {
    const s = make();
    const gate = Promise.withResolvers<void>();
    const stop = new StopSource();
    const stream = new PassThrough();
    const warnings = await warningsDuring(async () => {
      const result = s.schedule(gate.promise, { timeout: 2 ** 33, signal: stop.token }).start();
      const call = s.callAfter(2 ** 40, () => {});
      const polled = s.poll(stream, 'read', { timeout: 2 ** 35, signal: stop.token });
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(call.pending).toBe(true);
      call.cancel();
      stop.requestStop();
      expect(await result).toEqual({ ok: false, error: 'cancelled' });
      expect(await polled).toBe('cancelled');
    });
    gate.resolve();
    expect(warnings).toEqual([]);
  });

  it('in manual mode a far deadline fires at its virtual time', async () => {
    const s = make({ threadStrategy: 'manual' });
    const fired: number[] = [];
    s.yieldFor(2 ** 32).then(() => fired.push(s.now()));
    await s.processEvents(Number.POSITIVE_INFINITY);
    expect(fired).toEqual([2 ** 32]);
  });
});

describe('Infinity means no deadline', () => {
  it('yieldFor(Infinity) waits until its signal stops, with no libuv timer', async () => {
    const s = make();
    const stop = new StopSource();
    const sleeping = s.yieldFor(Number.POSITIVE_INFINITY, { signal: stop.token });
    const late = s.scheduleAfter(Number.POSITIVE_INFINITY, { signal: stop.token });
    const until = s.yieldUntil(Number.POSITIVE_INFINITY, { signal: stop.token });
    expect(s.size).toBe(3);
    expect(s._timerArmed).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 5));
    stop.requestStop();
    await expect(sleeping).rejects.toThrow();
    await expect(late).rejects.toThrow();
    await expect(until).rejects.toThrow();
    expect(s.isEmpty).toBe(true);
  });

  it('schedule(task, { timeout: Infinity }) never times out', async () => {
    const s = make({ threadStrategy: 'manual' });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const result = s
      .schedule(
        gate.then(() => 7),
        { timeout: Number.POSITIVE_INFINITY },
      )
      .start();
    await s.processEvents(Number.POSITIVE_INFINITY);
    release();
    await new Promise((r) => setTimeout(r, 1)); // the outside promise settles in real time
    await s.processEvents();
    expect(await result).toEqual({ ok: true, value: 7 });
  });

  it('processEvents(Infinity) does not run a wait without deadline', async () => {
    const s = make({ threadStrategy: 'manual' });
    const stop = new StopSource();
    let ended = false;
    s.yieldFor(Number.POSITIVE_INFINITY, { signal: stop.token }).then(
      () => {
        ended = true;
      },
      () => {},
    );
    await s.processEvents(Number.POSITIVE_INFINITY);
    expect(ended).toBe(false);
    expect(s.now()).toBe(0);
    stop.requestStop();
    await s.processEvents();
    expect(s.isEmpty).toBe(true);
  });
});

describe('bad durations fail at the call', () => {
  const bad: unknown[] = [-1, Number.NaN, Number.NEGATIVE_INFINITY, '5', null, {}, undefined];
  it.each(bad)('%s is an InvalidArgumentError everywhere', (ms) => {
    const s = make();
    const value = ms as number;
    expect(() => s.yieldFor(value)).toThrow(InvalidArgumentError);
    expect(() => s.scheduleAfter(value)).toThrow(InvalidArgumentError);
    expect(() => s.callAfter(value, () => {})).toThrow(InvalidArgumentError);
    // `timeout: undefined` is "no timeout", as everywhere.
    if (ms !== undefined) {
      expect(() => s.schedule(Promise.resolve(1), { timeout: value })).toThrow(
        InvalidArgumentError,
      );
    }
    expect(s.isEmpty).toBe(true);
  });

  it('a time point must be a number; +Infinity is "never", NaN and -Infinity are refused', () => {
    const s = make();
    for (const t of [Number.NaN, Number.NEGATIVE_INFINITY, '1', null]) {
      expect(() => s.yieldUntil(t as number)).toThrow(InvalidArgumentError);
      expect(() => s.scheduleAt(t as number)).toThrow(InvalidArgumentError);
    }
  });

  it('0 is "only if ready now": a due wait, no timer', async () => {
    const s = make();
    const waits = [s.yieldFor(0), s.scheduleAfter(0)];
    expect(s._timerArmed).toBe(false);
    await Promise.all(waits);
    const result = await s.schedule(Promise.resolve(3), { timeout: 0 });
    expect(result.ok === true || result.error === 'timeout').toBe(true);
    expect(s.isEmpty).toBe(true);
  });
});
