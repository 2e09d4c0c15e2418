import { StopSource } from '@coro/task';
import { describe, expect, it } from 'vitest';
import {
  Event,
  InvalidArgumentError,
  Latch,
  NegativeCountError,
  WaitGroup,
} from '../../src/threads/index.ts';
import { runWorker, until } from './helpers.ts';

describe('threads Event', () => {
  it('wakes waiters on every thread when set, and resets', async () => {
    const event = new Event();
    const remote = [1, 2, 3].map(() => runWorker<boolean>('eventWait', { event }));
    const local = event.wait();
    await until(() => event.waiterCount === 4, 'four waiters');
    event.set();
    expect(await Promise.all(remote)).toEqual([true, true, true]);
    expect(await local).toBe(true);
    expect(event.isSet).toBe(true);
    expect(await event.wait({ timeout: 0 })).toBe(true);
    event.reset();
    expect(event.isSet).toBe(false);
    expect(await event.wait({ timeout: 5 })).toBe(false);
    expect(event._freeSlots).toBe(1024);
  });

  it('resumes in fifo or lifo order', async () => {
    for (const order of ['fifo', 'lifo'] as const) {
      const event = new Event();
      const seen: number[] = [];
      const waits = [1, 2, 3].map(async (n) => {
        await event.wait();
        seen.push(n);
      });
      await until(() => event.waiterCount === 3, 'three waiters');
      event.set(order);
      await Promise.all(waits);
      expect(seen).toEqual(order === 'fifo' ? [1, 2, 3] : [3, 2, 1]);
    }
  });

  it('returns false on stop and timeout, leaving no waiter', async () => {
    const event = new Event();
    const source = new StopSource();
    const pending = event.wait({ signal: source.token, timeout: 60_000 });
    await until(() => event.waiterCount === 1, 'a waiter');
    source.requestStop();
    expect(await pending).toBe(false);
    expect(await event.wait({ signal: AbortSignal.abort() })).toBe(false);
    expect(event.waiterCount).toBe(0);
    expect(event._freeSlots).toBe(1024);
    expect(await new Event(true).wait()).toBe(true);
  });
});

describe('threads Latch', () => {
  it('opens when workers count it down to zero', async () => {
    const latch = new Latch(3);
    const start = new Event();
    const remote = [1, 2, 3].map(() => runWorker<boolean>('latchCountDown', { latch, start }));
    expect(await latch.wait({ timeout: 5 })).toBe(false);
    start.set();
    expect(await latch.wait()).toBe(true);
    expect(await Promise.all(remote)).toEqual([true, true, true]);
    expect(latch.isReady).toBe(true);
    expect(latch.remaining).toBe(0);
    expect(latch._freeSlots).toBe(1024);
  });

  it('validates and never counts below zero', () => {
    expect(() => new Latch(-1)).toThrow(InvalidArgumentError);
    const latch = new Latch(2);
    latch.countDown(5);
    expect(latch.remaining).toBe(0);
    expect(() => latch.countDown(-1)).toThrow(InvalidArgumentError);
  });
});

describe('threads WaitGroup', () => {
  it('waits for done() from workers, and workers wait for the main thread', async () => {
    const group = new WaitGroup();
    const back = new WaitGroup(1);
    group.add(3);
    const remote = [1, 2, 3].map(() => runWorker<boolean>('waitGroupDone', { group, back }));
    expect(await group.wait()).toBe(true);
    expect(group.count).toBe(0);
    await until(() => back.waiterCount === 3, 'three workers waiting');
    back.done();
    expect(await Promise.all(remote)).toEqual([true, true, true]);
    expect(back._freeSlots).toBe(1024);
  });

  it('throws NegativeCountError below zero, changing nothing', async () => {
    const group = new WaitGroup(1);
    expect(() => group.add(-2)).toThrow(NegativeCountError);
    expect(group.count).toBe(1);
    expect(await group.wait({ timeout: 1 })).toBe(false);
    group.done();
    expect(() => group.done()).toThrow(
      expect.objectContaining({ code: 'ERR_CORO_NEGATIVE_COUNT' }),
    );
    expect(await group.wait()).toBe(true);
  });
});
