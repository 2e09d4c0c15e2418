import { CancelledError, TimeoutError } from '@coro/task';
import { describe, expect, it } from 'vitest';
import { PoolQueueFullError } from '../src/index.ts';
import { makePool } from './utils/pools.ts';

function gate() {
  const array = new Int32Array(new SharedArrayBuffer(4));
  return {
    array,
    open() {
      Atomics.store(array, 0, 1);
      Atomics.notify(array, 0);
    },
  };
}

describe('maxQueue', () => {
  it('beyond maxQueue, run rejects at once with PoolQueueFullError and queues nothing', async () => {
    const pool = makePool({ threadCount: 1, concurrentTasksPerWorker: 1, maxQueue: 2 });
    const g = gate();
    const running = pool.run('blockUntil', g.array, 0).start();
    const queued = [pool.run('add', 1, 1).start(), pool.run('add', 2, 2).start()];
    expect(pool.queueSize).toBe(2);
    const error = await pool.run('add', 3, 3).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolQueueFullError);
    expect((error as PoolQueueFullError).code).toBe('ERR_CORO_POOL_QUEUE_FULL');
    expect((error as PoolQueueFullError).maxQueue).toBe(2);
    expect(pool.queueSize).toBe(2);
    expect(pool.size).toBe(3);
    g.open();
    expect(await running).toBe('released');
    expect(await Promise.all(queued)).toEqual([2, 4]);
    expect(await pool.run('add', 3, 3)).toBe(6);
  });

  it('maxQueue: 0 allows only what the threads hold', async () => {
    const pool = makePool({ threadCount: 1, concurrentTasksPerWorker: 2, maxQueue: 0 });
    const g = gate();
    const held = [
      pool.run('blockUntil', g.array, 0).start(),
      pool.run('blockUntil', g.array, 0).start(),
    ];
    await expect(pool.run('add', 1, 1)).rejects.toBeInstanceOf(PoolQueueFullError);
    g.open();
    expect(await Promise.all(held)).toEqual(['released', 'released']);
  });

  it("onFull: 'wait' waits for room instead, in order", async () => {
    const pool = makePool({ threadCount: 1, concurrentTasksPerWorker: 1, maxQueue: 1 });
    const g = gate();
    const running = pool.run('blockUntil', g.array, 0).start();
    const queued = pool.run('add', 1, 1).start();
    const waiting = [
      pool.runWith({ onFull: 'wait' }, 'add', 2, 2).start(),
      pool.runWith({ onFull: 'wait' }, 'add', 3, 3).start(),
    ];
    expect(pool.queueSize).toBe(1);
    expect(pool.size).toBe(4);
    g.open();
    expect(await running).toBe('released');
    expect(await queued).toBe(2);
    expect(await Promise.all(waiting)).toEqual([4, 6]);
    expect(pool.size).toBe(0);
  });

  it('a wait for room honours timeout and signal, and leaves nothing behind', async () => {
    const pool = makePool({ threadCount: 1, concurrentTasksPerWorker: 1, maxQueue: 0 });
    const g = gate();
    const running = pool.run('blockUntil', g.array, 0).start();
    const timedOut = await pool
      .runWith({ onFull: 'wait', timeout: 30 }, 'add', 1, 1)
      .catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(TimeoutError);
    const controller = new AbortController();
    const cancelled = pool.runWith({ onFull: 'wait', signal: controller.signal }, 'add', 1, 1);
    const promise = cancelled.start();
    expect(pool.size).toBe(2);
    controller.abort();
    await expect(promise).rejects.toBeInstanceOf(CancelledError);
    expect(pool.size).toBe(1);
    g.open();
    expect(await running).toBe('released');
    expect(pool.size).toBe(0);
  });

  it('cancelling a queued job admits the first job waiting for room, and order holds', async () => {
    const pool = makePool({ threadCount: 1, concurrentTasksPerWorker: 1, maxQueue: 1 });
    const g = gate();
    const tickets = new Int32Array(new SharedArrayBuffer(4));
    const running = pool.run('blockUntil', g.array, 0).start();
    const queued = pool.run('tally', tickets, 0);
    const queuedPromise = queued.start();
    const b = pool.runWith({ onFull: 'wait' }, 'tally', tickets, 0).start();
    const c = pool.runWith({ onFull: 'wait' }, 'tally', tickets, 0).start();
    expect(pool.queueSize).toBe(1);
    queued.requestStop();
    await expect(queuedPromise).rejects.toBeInstanceOf(CancelledError);
    // b takes the place the cancelled job left; c still waits for room.
    expect(pool.queueSize).toBe(1);
    expect(pool.size).toBe(3);
    // The queue is full again: a job that does not wait is refused, one that waits goes last.
    await expect(pool.run('add', 1, 1)).rejects.toBeInstanceOf(PoolQueueFullError);
    const d = pool.runWith({ onFull: 'wait' }, 'tally', tickets, 0).start();
    g.open();
    expect(await running).toBe('released');
    // tally returns the ticket it took: the order in which the jobs ran.
    expect(await Promise.all([b, c, d])).toEqual([0, 1, 2]);
    expect(pool.size).toBe(0);
  });

  it('a job that times out or is aborted while queued admits the next waiter too', async () => {
    const pool = makePool({ threadCount: 1, concurrentTasksPerWorker: 1, maxQueue: 1 });
    const g = gate();
    const tickets = new Int32Array(new SharedArrayBuffer(4));
    const running = pool.run('blockUntil', g.array, 0).start();
    const timesOut = pool.runWith({ timeout: 20 }, 'tally', tickets, 0).start();
    const waiting = pool.runWith({ onFull: 'wait' }, 'tally', tickets, 0).start();
    await expect(timesOut).rejects.toBeInstanceOf(TimeoutError);
    expect(pool.queueSize).toBe(1);
    const later = pool.runWith({ onFull: 'wait' }, 'tally', tickets, 0).start();
    g.open();
    await running;
    expect(await Promise.all([waiting, later])).toEqual([0, 1]);
  });

  it("maxQueue: 0 with onFull: 'wait' hands a waiting job to a thread once one has room", async () => {
    const pool = makePool({ threadCount: 1, concurrentTasksPerWorker: 1, maxQueue: 0 });
    // Idle thread: straight to it.
    expect(await pool.runWith({ onFull: 'wait', timeout: 20_000 }, 'add', 1, 2)).toBe(3);
    const g = gate();
    const running = pool.run('blockUntil', g.array, 0).start();
    const waiting = [
      pool.runWith({ onFull: 'wait', timeout: 20_000 }, 'add', 2, 2).start(),
      pool.runWith({ onFull: 'wait', timeout: 20_000 }, 'add', 3, 3).start(),
    ];
    expect(pool.queueSize).toBe(0);
    expect(pool.size).toBe(3);
    g.open();
    expect(await running).toBe('released');
    expect(await Promise.all(waiting)).toEqual([4, 6]);
    await pool.shutdown();
    expect(pool.size).toBe(0);
  });
});
