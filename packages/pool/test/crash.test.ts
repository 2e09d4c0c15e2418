import { whenAllSettled } from '@coro/task';
import { describe, expect, it } from 'vitest';
import { ModuleLoadError, WorkerCrashedError } from '../src/index.ts';
import { eventually, makePool, makeUntypedPool } from './utils/pools.ts';

describe('a crashing thread', () => {
  it('an uncaught exception fails only the jobs of that thread, which is replaced', async () => {
    const started: number[] = [];
    const stopped: number[] = [];
    const pool = makePool({
      threadCount: 2,
      concurrentTasksPerWorker: 1,
      onThreadStart: (i) => started.push(i),
      onThreadStop: (i) => stopped.push(i),
    });
    await eventually(() => started.length === 2);
    const flags = new Int32Array(new SharedArrayBuffer(4));
    // The blocker holds one thread (its only slot), so the crash goes to the other.
    const blocker = pool.run('blockUntil', flags, 0).start();
    const crash = await pool.run('crash').catch((e: unknown) => e);
    expect(crash).toBeInstanceOf(WorkerCrashedError);
    const error = crash as WorkerCrashedError;
    expect(error.code).toBe('ERR_CORO_POOL_WORKER_CRASHED');
    expect(error.cause).toBeInstanceOf(Error);
    expect((error.cause as Error).message).toBe('boom outside the job');
    expect(stopped).toEqual([error.threadIndex]);
    // The other thread's job is untouched.
    Atomics.store(flags, 0, 1);
    Atomics.notify(flags, 0);
    expect(await blocker).toBe('released');
    // The replacement comes up under the same index and the pool keeps serving.
    await eventually(() => started.length === 3);
    expect(started[2]).toBe(error.threadIndex);
    const results = await whenAllSettled(
      Array.from({ length: 20 }, (_, i) => pool.run('add', i, i)),
    );
    expect(results.map((r) => r.value())).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i));
    const stats = pool.stats();
    expect(stats.crashes).toBe(1);
    expect(stats.failed).toBe(1);
  });

  it('every job the dead thread held fails with WorkerCrashedError', async () => {
    const pool = makePool({ threadCount: 1, concurrentTasksPerWorker: 4 });
    const results = await whenAllSettled([
      pool.run('sleep', 5000),
      pool.run('crash'),
      pool.run('sleep', 5000),
    ]);
    for (const r of results) expect(r.reason).toBeInstanceOf(WorkerCrashedError);
    expect(await pool.run('add', 1, 2)).toBe(3);
    expect(pool.size).toBe(0);
  });

  it('process.exit() in a job is a crash too, with its exit code', async () => {
    const pool = makePool({ threadCount: 1 });
    const error = (await pool.run('exit', 3).catch((e: unknown) => e)) as WorkerCrashedError;
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(error.exitCode).toBe(3);
    expect(error.threadIndex).toBe(0);
    expect(await pool.run('add', 2, 3)).toBe(5);
  });

  it('running out of memory under resourceLimits is a crash, and the pool recovers', async () => {
    const pool = makePool({
      threadCount: 1,
      resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 },
    });
    const error = (await pool
      .run('allocateForever')
      .catch((e: unknown) => e)) as WorkerCrashedError;
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect((error.cause as { code?: string }).code).toBe('ERR_WORKER_OUT_OF_MEMORY');
    expect(await pool.run('add', 2, 3)).toBe(5);
  });

  it('a module that kills its thread while loading fails jobs without a restart loop', async () => {
    const pool = makeUntypedPool({
      module: new URL('./fixtures/exits-on-load.ts', import.meta.url),
      threadCount: 1,
    });
    await expect(pool.run('never')).rejects.toBeInstanceOf(WorkerCrashedError);
    await expect(pool.run('never')).rejects.toBeInstanceOf(WorkerCrashedError);
    // With no work, dead threads are not restarted over and over.
    const crashes = pool.stats().crashes;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(pool.stats().crashes).toBeLessThanOrEqual(crashes + 1);
    await pool.shutdown();
  });

  it('when threads keep dying while loading, queued jobs fail promptly instead of trickling', async () => {
    const pool = makeUntypedPool({
      module: new URL('./fixtures/exits-on-load.ts', import.meta.url),
      threadCount: 2,
      concurrentTasksPerWorker: 2,
    });
    await expect(pool.run('never')).rejects.toBeInstanceOf(WorkerCrashedError);
    await expect(pool.run('never')).rejects.toBeInstanceOf(WorkerCrashedError);
    const results = await whenAllSettled(Array.from({ length: 200 }, () => pool.run('never')));
    for (const r of results) expect(r.reason).toBeInstanceOf(WorkerCrashedError);
    expect(pool.size).toBe(0);
    await pool.shutdown();
  });

  it('jobs waiting for room go, in order, to the thread that replaces a crashed one', async () => {
    const pool = makePool({ threadCount: 1, concurrentTasksPerWorker: 1, maxQueue: 0 });
    const tickets = new Int32Array(new SharedArrayBuffer(4));
    const crash = pool.run('exit', 4).start();
    const waiting = [
      pool.runWith({ onFull: 'wait', timeout: 20_000 }, 'tally', tickets, 0).start(),
      pool.runWith({ onFull: 'wait', timeout: 20_000 }, 'tally', tickets, 0).start(),
    ];
    await expect(crash).rejects.toBeInstanceOf(WorkerCrashedError);
    expect(await Promise.all(waiting)).toEqual([0, 1]);
    expect(pool.size).toBe(0);
  });

  it('onThreadStart runs only for threads that loaded the module (and onThreadStop only then)', async () => {
    const started: number[] = [];
    const stopped: number[] = [];
    for (const fixture of ['broken.ts', 'exits-on-load.ts']) {
      const pool = makeUntypedPool({
        module: new URL(`./fixtures/${fixture}`, import.meta.url),
        threadCount: 2,
        onThreadStart: (i) => started.push(i),
        onThreadStop: (i) => stopped.push(i),
      });
      const error = await pool.run('never').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(fixture === 'broken.ts' ? ModuleLoadError : WorkerCrashedError);
      await pool.shutdown();
    }
    expect(started).toEqual([]);
    expect(stopped).toEqual([]);
  });
});
