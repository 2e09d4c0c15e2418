import { StopSource } from '@coro/task';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Queue, RingBuffer } from '../../src/threads/index.ts';
import { runWorker, until } from './helpers.ts';

/** Each producer's items arrive exactly once and, per consumer, in the order produced. */
function checkDelivery(perConsumer: number[][], producers: number, count: number): void {
  const all = perConsumer.flat().sort((a, b) => a - b);
  const expected: number[] = [];
  for (let id = 0; id < producers; id++) {
    for (let seq = 0; seq < count; seq++) expected.push(id * 1_000_000 + seq);
  }
  expect(all).toEqual(expected);
  for (const items of perConsumer) {
    const last = new Map<number, number>();
    for (const item of items) {
      const id = Math.floor(item / 1_000_000);
      expect(item).toBeGreaterThan(last.get(id) ?? -1);
      last.set(id, item);
    }
  }
}

describe('threads RingBuffer', () => {
  it('validates construction and items', () => {
    expect(() => new RingBuffer(0)).toThrow(InvalidArgumentError);
    expect(() => new RingBuffer(2, { slotBytes: 0 })).toThrow(InvalidArgumentError);
    const numbers = new RingBuffer(2);
    expect(() => numbers.tryProduce(new Uint8Array(1) as never)).toThrow(InvalidArgumentError);
    const bytes = new RingBuffer<Uint8Array>(2, { slotBytes: 4 });
    expect(() => bytes.tryProduce(new Uint8Array(5))).toThrow(InvalidArgumentError);
    expect(() => bytes.tryProduce(1 as never)).toThrow(InvalidArgumentError);
    expect(() => RingBuffer.from({ buffer: new SharedArrayBuffer(64) })).toThrow(
      InvalidArgumentError,
    );
  });

  it('is FIFO with full / empty statuses, and waits on both ends', async () => {
    const ring = new RingBuffer(2);
    expect(ring.tryConsume()).toEqual({ ok: false, error: 'empty' });
    expect(ring.tryProduce(1.5)).toBe('produced');
    expect(await ring.produce(2)).toBe('produced');
    expect(ring.isFull).toBe(true);
    expect(ring.tryProduce(3)).toBe('full');
    expect(await ring.produce(3, { timeout: 1 })).toBe('timeout');
    const waiting = ring.produce(3);
    await until(() => ring.waiterCount === 1, 'a producer');
    expect(await ring.consume()).toEqual({ ok: true, value: 1.5 });
    expect(await waiting).toBe('produced');
    expect(ring.tryConsume()).toEqual({ ok: true, value: 2 });
    expect(ring.tryConsume()).toEqual({ ok: true, value: 3 });
    expect(await ring.consume({ timeout: 1 })).toEqual({ ok: false, error: 'timeout' });
    expect(await ring.consume({ signal: AbortSignal.abort() })).toEqual({
      ok: false,
      error: 'cancelled',
    });
    expect(ring.waiterCount).toBe(0);
    expect(ring._freeSlots).toBe(1024);
  });

  it('keeps an item handed over in the same turn as the stop, and loses none when it leaves first', async () => {
    const ring = new RingBuffer(4);
    const stop = new StopSource();
    const kept = ring.consume({ signal: stop.token });
    await until(() => ring.waiterCount === 1, 'a consumer');
    ring.tryProduce(7);
    stop.requestStop();
    expect(await kept).toEqual({ ok: true, value: 7 });
    const stop2 = new StopSource();
    const leaving = ring.consume({ signal: stop2.token });
    await until(() => ring.waiterCount === 1, 'a consumer');
    stop2.requestStop();
    ring.tryProduce(8);
    expect(await leaving).toEqual({ ok: false, error: 'cancelled' });
    expect(ring.tryConsume()).toEqual({ ok: true, value: 8 });
    expect(ring._freeSlots).toBe(1024);
  });

  it('shutdown wakes everyone with stopped; shutdownDrain lets consumers finish first', async () => {
    const ring = new RingBuffer(1);
    ring.tryProduce(1);
    const producer = ring.produce(2);
    await until(() => ring.waiterCount === 1, 'a producer');
    ring.shutdown();
    expect(await producer).toBe('stopped');
    expect(ring.isStopped).toBe(true);
    expect(await ring.consume()).toEqual({ ok: false, error: 'stopped' });
    expect(ring.tryConsume()).toEqual({ ok: false, error: 'stopped' });
    expect(await ring.produce(3)).toBe('stopped');

    const drain = new RingBuffer(4);
    drain.tryProduce(1);
    drain.tryProduce(2);
    let drained = false;
    const done = drain.shutdownDrain().then(() => {
      drained = true;
    });
    expect(drain.tryProduce(3)).toBe('stopped');
    const seen: number[] = [];
    for await (const item of drain) seen.push(item);
    await done;
    expect(seen).toEqual([1, 2]);
    expect(drained).toBe(true);
    expect(drain._freeSlots).toBe(1024);
  });

  it('delivers every item exactly once and in order from 2 producer to 2 consumer workers', async () => {
    const ring = new RingBuffer(8);
    const producers = [0, 1].map((id) => runWorker('ringProducer', { ring, id, count: 400 }));
    const consumers = [0, 1].map(() => runWorker<number[]>('ringConsumer', { ring }));
    expect(await Promise.all(producers)).toEqual(['produced', 'produced']);
    await ring.shutdownDrain();
    checkDelivery(await Promise.all(consumers), 2, 400);
    expect(ring.waiterCount).toBe(0);
    expect(ring._freeSlots).toBe(1024);
  });

  it('carries byte strings between threads', async () => {
    const ring = new RingBuffer<Uint8Array>(4, { slotBytes: 16 });
    const producer = runWorker('bytesProducer', { ring, id: 'w', count: 50 });
    const decoder = new TextDecoder();
    const seen: string[] = [];
    for (let i = 0; i < 50; i++) {
      const item = await ring.consume();
      if (item.ok) seen.push(decoder.decode(item.value));
    }
    expect(await producer).toBe('produced');
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => `w:${i}`));
    expect(ring.slotBytes).toBe(16);
  });

  it('random producers and consumers with timeouts across workers lose and duplicate nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 150 }),
        fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
        async (capacity, producerCount, consumerCount, count, timeout) => {
          const ring = new RingBuffer(capacity);
          const producers = Array.from({ length: producerCount }, (_, id) =>
            runWorker('ringProducer', { ring, id, count }),
          );
          const consumers = Array.from({ length: consumerCount }, () =>
            runWorker<number[]>('ringConsumer', { ring, timeout }),
          );
          await Promise.all(producers);
          await ring.shutdownDrain();
          checkDelivery(await Promise.all(consumers), producerCount, count);
          expect(ring.waiterCount).toBe(0);
          expect(ring._freeSlots).toBe(1024);
        },
      ),
      // A fixed number of runs (each starts a few workers, ~1 s alone), not as many as fit in
      // some seconds: a slow machine gets the same coverage, later. 120 s is for a loaded one.
      { numRuns: 5 },
    );
  }, 120_000);
});

describe('threads Queue', () => {
  it('grows in place by doubling, keeps FIFO order across the wrap, and is full at maxCapacity', () => {
    expect(() => new Queue({ initialCapacity: 4, maxCapacity: 2 })).toThrow(InvalidArgumentError);
    const queue = new Queue({ initialCapacity: 2, maxCapacity: 8 });
    expect(queue.capacity).toBe(2);
    expect(queue.maxCapacity).toBe(8);
    queue.push(0);
    queue.push(1);
    expect(queue.tryPop()).toEqual({ ok: true, value: 0 });
    queue.push(2); // wraps: the ring is [2, 1] with its head at 1
    for (let i = 3; i < 9; i++) expect(queue.push(i)).toBe('produced');
    expect(queue.capacity).toBe(8);
    expect(queue.push(9)).toBe('full');
    const seen: number[] = [];
    for (let item = queue.tryPop(); item.ok; item = queue.tryPop()) seen.push(item.value);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('grows while a consumer on a worker pops, losing and reordering nothing', async () => {
    const queue = new Queue({ initialCapacity: 4 });
    const consumer = runWorker<number[]>('queueConsumer', { queue });
    for (let i = 0; i < 5_000; i++) expect(queue.push(i)).toBe('produced');
    await queue.shutdownDrain();
    expect(queue.push(5)).toBe('stopped');
    expect(await consumer).toEqual(Array.from({ length: 5_000 }, (_, i) => i));
    expect(queue.capacity).toBeGreaterThan(4);
    expect(await queue.pop()).toEqual({ ok: false, error: 'stopped' });
    expect(Queue.from(structuredClone(queue)).isStopped).toBe(true);
    expect(queue._freeSlots).toBe(1024);
  });

  it('carries byte strings and grows', async () => {
    const queue = new Queue<Uint8Array>({ initialCapacity: 1, maxCapacity: 64, slotBytes: 6 });
    const encoder = new TextEncoder();
    for (let i = 0; i < 40; i++) expect(queue.push(encoder.encode(`item${i}`))).toBe('produced');
    const decoder = new TextDecoder();
    const seen: string[] = [];
    for (let item = queue.tryPop(); item.ok; item = queue.tryPop())
      seen.push(decoder.decode(item.value));
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => `item${i}`));
    expect(queue.tryPop()).toEqual({ ok: false, error: 'empty' });
  });
});
