import { ThreadPool } from '@coro/pool';
import { CancelledError, InvalidArgumentError, syncWait, whenAll } from '@coro/task';
import { describe, expect, it } from 'vitest';
import { IoScheduler, SchedulerModeError, SchedulerShutdownError } from '../src/index.ts';

type Jobs = typeof import('./fixtures/jobs.ts');
const module = new URL('./fixtures/jobs.ts', import.meta.url);

describe("executionStrategy: 'pool'", () => {
  it('offloads CPU work to a pool it creates, and shuts the pool down with itself', async () => {
    const started: number[] = [];
    const stopped: number[] = [];
    const s = new IoScheduler<Jobs>({
      pool: {
        module,
        threadCount: 2,
        onThreadStart: (i) => started.push(i),
        onThreadStop: (i) => stopped.push(i),
      },
    });
    expect(s.executionStrategy).toBe('pool');
    expect(s.pool).toBeInstanceOf(ThreadPool);
    const [a, b] = await whenAll(s.offload('fib', 20), s.offload('fib', 21));
    expect([a, b]).toEqual([6765, 10946]);
    await expect(s.offload('fail', 'on a worker')).rejects.toThrow('on a worker');
    await s.shutdown();
    expect(started.sort()).toEqual([0, 1]);
    expect(stopped.sort()).toEqual([0, 1]);
    expect(s.pool!.isClosed).toBe(true);
    expect(() => s.offload('fib', 1)).toThrow(SchedulerShutdownError);
  });

  it('uses a ThreadPool passed in and leaves it running', async () => {
    const pool = new ThreadPool<Jobs>({ module, threadCount: 1 });
    try {
      const s = new IoScheduler({ executionStrategy: 'pool', pool });
      expect(await s.offload('fib', 10)).toBe(55);
      await s.shutdown();
      expect(pool.isClosed).toBe(false);
      expect(await pool.run('fib', 11)).toBe(89);
    } finally {
      await pool.shutdown();
    }
  });

  it('in manual mode, a result is handed over in processEvents', async () => {
    const s = new IoScheduler<Jobs>({ threadStrategy: 'manual', pool: { module, threadCount: 1 } });
    let result: number | undefined;
    const job = s
      .offload('fib', 15)
      .start()
      .then((v) => (result = v));
    // The pending offload counts, before and after its result arrives.
    expect(s.size).toBe(1);
    // Wait (in real time) until the worker has answered: the result waits in the run queue.
    while (s.pool!.size > 0) await new Promise((r) => setTimeout(r, 5));
    expect(s.size).toBe(1);
    expect(result).toBeUndefined();
    await s.processEvents();
    await job;
    expect(result).toBe(610);
    await s.shutdown();
  });

  it('in manual mode, a pending offload keeps shutdown waiting, which delivers its result', async () => {
    const s = new IoScheduler<Jobs>({ threadStrategy: 'manual', pool: { module, threadCount: 1 } });
    const job = s.offload('sleep', 50).start();
    expect(s.size).toBe(1);
    // Nothing to run yet: processEvents leaves it pending (it does not wait in real time).
    expect(await s.processEvents()).toBe(1);
    await s.shutdown();
    expect(await syncWait(job, { timeout: 5000 })).toBe(50);
    expect(s.size).toBe(0);
    expect(s.pool!.isClosed).toBe(true);
  });

  it('in manual mode, a failing or cancelled offload counts until processEvents delivers it', async () => {
    const s = new IoScheduler<Jobs>({ threadStrategy: 'manual', pool: { module, threadCount: 1 } });
    const failing = s.offload('fail', 'on a worker').start();
    failing.catch(() => {});
    const cancelled = s.offload('sleep', 10_000);
    const started = cancelled.start();
    started.catch(() => {});
    expect(s.size).toBe(2);
    cancelled.requestStop();
    while (s.pool!.size > 0) await new Promise((r) => setTimeout(r, 5));
    expect(s.size).toBe(2);
    expect(await s.processEvents()).toBe(0);
    await expect(failing).rejects.toThrow('on a worker');
    await expect(started).rejects.toBeInstanceOf(CancelledError);
    await s.shutdown();
  });

  it('rejects contradictory options and offload without a pool', () => {
    expect(() => new IoScheduler({ executionStrategy: 'pool' })).toThrow(InvalidArgumentError);
    expect(
      () => new IoScheduler({ executionStrategy: 'inline', pool: { module, threadCount: 1 } }),
    ).toThrow(InvalidArgumentError);
    expect(() => new IoScheduler({ executionStrategy: 'gpu' as 'pool' })).toThrow(
      InvalidArgumentError,
    );
    const inline = new IoScheduler();
    expect(inline.executionStrategy).toBe('inline');
    expect(() => (inline as IoScheduler<Jobs>).offload('fib', 1)).toThrow(SchedulerModeError);
  });
  it('takes every documented option; a misspelt one fails before any pool is made', async () => {
    expect(
      () =>
        new IoScheduler({ pool: { module, threadCount: 1 }, threadStrategi: 'manual' } as never),
    ).toThrow('IoScheduler: unknown option "threadStrategi"');
    // ThreadPoolOptions given as `pool` are the pool's: it refuses their misspelt keys.
    expect(() => new IoScheduler({ pool: { module, threadcount: 1 } as never })).toThrow(
      'ThreadPool: unknown option "threadcount"',
    );
    const pool = new ThreadPool<Jobs>({ module, threadCount: 1 });
    const events: string[] = [];
    try {
      const s = new IoScheduler<Jobs>({
        threadStrategy: 'spawn',
        executionStrategy: 'pool',
        pool,
        onIoThreadStart: () => events.push('start'),
        onIoThreadStop: () => events.push('stop'),
        onError: () => events.push('error'),
      });
      expect(await s.offload('fib', 10)).toBe(55);
      await s.shutdown();
      expect(events).toEqual(['start', 'stop']);
    } finally {
      await pool.shutdown();
    }
  });

  it("keeps the class of io's errors across the pool's thread boundary (error registry)", async () => {
    const pool = new ThreadPool<Jobs>({ module, threadCount: 1 });
    try {
      const shutdown = await pool.run('throwSchedulerError', 'shutdown').catch((e: unknown) => e);
      expect(shutdown).toBeInstanceOf(SchedulerShutdownError);
      expect((shutdown as SchedulerShutdownError).code).toBe('ERR_CORO_SCHEDULER_SHUTDOWN');
      const mode = await pool.run('throwSchedulerError', 'mode').catch((e: unknown) => e);
      expect(mode).toBeInstanceOf(SchedulerModeError);
      expect((mode as SchedulerModeError).code).toBe('ERR_CORO_SCHEDULER_MODE');
    } finally {
      await pool.shutdown();
    }
  });
});
