import { StopSource, task, whenAll } from '@coro/task';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Event, InvalidArgumentError } from '../src/index.ts';
import { flush, track } from './utils/flush.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('Event', () => {
  it('starts unset, or set when asked', () => {
    expect(new Event().isSet).toBe(false);
    expect(new Event(true).isSet).toBe(true);
  });

  it('resolves waiters with true when set, oldest first by default', async () => {
    const event = new Event();
    const order: number[] = [];
    const waits = [1, 2, 3].map((i) => track(event.wait(), order, i));
    await flush();
    expect(order).toEqual([]);
    expect(event.waiterCount).toBe(3);
    event.set();
    expect(await Promise.all(waits)).toEqual([true, true, true]);
    expect(order).toEqual([1, 2, 3]);
    expect(event.waiterCount).toBe(0);
  });

  it("resumes newest first with set('lifo'), libcoro's order", async () => {
    const event = new Event();
    const order: number[] = [];
    const waits = [1, 2, 3].map((i) => track(event.wait(), order, i));
    event.set('lifo');
    await Promise.all(waits);
    expect(order).toEqual([3, 2, 1]);
  });

  it('keeps the order across plain and timed waiters, in both orders, and after reset()', async () => {
    for (const order of ['fifo', 'lifo'] as const) {
      const event = new Event();
      for (let round = 0; round < 2; round++) {
        const seen: number[] = [];
        const signal = new StopSource().token;
        const waits = [
          track(event.wait(), seen, 1),
          track(event.wait({ timeout: 60_000 }), seen, 2),
          track(event.wait(), seen, 3),
          track(event.wait({ signal }), seen, 4),
        ];
        expect(event.waiterCount).toBe(4);
        event.set(order);
        expect(await Promise.all(waits)).toEqual([true, true, true, true]);
        expect(seen).toEqual(order === 'fifo' ? [1, 2, 3, 4] : [4, 3, 2, 1]);
        expect(event.waiterCount).toBe(0);
        event.reset();
      }
    }
  });

  it('returns the same settled promise on a set event (no allocation)', async () => {
    const event = new Event(true);
    const a = event.wait();
    const b = event.wait();
    expect(a).toBe(b);
    expect(await a).toBe(true);
    expect(await event.wait({ timeout: 0 })).toBe(true);
  });

  it('waits again after reset(); setting twice is harmless', async () => {
    const event = new Event();
    event.set();
    event.set();
    event.reset();
    expect(event.isSet).toBe(false);
    expect(await event.wait({ timeout: 0 })).toBe(false);
    const waiting = event.wait();
    event.set();
    expect(await waiting).toBe(true);
  });

  it('times out with false and leaves no waiter or timer', async () => {
    vi.useFakeTimers();
    const event = new Event();
    const waiting = event.wait({ timeout: 100 });
    expect(event.waiterCount).toBe(1);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(100);
    expect(await waiting).toBe(false);
    expect(event.waiterCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('is cancelled by a StopToken or an AbortSignal with false, already stopped or later', async () => {
    const event = new Event();
    const source = new StopSource();
    const controller = new AbortController();
    const byToken = event.wait({ signal: source.token });
    const bySignal = event.wait({ signal: controller.signal, timeout: 10_000 });
    expect(event.waiterCount).toBe(2);
    source.requestStop();
    controller.abort();
    expect(await byToken).toBe(false);
    expect(await bySignal).toBe(false);
    expect(event.waiterCount).toBe(0);
    expect(await event.wait({ signal: source.token })).toBe(false);
    // A stopped signal wins even over a set event: a cancelled call never succeeds.
    event.set();
    expect(await event.wait({ signal: AbortSignal.abort() })).toBe(false);
  });

  it('clears the timer and the stop registration when set first', async () => {
    vi.useFakeTimers();
    const event = new Event();
    const source = new StopSource();
    const waiting = event.wait({ timeout: 50, signal: source.token });
    event.set();
    expect(vi.getTimerCount()).toBe(0);
    expect(source.token.registrationCount).toBe(0);
    expect(await waiting).toBe(true);
  });

  it('rejects a bad order or bad options at the call', () => {
    const event = new Event();
    expect(() => event.set('random' as 'fifo')).toThrow(InvalidArgumentError);
    expect(() => event.wait({ timeout: -1 })).toThrow(InvalidArgumentError);
    expect(() => event.wait({ timeout: Number.NaN })).toThrow(/timeout/);
  });
});

describe('Event in a coroutine task (yield event)', () => {
  it('resumes the coroutine with true after set() returns, by a plain call', async () => {
    const event = new Event();
    const log: string[] = [];
    const waiter = task(function* () {
      const value = (yield event) as boolean;
      log.push(`resumed ${value}`);
    });
    const done = waiter().start();
    await flush();
    expect(event.waiterCount).toBe(1);
    event.set();
    log.push('set returned');
    await done;
    expect(log).toEqual(['set returned', 'resumed true']);
    expect(event.waiterCount).toBe(0);
  });

  it('does not wait on a set event', async () => {
    const event = new Event(true);
    const waiter = task(function* () {
      let n = 0;
      // Many waits on a set event in a row: resumed at once each time, without recursion.
      for (let i = 0; i < 100_000; i++) if ((yield event) === true) n++;
      return n;
    });
    expect(await waiter()).toBe(100_000);
  });

  it('resumes coroutine and promise waiters alike, in the order asked for', async () => {
    const expected = { fifo: ['c1', 'a1', 'c2', 'a2'], lifo: ['a2', 'c2', 'a1', 'c1'] };
    for (const order of ['fifo', 'lifo'] as const) {
      const event = new Event();
      const log: string[] = [];
      const co = task(function* (id: string) {
        yield event;
        log.push(id);
      });
      const asyncWaiter = task(async (id: string) => {
        await event.wait();
        log.push(id);
      });
      const all = whenAll([co('c1'), asyncWaiter('a1'), co('c2'), asyncWaiter('a2')]).start();
      await flush();
      expect(event.waiterCount).toBe(4);
      event.set(order);
      await all;
      expect(log).toEqual(expected[order]);
    }
  });

  it('waits for the next set() after a reset()', async () => {
    const event = new Event(true);
    event.reset();
    let resumed = 0;
    const waiter = task(function* () {
      yield event;
      resumed++;
      event.reset();
      yield event;
      resumed++;
    });
    const done = waiter().start();
    await flush();
    expect(resumed).toBe(0);
    event.set();
    await flush();
    expect(resumed).toBe(1);
    event.set();
    await done;
    expect(resumed).toBe(2);
  });
});
