import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CallbackTimer, TimerQueue } from '../src/internal/timer-queue.ts';

function drain(queue: TimerQueue, now = Number.POSITIVE_INFINITY): number[] {
  const deadlines: number[] = [];
  for (;;) {
    const bucket = queue.popDue(now);
    if (bucket === undefined) return deadlines;
    deadlines.push(bucket.deadline);
    queue.fire(bucket);
  }
}

describe('TimerQueue (the indexed heap of deadline buckets)', () => {
  it('fires buckets in deadline order and items in insertion order', () => {
    const queue = new TimerQueue();
    const fired: string[] = [];
    const add = (deadline: number, name: string) =>
      queue.add(deadline, new CallbackTimer(() => fired.push(name)));
    add(30, 'c1');
    add(10, 'a1');
    add(20, 'b1');
    add(10, 'a2');
    queue.addShared(10).then(() => fired.push('shared'));
    add(30, 'c2');
    expect(queue.earliest).toBe(10);
    expect(queue.bucketCount).toBe(3);
    expect(queue.waiters).toBe(1); // the shared wait counts; internal callback timers do not
    expect(drain(queue, 25)).toEqual([10, 20]);
    expect(fired).toEqual(['a1', 'a2', 'b1']); // the shared promise resolves in a microtask
    expect(drain(queue)).toEqual([30]);
    expect(fired).toEqual(['a1', 'a2', 'b1', 'c1', 'c2']);
    expect(queue.bucketCount).toBe(0);
    expect(queue.waiters).toBe(0);
  });

  it('shares one promise among plain waiters of a deadline, until a cancellable one comes', () => {
    const queue = new TimerQueue();
    const a = queue.addShared(5);
    const b = queue.addShared(5);
    expect(a).toBe(b);
    queue.add(5, new CallbackTimer(() => {}));
    const c = queue.addShared(5);
    expect(c).not.toBe(a); // a new run after the entry keeps FIFO order
    expect(queue.waiters).toBe(3);
  });

  it('a cancelled entry is gone at once; an emptied bucket leaves the heap', () => {
    const queue = new TimerQueue();
    const entries = [10, 20, 30, 40].map((d) => {
      const entry = new CallbackTimer(() => {
        throw new Error('a cancelled timer fired');
      });
      queue.add(d, entry);
      return entry;
    });
    expect(queue.cancel(entries[1]!)).toBe(true);
    expect(queue.cancel(entries[1]!)).toBe(false);
    expect(queue.bucketCount).toBe(3);
    for (const entry of entries) queue.cancel(entry);
    expect(queue.bucketCount).toBe(0);
    expect(queue.earliest).toBeUndefined();
  });

  it('an entry cancelled from the callback of an earlier one in its bucket is counted once', () => {
    const queue = new TimerQueue();
    const fired: string[] = [];
    const second = new CallbackTimer(() => fired.push('second'));
    second.counted = true;
    const first = new CallbackTimer(() => {
      fired.push('first');
      expect(queue.cancel(second)).toBe(true);
    });
    first.counted = true;
    queue.add(10, first);
    queue.add(10, second);
    queue.addShared(10);
    expect(queue.waiters).toBe(3);
    expect(drain(queue)).toEqual([10]);
    expect(fired).toEqual(['first']);
    expect(queue.waiters).toBe(0);
    expect(queue.cancel(second)).toBe(false);
    expect(queue.waiters).toBe(0);
  });

  it('a million waits cancelled next to a live one leave nothing behind', () => {
    const queue = new TimerQueue();
    let fired = 0;
    queue.add(100, new CallbackTimer(() => fired++));
    for (let i = 0; i < 1_000_000; i++) {
      const entry = new CallbackTimer(() => fired++);
      queue.add(100 + (i % 3), entry);
      queue.cancel(entry);
    }
    expect(queue.bucketCount).toBe(1);
    const bucket = queue.popDue(100)!;
    // Holes are compacted as they pile up: the bucket's array stays small.
    expect(bucket.items.length).toBeLessThan(64);
    queue.fire(bucket);
    expect(fired).toBe(1);
  });

  it('property: pops in sorted order whatever is added and cancelled', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ deadline: fc.integer({ min: 0, max: 40 }), cancel: fc.boolean() }), {
          maxLength: 200,
        }),
        (ops) => {
          const queue = new TimerQueue();
          const fired: number[] = [];
          const expected: [number, number][] = [];
          const entries = ops.map((op, i) => {
            const entry = new CallbackTimer(() => fired.push(i));
            queue.add(op.deadline, entry);
            return entry;
          });
          ops.forEach((op, i) => {
            if (op.cancel) queue.cancel(entries[i]!);
            else expected.push([op.deadline, i]);
          });
          drain(queue);
          expected.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
          expect(fired).toEqual(expected.map(([, i]) => i));
          expect(queue.bucketCount).toBe(0);
          expect(queue.waiters).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
