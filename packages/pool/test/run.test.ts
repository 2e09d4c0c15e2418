import { Task, whenAll } from '@coro/task';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, PoolClosedError, ThreadPool, withJobContext } from '../src/index.ts';
import { eventually, jobsModule, makePool, makeUntypedPool } from './utils/pools.ts';

describe('ThreadPool.run', () => {
  it('runs an exported function on a thread and resolves with its result', async () => {
    const pool = makePool();
    const result = pool.run('add', 20, 22);
    expect(result).toBeInstanceOf(Task);
    expect(await result).toBe(42);
    expect(await pool.run('addAsync', 1, 2)).toBe(3);
    expect(await pool.run('fib', 20)).toBe(6765);
  });

  it('is lazy: nothing is sent until the task starts, and awaiting twice runs it once', async () => {
    const pool = makePool({ threadCount: 1 });
    const flags = new Int32Array(new SharedArrayBuffer(4));
    const job = pool.run('mark', flags, 0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(Atomics.load(flags, 0)).toBe(0);
    expect(pool.size).toBe(0);
    expect(await job).toBe(0);
    expect(Atomics.load(flags, 0)).toBe(1);
    expect(await job).toBe(0);
    expect(pool.stats().completed).toBe(1);
  });

  it('copies values that structured clone supports, both ways', async () => {
    const pool = makePool();
    const value = { date: new Date(0), set: new Set([1, 2]), nested: [{ a: 1n }], u: undefined };
    expect(await pool.run('echo', value)).toEqual(value);
    expect(await pool.run('returnBigIntAndMap')).toEqual({ n: 10n, m: new Map([['a', 1]]) });
  });

  it('passes the context first to a withJobContext job, and only the arguments to others', async () => {
    const pool = makePool();
    expect(await pool.run('optionalAfterContext', 1)).toBe('1:undefined:optionalAfterContext');
    expect(await pool.run('optionalAfterContext', 1, 2)).toBe('1:2:optionalAfterContext');
    // A function that is not wrapped gets exactly the caller's arguments.
    expect(await pool.run('sum', 1, 2, 3, 4)).toBe(10);
    expect(await pool.run('sum')).toBe(0);
    // An object that looks like options is an argument like any other.
    expect(await pool.run('timeoutOf', { timeout: 5 })).toBe(5);
    expect(await pool.runWith({ timeout: 10_000 }, 'timeoutOf', { timeout: 6 })).toBe(6);
  });

  it('spreads thousands of jobs over every thread and loses none', async () => {
    let up = 0;
    const pool = makePool({
      threadCount: 3,
      concurrentTasksPerWorker: 4,
      onThreadStart: () => up++,
    });
    // Once all are up (before that, a thread that is up takes work from those still loading).
    await eventually(() => up === 3);
    const n = 5000;
    const tasks = [];
    for (let i = 0; i < n; i++) tasks.push(pool.run('tagged', i));
    const results = await whenAll(tasks);
    let sum = 0;
    const perThread = [0, 0, 0];
    for (const r of results) {
      sum += r.value;
      perThread[r.thread]!++;
    }
    expect(sum).toBe(n * (n - 1));
    for (const count of perThread) expect(count).toBeGreaterThan(0);
    expect(perThread.reduce((a, b) => a + b)).toBe(n);
    const stats = pool.stats();
    expect(stats.completed).toBe(n);
    expect(stats.failed).toBe(0);
    expect(pool.size).toBe(0);
    expect(pool.queueSize).toBe(0);
    expect(pool.isEmpty).toBe(true);
  });

  it('interleaves async jobs on one thread; yield() lets the others run', async () => {
    const pool = makePool({ threadCount: 1, concurrentTasksPerWorker: 4 });
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const tickets = await whenAll([0, 1, 2].map(() => pool.run('cooperative', counter)));
    // Every job took its first ticket before any took its second: each yielded to the others.
    expect(tickets).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
  });

  it('holds at most concurrentTasksPerWorker jobs per thread and queues the rest', async () => {
    const pool = makePool({ threadCount: 2, concurrentTasksPerWorker: 2 });
    const flags = new Int32Array(new SharedArrayBuffer(4));
    const blockers = [];
    for (let i = 0; i < 4; i++) blockers.push(pool.run('blockUntil', flags, 0).start());
    const queued = [pool.run('add', 1, 1).start(), pool.run('add', 2, 2).start()];
    expect(pool.size).toBe(6);
    expect(pool.queueSize).toBe(2);
    Atomics.store(flags, 0, 1);
    Atomics.notify(flags, 0);
    expect(await Promise.all(blockers)).toEqual(['released', 'released', 'released', 'released']);
    expect(await Promise.all(queued)).toEqual([2, 4]);
    expect(pool.queueSize).toBe(0);
  });

  it('reports stats: counts, wait and run times, utilization', async () => {
    const pool = makePool({ threadCount: 1 });
    await whenAll([pool.run('blockFor', 50), pool.run('blockFor', 50)]);
    await pool.run('fail', 'x').catch(() => {});
    const stats = pool.stats();
    expect(stats.completed).toBe(2);
    expect(stats.failed).toBe(1);
    expect(stats.cancelled).toBe(0);
    expect(stats.runTime.mean).toBeGreaterThan(10);
    expect(stats.runTime.p99).toBeGreaterThanOrEqual(stats.runTime.mean / 2);
    expect(stats.waitTime.mean).toBeGreaterThanOrEqual(0);
    expect(stats.utilization).toBeGreaterThan(0);
    expect(stats.utilization).toBeLessThanOrEqual(1);
  });

  it('calls onThreadStart and onThreadStop with each thread index', async () => {
    const started: number[] = [];
    const stopped: number[] = [];
    const pool = makePool({
      threadCount: 3,
      onThreadStart: (i) => started.push(i),
      onThreadStop: (i) => stopped.push(i),
    });
    expect(pool.threadCount).toBe(3);
    await eventually(() => started.length === 3);
    expect(started.sort()).toEqual([0, 1, 2]);
    await pool.shutdown();
    expect(stopped.sort()).toEqual([0, 1, 2]);
  });

  it('pairs every onThreadStart with an onThreadStop, even when shut down at once', async () => {
    const events: string[] = [];
    const pool = makePool({
      threadCount: 2,
      onThreadStart: (i) => events.push(`start ${i}`),
      onThreadStop: (i) => events.push(`stop ${i}`),
    });
    await pool.shutdown();
    expect(events.filter((e) => e.startsWith('start')).sort()).toEqual(['start 0', 'start 1']);
    expect(events.filter((e) => e.startsWith('stop')).sort()).toEqual(['stop 0', 'stop 1']);
    for (const i of [0, 1]) {
      expect(events.indexOf(`start ${i}`)).toBeLessThan(events.indexOf(`stop ${i}`));
    }
  });

  it('accepts a path or a file: URL string as the module, and defaults threadCount', async () => {
    const { fileURLToPath } = await import('node:url');
    const { availableParallelism } = await import('node:os');
    const byPath = new ThreadPool<typeof import('./fixtures/jobs.ts')>({
      module: fileURLToPath(jobsModule),
    });
    const byUrl = new ThreadPool<typeof import('./fixtures/jobs.ts')>({
      module: jobsModule.href,
      threadCount: 1,
    });
    try {
      expect(byPath.threadCount).toBe(availableParallelism());
      expect(await byPath.run('add', 1, 1)).toBe(2);
      expect(await byUrl.run('add', 2, 2)).toBe(4);
    } finally {
      await Promise.all([byPath.shutdown(), byUrl.shutdown()]);
    }
  });

  it('rejects bad options at the call with InvalidArgumentError', () => {
    const bad: unknown[] = [
      undefined,
      {},
      { module: '' },
      { module: 42 },
      { module: jobsModule, threadCount: 0 },
      { module: jobsModule, threadCount: 1.5 },
      { module: jobsModule, concurrentTasksPerWorker: 0 },
      { module: jobsModule, concurrentTasksPerWorker: 2 ** 29 },
      { module: jobsModule, maxQueue: -1 },
      { module: jobsModule, onThreadStart: 'nope' },
    ];
    for (const options of bad) {
      expect(() => new ThreadPool(options as never)).toThrow(InvalidArgumentError);
    }
    expect(() => new ThreadPool({ module: jobsModule, concurrentTasksPerWorker: 2 ** 29 })).toThrow(
      /concurrentTasksPerWorker must be an integer from 1 to 65536/,
    );
    const pool = makePool({ threadCount: 1 });
    expect(() => pool.run(42 as never)).toThrow(InvalidArgumentError);
    // Trailing options must be options and nothing else.
    const signal = new AbortController().signal;
    expect(() => pool.run('fib', 20, { signal, extra: 1 } as never)).toThrow(/unknown key "extra"/);
    expect(() => pool.run('fib', 20, { signal, timeout: -1 })).toThrow(InvalidArgumentError);
    expect(() => pool.runWith(null as never, 'add', 1, 2)).toThrow(InvalidArgumentError);
    expect(() => pool.runWith({ timeout: -1 }, 'add', 1, 2)).toThrow(InvalidArgumentError);
    expect(() => pool.runWith({ transfer: 'x' as never }, 'add', 1, 2)).toThrow(
      InvalidArgumentError,
    );
    expect(() => pool.runWith({ onFull: 'later' as never }, 'add', 1, 2)).toThrow(
      InvalidArgumentError,
    );
  });

  it('refuses unknown option keys in the constructor and in runWith, naming what it takes', () => {
    for (const options of [
      { module: jobsModule, threadcount: 2 },
      { modul: jobsModule },
      { module: jobsModule, threadCount: 1, onerror: () => {} },
    ]) {
      expect(() => new ThreadPool(options as never)).toThrow(InvalidArgumentError);
    }
    expect(() => new ThreadPool({ module: jobsModule, threadcount: 2 } as never)).toThrow(
      'ThreadPool: unknown option "threadcount" (it takes module, threadCount, concurrentTasksPerWorker, maxQueue, resourceLimits, onThreadStart, onThreadStop, onError)',
    );
    const pool = makePool({ threadCount: 1 });
    expect(() => pool.runWith({ timout: 5 } as never, 'add', 1, 2)).toThrow(
      'ThreadPool.runWith: unknown option "timout" (it takes signal, timeout, transfer, onFull)',
    );
    expect(() => pool.runWith({ timeout: 5, signl: undefined } as never, 'add', 1, 2)).toThrow(
      InvalidArgumentError,
    );
    // Every known key, even undefined, is fine.
    const all = { signal: undefined, timeout: undefined, transfer: undefined, onFull: undefined };
    expect(pool.runWith(all, 'add', 1, 2)).toBeInstanceOf(Task);
  });

  it("run's trailing object is options only with a signal (then unknown keys throw), else an argument", async () => {
    const pool = makePool({ threadCount: 1 });
    const signal = new AbortController().signal;
    expect(() => pool.run('echo', { signal, timout: 5 } as never)).toThrow(/unknown key "timout"/);
    // No signal: the job's own argument, whatever its keys, passed on as it is.
    expect(await pool.run('echo', { timout: 5 } as never)).toEqual({ timout: 5 });
    expect(await pool.run('timeoutOf', { timeout: 7 })).toBe(7);
    expect(await pool.run('add', 1, 2, { signal })).toBe(3);
  });

  it('caps threadCount at 256: each thread is a V8 isolate', () => {
    // Through makeUntypedPool, so that a pool made anyway is terminated after the test.
    expect(() => makeUntypedPool({ module: jobsModule, threadCount: 257 })).toThrow(
      'ThreadPool: threadCount must be an integer from 1 to 256, got 257',
    );
    expect(() => new ThreadPool({ module: jobsModule, threadCount: 1e6 })).toThrow(
      InvalidArgumentError,
    );
  });

  it('spawnDetached runs a job nobody awaits and sends its error to onError', async () => {
    const errors: unknown[] = [];
    const pool = makePool({ threadCount: 1, onError: (e) => errors.push(e) });
    const flags = new Int32Array(new SharedArrayBuffer(4));
    pool.spawnDetached('mark', flags, 0);
    pool.spawnDetached('fail', 'detached');
    pool.spawnDetached(pool.runWith({}, 'fail', 'as a task'));
    await eventually(() => errors.length === 2 && Atomics.load(flags, 0) === 1);
    expect((errors as Error[]).map((e) => e.message).sort()).toEqual(['as a task', 'detached']);
    expect(() => pool.spawnDetached(42 as never)).toThrow(InvalidArgumentError);
  });

  it('never passes anything the caller did not pass to an ordinary optional parameter', async () => {
    const pool = makePool({ threadCount: 1 });
    expect(await pool.run('greet', 'bob')).toBe('hello, bob');
    expect(await pool.run('greet', 'bob', 'hi')).toBe('hi, bob');
  });

  it('withJobContext marks the function it is given, and refuses a non-function', () => {
    const fn = (_ctx: unknown, a: number) => a;
    expect(withJobContext(fn)).toBe(fn);
    expect(withJobContext(fn)).toBe(fn); // marking twice is harmless
    expect(() => withJobContext(42 as never)).toThrow(InvalidArgumentError);
  });

  it('spawnDetached after shutdown() or terminate() throws PoolClosedError at the call', async () => {
    const errors: unknown[] = [];
    const pool = makePool({ threadCount: 1, onError: (e) => errors.push(e) });
    const closing = pool.shutdown();
    expect(() => pool.spawnDetached('add', 1, 2)).toThrow(PoolClosedError);
    await closing;
    expect(() => pool.spawnDetached('add', 1, 2)).toThrow(PoolClosedError);
    expect(() => pool.spawnDetached(pool.run('add', 1, 2))).toThrow(PoolClosedError);
    const other = makePool({ threadCount: 1, onError: (e) => errors.push(e) });
    await other.terminate();
    expect(() => other.spawnDetached('add', 1, 2)).toThrow(PoolClosedError);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(errors).toEqual([]);
  });
});
