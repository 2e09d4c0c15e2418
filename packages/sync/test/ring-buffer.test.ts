import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError, RingBuffer } from '../src/index.ts';
import { flush } from './utils/flush.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('RingBuffer', () => {
  it('rejects a capacity of 0 or a non-integer', () => {
    expect(() => new RingBuffer(0)).toThrow(InvalidArgumentError);
    expect(() => new RingBuffer(1.5)).toThrow(InvalidArgumentError);
    expect(() => new RingBuffer(-3)).toThrow(InvalidArgumentError);
  });

  it('delivers items in order and reports its fill state', async () => {
    const rb = new RingBuffer<number>(3);
    expect(rb.isEmpty).toBe(true);
    expect(await rb.produce(1)).toBe('produced');
    expect(rb.tryProduce(2)).toBe('produced');
    expect(rb.tryProduce(3)).toBe('produced');
    expect(rb.isFull).toBe(true);
    expect(rb.size).toBe(3);
    expect(rb.tryProduce(4)).toBe('full');
    expect(await rb.consume()).toEqual({ ok: true, value: 1 });
    expect(rb.tryConsume()).toEqual({ ok: true, value: 2 });
    expect(rb.tryConsume()).toEqual({ ok: true, value: 3 });
    expect(rb.tryConsume()).toEqual({ ok: false, error: 'empty' });
  });

  it('makes producers wait while full, and lets them in first come first served', async () => {
    const rb = new RingBuffer<number>(1);
    await rb.produce(0);
    const produced = [1, 2, 3].map((i) => rb.produce(i));
    await flush();
    expect(rb.waiterCount).toBe(3);
    const got: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await rb.consume();
      if (r.ok) got.push(r.value);
    }
    expect(got).toEqual([0, 1, 2, 3]);
    expect(await Promise.all(produced)).toEqual(['produced', 'produced', 'produced']);
    expect(rb.waiterCount).toBe(0);
  });

  it('hands a produced value straight to a waiting consumer', async () => {
    const rb = new RingBuffer<string>(2);
    const a = rb.consume();
    const b = rb.consume();
    rb.tryProduce('x');
    rb.tryProduce('y');
    expect(await a).toEqual({ ok: true, value: 'x' });
    expect(await b).toEqual({ ok: true, value: 'y' });
    expect(rb.size).toBe(0);
  });

  it("shutdown() wakes every waiter with 'stopped' and drops what is buffered", async () => {
    const rb = new RingBuffer<number>(1);
    await rb.produce(1);
    const producer = rb.produce(2);
    const other = new RingBuffer<number>(1);
    const waitingConsumer = other.consume();
    rb.shutdown();
    other.notifyWaiters();
    expect(await producer).toBe('stopped');
    expect(await waitingConsumer).toEqual({ ok: false, error: 'stopped' });
    expect(await rb.consume()).toEqual({ ok: false, error: 'stopped' });
    expect(await rb.produce(3)).toBe('stopped');
    expect(rb.tryProduce(3)).toBe('stopped');
    expect(rb.tryConsume()).toEqual({ ok: false, error: 'stopped' });
    expect(rb.isStopped).toBe(true);
    expect(rb.size).toBe(0);
  });

  it('shutdownDrain() lets consumers take what is left, refuses new items, then stops', async () => {
    const rb = new RingBuffer<number>(2);
    await rb.produce(1);
    await rb.produce(2);
    const late = rb.produce(3);
    const drained = rb.shutdownDrain();
    expect(await late).toBe('stopped');
    expect(await rb.produce(4)).toBe('stopped');
    expect(rb.isStopped).toBe(false);
    expect(await rb.consume()).toEqual({ ok: true, value: 1 });
    expect(await rb.consume()).toEqual({ ok: true, value: 2 });
    await drained;
    expect(rb.isStopped).toBe(true);
    expect(await rb.consume()).toEqual({ ok: false, error: 'stopped' });
  });

  it('is async-iterable and the loop ends on shutdown', async () => {
    const rb = new RingBuffer<number>(4);
    const producer = (async () => {
      for (let i = 0; i < 20; i++) expect(await rb.produce(i)).toBe('produced');
      await rb.shutdownDrain();
    })();
    const got: number[] = [];
    for await (const v of rb) got.push(v);
    await producer;
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('times out and cancels producers and consumers, leaving no waiter or timer', async () => {
    vi.useFakeTimers();
    const rb = new RingBuffer<number>(1);
    expect(await rb.consume({ timeout: 0 })).toEqual({ ok: false, error: 'timeout' });
    const consumer = rb.consume({ timeout: 10 });
    vi.advanceTimersByTime(10);
    expect(await consumer).toEqual({ ok: false, error: 'timeout' });
    rb.tryProduce(1);
    const controller = new AbortController();
    const producer = rb.produce(2, { signal: controller.signal, timeout: 100 });
    controller.abort();
    expect(await producer).toBe('cancelled');
    expect(await rb.produce(2, { timeout: 0 })).toBe('timeout');
    expect(await rb.consume({ signal: AbortSignal.abort() })).toEqual({
      ok: false,
      error: 'cancelled',
    });
    expect(rb.waiterCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(rb.tryConsume()).toEqual({ ok: true, value: 1 });
    expect(rb.tryConsume()).toEqual({ ok: false, error: 'empty' });
  });

  it('an iterating consumer waiting on an empty buffer gets items, then ends on shutdown', async () => {
    const rb = new RingBuffer<string>(1);
    const seen: string[] = [];
    const iterating = (async () => {
      for await (const v of rb) seen.push(v);
    })();
    await flush();
    expect(rb.waiterCount).toBe(1);
    expect(rb.tryProduce('a')).toBe('produced');
    await flush();
    expect(await rb.produce('b')).toBe('produced');
    await flush();
    rb.shutdown();
    await iterating;
    expect(seen).toEqual(['a', 'b']);
    expect(rb.waiterCount).toBe(0);
  });
});
