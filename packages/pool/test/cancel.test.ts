import { CancelledError, StopSource, syncWait, TimeoutError, whenAll } from '@coro/task';
import { describe, expect, it } from 'vitest';
import { eventually, makePool } from './utils/pools.ts';

/** A shared flag array and a way to release `blockUntil` jobs waiting on slot 0. */
function flags(n = 4) {
  const array = new Int32Array(new SharedArrayBuffer(4 * n));
  return {
    array,
    release() {
      Atomics.store(array, 0, 1);
      Atomics.notify(array, 0);
    },
  };
}

describe('cancellation', () => {
  it('a job queued on the main thread that is cancelled never starts', async () => {
    const pool = makePool({ threadCount: 1, concurrentTasksPerWorker: 1 });
    const f = flags();
    const blocker = pool.run('blockUntil', f.array, 0).start();
    const queued = pool.run('mark', f.array, 1);
    const promise = queued.start();
    expect(pool.queueSize).toBe(1);
    expect(queued.requestStop('not needed')).toBe(true);
    await expect(promise).rejects.toBeInstanceOf(CancelledError);
    const error = await promise.catch((e: unknown) => e);
    expect((error as Error).cause).toBe('not needed');
    expect(pool.queueSize).toBe(0);
    f.release();
    expect(await blocker).toBe('released');
    // Let the thread run anything it might (wrongly) have been given.
    expect(await pool.run('add', 1, 1)).toBe(2);
    expect(Atomics.load(f.array, 1)).toBe(0);
    expect(pool.stats().cancelled).toBe(1);
  });

  it('a job already sent to a busy thread that is cancelled never starts either', async () => {
    const pool = makePool({ threadCount: 1, concurrentTasksPerWorker: 4 });
    const f = flags();
    const blocker = pool.run('blockUntil', f.array, 0).start();
    const sent = pool.run('mark', f.array, 1);
    const promise = sent.start();
    // Both are on the thread (the window is 4): the second waits behind the blocked first.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pool.queueSize).toBe(0);
    sent.requestStop();
    await expect(promise).rejects.toBeInstanceOf(CancelledError);
    f.release();
    expect(await blocker).toBe('released');
    expect(await pool.run('add', 1, 1)).toBe(2);
    expect(Atomics.load(f.array, 1)).toBe(0);
    expect(pool.size).toBe(0);
  });

  it('a running synchronous job sees ctx.stopRequested through shared memory', async () => {
    const pool = makePool({ threadCount: 1 });
    const job = pool.run('spinUntilStopped');
    const promise = job.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    job.requestStop();
    // The task settles at once with CancelledError; the thread frees its slot when the job returns.
    await expect(promise).rejects.toBeInstanceOf(CancelledError);
    expect(await pool.run('add', 2, 2)).toBe(4);
    expect(pool.size).toBe(0);
  });

  it('a running async job sees its stop token fire', async () => {
    const pool = makePool({ threadCount: 1 });
    const job = pool.run('waitForStop');
    const promise = job.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    job.requestStop();
    await expect(promise).rejects.toBeInstanceOf(CancelledError);
    await expect(whenAll([pool.run('add', 1, 2)])).resolves.toEqual([3]);
    // The job really ended (its slot came back), well before its 15 s fallback.
    await eventually(() => pool.size === 0);
  });

  it('throwIfStopRequested inside an async job throws CancelledError on the worker', async () => {
    const pool = makePool({ threadCount: 1 });
    const job = pool.run('throwIfStopped');
    const promise = job.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    job.requestStop();
    await expect(promise).rejects.toBeInstanceOf(CancelledError);
    // The job really ended: its slot came back.
    await eventually(() => pool.size === 0);
  });

  it('a job stopped before it starts never reaches the pool', async () => {
    const pool = makePool({ threadCount: 1 });
    const f = flags();
    const job = pool.run('mark', f.array, 1);
    job.requestStop();
    await expect(job).rejects.toBeInstanceOf(CancelledError);
    expect(pool.size).toBe(0);
    expect(await pool.run('add', 0, 0)).toBe(0);
    expect(Atomics.load(f.array, 1)).toBe(0);
  });

  it('runWith({ signal }) takes a StopToken or an AbortSignal and cleans up after itself', async () => {
    const pool = makePool({ threadCount: 1 });
    const source = new StopSource();
    const running = pool.runWith({ signal: source.token }, 'spinUntilStopped').start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    source.requestStop('enough');
    await expect(running).rejects.toBeInstanceOf(CancelledError);

    const controller = new AbortController();
    const finished = await pool.runWith({ signal: controller.signal }, 'add', 1, 2);
    expect(finished).toBe(3);
    // The listener was removed when the job finished: aborting now changes nothing.
    controller.abort();

    const aborted = pool.runWith({ signal: AbortSignal.abort('early') }, 'add', 1, 2);
    await expect(aborted).rejects.toBeInstanceOf(CancelledError);
  });

  it('run(name, ...args, { signal }) takes trailing options that carry a signal', async () => {
    const pool = makePool({ threadCount: 1 });
    const controller = new AbortController();
    expect(await pool.run('add', 1, 2, { signal: controller.signal })).toBe(3);
    const source = new StopSource();
    const running = pool.run('spinUntilStopped', { signal: source.token, timeout: 10_000 }).start();
    source.requestStop('enough');
    await expect(running).rejects.toBeInstanceOf(CancelledError);
    const timedOut = await pool
      .run('spinUntilStopped', { signal: new AbortController().signal, timeout: 30 })
      .catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(TimeoutError);
    // Without a signal the trailing object is an argument like any other.
    expect(await pool.run('timeoutOf', { timeout: 7 })).toBe(7);
  });

  it('runWith({ timeout }) rejects with TimeoutError and stops the job', async () => {
    const pool = makePool({ threadCount: 1 });
    const error = await pool.runWith({ timeout: 50 }, 'spinUntilStopped').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).timeout).toBe(50);
    // The thread is free again: the job saw the stop and returned.
    expect(await pool.runWith({ timeout: 5000 }, 'add', 1, 1)).toBe(2);
    // The job really ended: its slot came back.
    await eventually(() => pool.size === 0);
  });

  it('a timeout longer than a Node.js timer can hold (2^31 ms and more) does not fire early', async () => {
    const pool = makePool({ threadCount: 1 });
    // sleep(100) would have lost to a timer that fires after 1 ms.
    expect(await pool.runWith({ timeout: 2 ** 32 }, 'sleep', 100)).toBe(100);
    expect(await pool.runWith({ timeout: 2 ** 31 }, 'sleep', 100)).toBe(100);
  });

  it('composes with syncWait timeouts and whenAll stop propagation', async () => {
    const pool = makePool({ threadCount: 2 });
    await expect(syncWait(pool.run('spinUntilStopped'), { timeout: 50 })).rejects.toBeInstanceOf(
      TimeoutError,
    );
    // One child fails: whenAll stops the other, which is spinning on a thread.
    const error = await whenAll([pool.run('spinUntilStopped'), pool.run('failAsync', 'x')]).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RangeError);
    // The job really ended: its slot came back.
    await eventually(() => pool.size === 0);
  });

  it('a job that finished before the stop request keeps its result', async () => {
    const pool = makePool({ threadCount: 1 });
    const job = pool.run('add', 1, 2);
    expect(await job).toBe(3);
    expect(job.requestStop()).toBe(true);
    expect(await job).toBe(3);
    expect(pool.stats().cancelled).toBe(0);
  });
});
