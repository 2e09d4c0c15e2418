import { afterEach, describe, expect, it, vi } from 'vitest';
import { Queue } from '../src/index.ts';
import { flush } from './utils/flush.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('Queue', () => {
  it('pushes without waiting and pops in order', async () => {
    const q = new Queue<number>();
    for (let i = 0; i < 100; i++) expect(q.push(i)).toBe('produced');
    expect(q.size).toBe(100);
    for (let i = 0; i < 100; i++) expect(await q.pop()).toEqual({ ok: true, value: i });
    expect(q.isEmpty).toBe(true);
    expect(q.tryPop()).toEqual({ ok: false, error: 'empty' });
  });

  it('serves waiting consumers first come, first served, each item once', async () => {
    const q = new Queue<string>();
    const pops = [q.pop(), q.pop(), q.pop()];
    await flush();
    expect(q.waiterCount).toBe(3);
    q.push('a');
    q.push('b');
    q.push('c');
    expect(await Promise.all(pops)).toEqual([
      { ok: true, value: 'a' },
      { ok: true, value: 'b' },
      { ok: true, value: 'c' },
    ]);
    expect(q.size).toBe(0);
  });

  it('keeps order across growth and wrap-around', () => {
    const q = new Queue<number>();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 37; i++) q.push(next++);
      for (let i = 0; i < 30; i++) {
        const r = q.tryPop();
        expect(r).toEqual({ ok: true, value: expected++ });
      }
    }
    while (q.size > 0) expect(q.tryPop()).toEqual({ ok: true, value: expected++ });
    expect(expected).toBe(next);
  });

  it("shutdown() wakes consumers with 'stopped' and refuses pushes", async () => {
    const q = new Queue<number>();
    const waiting = q.pop();
    q.shutdown();
    expect(await waiting).toEqual({ ok: false, error: 'stopped' });
    expect(q.push(1)).toBe('stopped');
    expect(await q.pop()).toEqual({ ok: false, error: 'stopped' });
    expect(q.tryPop()).toEqual({ ok: false, error: 'stopped' });
    expect(q.isStopped).toBe(true);
  });

  it('shutdownDrain() lets consumers take what is left, then stops; iteration ends', async () => {
    const q = new Queue<number>();
    q.push(1);
    q.push(2);
    const drained = q.shutdownDrain();
    expect(q.push(3)).toBe('stopped');
    const got: number[] = [];
    for await (const v of q) got.push(v);
    expect(got).toEqual([1, 2]);
    await drained;
    expect(q.isStopped).toBe(true);
    await q.shutdownDrain();
  });

  it('an empty queue stops at once on shutdownDrain, waking its consumers', async () => {
    const q = new Queue<number>();
    const waiting = q.pop();
    await q.shutdownDrain();
    expect(await waiting).toEqual({ ok: false, error: 'stopped' });
  });

  it('gives up with timeout and cancelled, leaving no waiter or timer', async () => {
    vi.useFakeTimers();
    const q = new Queue<number>();
    const timed = q.pop({ timeout: 30 });
    const controller = new AbortController();
    const cancelled = q.pop({ signal: controller.signal });
    controller.abort();
    vi.advanceTimersByTime(30);
    expect(await timed).toEqual({ ok: false, error: 'timeout' });
    expect(await cancelled).toEqual({ ok: false, error: 'cancelled' });
    expect(await q.pop({ timeout: 0 })).toEqual({ ok: false, error: 'timeout' });
    expect(q.waiterCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    q.push(5);
    expect(await q.pop({ timeout: 0 })).toEqual({ ok: true, value: 5 });
  });

  it('iterating consumers and pop() callers share one line, served in order', async () => {
    const q = new Queue<number>();
    const seen: string[] = [];
    const iterating = (async () => {
      for await (const v of q) seen.push(`iter ${v}`);
      seen.push('iter done');
    })();
    await flush();
    const popped = q.pop();
    q.push(1); // to the iterator, waiting first
    q.push(2); // to pop()
    expect(await popped).toEqual({ ok: true, value: 2 });
    q.push(3);
    await flush();
    q.shutdown();
    await iterating;
    expect(seen).toEqual(['iter 1', 'iter 3', 'iter done']);
    expect(q.waiterCount).toBe(0);
  });

  it('breaking out of a for await leaves the queue running', async () => {
    const q = new Queue<number>();
    for (let i = 0; i < 5; i++) q.push(i);
    for await (const v of q) if (v === 1) break;
    expect(q.isStopped).toBe(false);
    expect(q.tryPop()).toEqual({ ok: true, value: 2 });
    const it = q[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ done: false, value: 3 });
    expect(await it.return?.()).toEqual({ done: true, value: undefined });
    q.shutdown();
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });
});
