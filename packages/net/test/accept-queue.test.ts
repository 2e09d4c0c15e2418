import { IoScheduler } from '@coro/io';
import { InvalidArgumentError, StopSource } from '@coro/task';
import { describe, expect, it } from 'vitest';
import { AcceptQueue, IoStatus } from '../src/index.ts';

interface Item {
  id: number;
  discarded: boolean;
}

function makeQueue(scheduler = new IoScheduler({ threadStrategy: 'manual' })) {
  const delivered: Item[] = [];
  const queue = new AcceptQueue(scheduler, {
    deliver: (item: Item) => {
      delivered.push(item);
      return `client ${item.id}`;
    },
    discard: (item: Item) => {
      item.discarded = true;
    },
  });
  return { scheduler, queue, delivered };
}

const item = (id: number): Item => ({ id, discarded: false });

describe('AcceptQueue', () => {
  it('hands items out in order, to waiting accepts first, delivering each when taken', async () => {
    const { queue, delivered } = makeQueue();
    const first = queue.accept();
    const second = queue.accept();
    expect(queue.push(item(1))).toBe(false);
    expect(queue.push(item(2))).toBe(false);
    expect(await first).toEqual({ ok: true, value: 'client 1' });
    expect(await second).toEqual({ ok: true, value: 'client 2' });
    const three = item(3);
    expect(queue.push(three)).toBe(true);
    expect(queue.push(item(4))).toBe(true);
    expect(queue.pending).toBe(2);
    // Queued items are delivered only when an accept takes them.
    expect(delivered.map((i) => i.id)).toEqual([1, 2]);
    expect(await queue.accept()).toEqual({ ok: true, value: 'client 3' });
    expect(await queue.accept({ timeout: 0 })).toEqual({ ok: true, value: 'client 4' });
    expect(delivered.map((i) => i.id)).toEqual([1, 2, 3, 4]);
    expect(queue.pending).toBe(0);
  });

  it('remove() takes out an item that died while queued', async () => {
    const { queue } = makeQueue();
    const dead = item(1);
    queue.push(dead);
    queue.push(item(2));
    expect(queue.remove(dead)).toBe(true);
    expect(queue.remove(dead)).toBe(false);
    expect(await queue.accept()).toEqual({ ok: true, value: 'client 2' });
  });

  it('times out and cancels waiting accepts and leaves no timer or waiter behind', async () => {
    const { scheduler, queue } = makeQueue();
    expect(await queue.accept({ timeout: 0 })).toEqual({ ok: false, error: IoStatus.timeout });
    const timed = queue.accept({ timeout: 50 });
    const stop = new StopSource();
    const stopped = queue.accept({ signal: stop.token, timeout: 1e12 });
    expect(scheduler.size).toBe(2);
    await scheduler.processEvents(50);
    expect(await timed).toEqual({ ok: false, error: IoStatus.timeout });
    stop.requestStop();
    expect(await stopped).toEqual({ ok: false, error: IoStatus.cancelled });
    expect(scheduler.size).toBe(0);
    // Nobody waits any more: the next item is queued, not handed to a dead waiter.
    expect(queue.push(item(1))).toBe(true);
    const already = new StopSource();
    already.requestStop();
    // A queued item is taken even by a stopped signal's accept (it is ready now).
    expect((await queue.accept({ signal: already.token })).ok).toBe(true);
    expect(await queue.accept({ signal: already.token })).toEqual({
      ok: false,
      error: IoStatus.cancelled,
    });
  });

  it('fail() reports the listener failure to waiting and later accepts, after the queued ones', async () => {
    const { queue } = makeQueue();
    const waiting = queue.accept();
    const bind = IoStatus.fromError(Object.assign(new Error('in use'), { code: 'EADDRINUSE' }));
    queue.fail(bind);
    expect(await waiting).toEqual({ ok: false, error: bind });
    queue.push(item(1));
    expect((await queue.accept()).ok).toBe(true);
    expect(await queue.accept()).toEqual({ ok: false, error: bind });
  });

  it('close() discards queued items, wakes waiters with closed, and closes later pushes', async () => {
    const { queue } = makeQueue();
    const queued = item(1);
    queue.push(queued);
    const { queue: other } = makeQueue();
    const waiting = other.accept({ timeout: 1e12 });
    other.close();
    expect(await waiting).toEqual({ ok: false, error: IoStatus.closed });
    queue.close();
    expect(queued.discarded).toBe(true);
    expect(queue.isClosed).toBe(true);
    expect(queue.pending).toBe(0);
    const late = item(2);
    expect(queue.push(late)).toBe(false);
    expect(late.discarded).toBe(true);
    expect(await queue.accept()).toEqual({ ok: false, error: IoStatus.closed });
  });

  it('a deliver that throws leaves the waiting accept waiting, under its own deadline', async () => {
    const scheduler = new IoScheduler();
    const queue = new AcceptQueue(scheduler, {
      deliver: (n: number) => {
        if (n === 13) throw new Error('deliver failed');
        return `client ${n}`;
      },
      discard: () => {},
    });
    const waiting = queue.accept({ timeout: 5000 });
    expect(() => queue.push(13)).toThrow('deliver failed');
    // The waiter was not used up by the item that failed: the next item reaches it.
    expect(queue.push(1)).toBe(false);
    expect(await waiting).toEqual({ ok: true, value: 'client 1' });
    // And a waiter whose item failed still ends at its deadline.
    const timed = queue.accept({ timeout: 20 });
    expect(() => queue.push(13)).toThrow('deliver failed');
    const result = await timed;
    expect(!result.ok && result.error).toBe(IoStatus.timeout);
    queue.close();
    await scheduler.shutdown();
  });

  it('a deliver that throws for a queued item: accept throws, and the item is discarded, not lost', async () => {
    const scheduler = new IoScheduler();
    const discarded: number[] = [];
    const queue = new AcceptQueue(scheduler, {
      deliver: (n: number) => {
        if (n === 13) throw new Error('deliver failed');
        return `client ${n}`;
      },
      discard: (n) => discarded.push(n),
    });
    expect(queue.push(13)).toBe(true);
    expect(queue.push(1)).toBe(true);
    expect(() => queue.accept()).toThrow('deliver failed');
    // Before, the item was taken out and dropped: neither handed out, queued nor discarded (a
    // connection nobody would ever close).
    expect(discarded).toEqual([13]);
    expect(queue.pending).toBe(1);
    expect(await queue.accept()).toEqual({ ok: true, value: 'client 1' });
    queue.close();
    await scheduler.shutdown();
  });

  it('rejects bad arguments at the call with InvalidArgumentError', () => {
    const scheduler = new IoScheduler({ threadStrategy: 'manual' });
    const discard = () => {};
    expect(() => new AcceptQueue({} as never, { deliver: (x) => x, discard })).toThrow(
      InvalidArgumentError,
    );
    expect(() => new AcceptQueue(scheduler, null as never)).toThrow(InvalidArgumentError);
    expect(() => new AcceptQueue(scheduler, { deliver: 1, discard } as never)).toThrow(
      InvalidArgumentError,
    );
    const { queue } = makeQueue(scheduler);
    expect(() => queue.accept({ timeout: -1 })).toThrow(InvalidArgumentError);
    expect(() => queue.accept({ timeout: Number.NaN })).toThrow(InvalidArgumentError);
    expect(() => queue.accept('soon' as never)).toThrow(InvalidArgumentError);
  });
});
