import { spawn } from 'node:child_process';
import { whenAll } from '@coro/task';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, PoolClosedError, ThreadPool } from '../src/index.ts';
import { jobsModule, makePool, makeUntypedPool } from './utils/pools.ts';

/** Runs a script in a fresh Node.js process and reports how it ended. */
function runScript(source: string, flags: string[] = [], timeoutMs = 20_000) {
  return new Promise<{
    code: number | null;
    signal: string | null;
    stdout: string;
    stderr: string;
  }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...flags, '--conditions=@coro/source', '--input-type=module', '-e', source],
      { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const indexUrl = new URL('../src/index.ts', import.meta.url).href;

describe('shutdown and terminate', () => {
  it('shutdown() finishes queued and running jobs, then joins every thread', async () => {
    const stopped: number[] = [];
    const pool = makePool({
      threadCount: 2,
      concurrentTasksPerWorker: 1,
      onThreadStop: (i) => stopped.push(i),
    });
    const tasks = [];
    for (let i = 0; i < 6; i++) tasks.push(pool.run('sleep', 20 + i).start());
    expect(pool.queueSize).toBeGreaterThan(0);
    const closing = pool.shutdown();
    expect(pool.isClosed).toBe(true);
    await expect(pool.run('add', 1, 1)).rejects.toBeInstanceOf(PoolClosedError);
    await closing;
    expect(await Promise.all(tasks)).toEqual([20, 21, 22, 23, 24, 25]);
    expect(stopped.sort()).toEqual([0, 1]);
    expect(pool.size).toBe(0);
    expect(pool.shutdown()).toBe(closing);
  });

  it('terminate() rejects queued and running jobs at once and ends the threads', async () => {
    const pool = makePool({ threadCount: 1, concurrentTasksPerWorker: 1 });
    const beforeRun = Date.now();
    const running = pool.run('sleep', 10_000).start();
    const queued = pool.run('add', 1, 1).start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await pool.terminate();
    // At once: waiting for the running job would end ≥ 10 s after it was submitted, however
    // fast or slow the machine.
    expect(Date.now() - beforeRun).toBeLessThan(10_000);
    await expect(running).rejects.toBeInstanceOf(PoolClosedError);
    await expect(queued).rejects.toBeInstanceOf(PoolClosedError);
    expect(pool.stats().cancelled).toBe(2);
    await expect(pool.run('add', 1, 1)).rejects.toBeInstanceOf(PoolClosedError);
  });

  it('terminate() during a draining shutdown() ends both at once', async () => {
    const pool = makePool({ threadCount: 1 });
    const running = pool.run('sleep', 10_000).start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = pool.shutdown();
    await pool.terminate();
    await closing;
    await expect(running).rejects.toBeInstanceOf(PoolClosedError);
  });

  it('await using shuts the pool down at the end of the scope', async () => {
    let pool: ThreadPool<typeof import('./fixtures/jobs.ts')> | undefined;
    {
      await using scoped = new ThreadPool<typeof import('./fixtures/jobs.ts')>({
        module: jobsModule,
        threadCount: 1,
      });
      pool = scoped;
      expect(await scoped.run('add', 1, 2)).toBe(3);
    }
    expect(pool.isClosed).toBe(true);
    await expect(pool.run('add', 1, 1)).rejects.toBeInstanceOf(PoolClosedError);
  });

  it('shutdown() of a pool that never ran anything resolves', async () => {
    const pool = makePool({ threadCount: 2 });
    await pool.shutdown();
    expect(pool.isClosed).toBe(true);
  });

  it('leaves nothing behind: a process exits by itself after shutdown() with work in flight', async () => {
    const { code, stdout, stderr } = await runScript(`
      import { ThreadPool } from ${JSON.stringify(indexUrl)};
      const pool = new ThreadPool({ module: ${JSON.stringify(jobsModule.href)}, threadCount: 2 });
      const jobs = [];
      for (let i = 0; i < 1000; i++) jobs.push(pool.run('add', i, 1).start());
      jobs.push(pool.run('sleep', 50).start());
      await pool.shutdown();
      const results = await Promise.all(jobs);
      console.log(results.length, results[999]);
    `);
    expect(stderr).toBe('');
    expect(stdout.trim()).toBe('1001 1000');
    expect(code).toBe(0);
  });

  it('an idle pool does not keep the process alive, and a busy one does until its jobs end', async () => {
    const { code, stdout, stderr } = await runScript(`
      import { ThreadPool } from ${JSON.stringify(indexUrl)};
      const pool = new ThreadPool({ module: ${JSON.stringify(jobsModule.href)}, threadCount: 1 });
      // Nothing awaits this promise chain: only the busy thread keeps the process up.
      pool.run('sleep', 200).start().then((v) => console.log('slept', v));
    `);
    expect(stderr).toBe('');
    expect(stdout.trim()).toBe('slept 200');
    expect(code).toBe(0);
  });

  it('shutdown() lets threads exit on their own, so nothing a job printed is lost', async () => {
    const { code, stdout, stderr } = await runScript(`
      import { ThreadPool } from ${JSON.stringify(indexUrl)};
      const pool = new ThreadPool({ module: ${JSON.stringify(jobsModule.href)}, threadCount: 2 });
      await Promise.all([pool.run('logLines', 200).start(), pool.run('logLines', 200).start()]);
      await pool.shutdown();
    `);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(
      stdout
        .trim()
        .split('\n')
        .filter((line) => line.startsWith('job line')),
    ).toHaveLength(400);
  });

  it('a thread kept alive by its module is terminated after a grace period', async () => {
    const stopped: number[] = [];
    const pool = makeUntypedPool({
      module: new URL('./fixtures/keeps-alive.ts', import.meta.url),
      threadCount: 1,
      onThreadStop: (i) => stopped.push(i),
    });
    expect(await pool.run('ping')).toBe('pong');
    await pool.shutdown();
    expect(stopped).toEqual([0]);
  });

  it('threads start from `node --expose-gc --input-type=module -e`, whose flags they cannot take', async () => {
    const { code, stdout, stderr } = await runScript(
      `
      import { ThreadPool } from ${JSON.stringify(indexUrl)};
      const pool = new ThreadPool({ module: ${JSON.stringify(jobsModule.href)}, threadCount: 1 });
      console.log(await pool.run('add', 40, 2));
      await pool.shutdown();
    `,
      ['--expose-gc'],
    );
    expect(stderr).toBe('');
    expect(stdout.trim()).toBe('42');
    expect(code).toBe(0);
  });

  it('after terminate() the process exits too', async () => {
    const { code, stderr } = await runScript(`
      import { ThreadPool } from ${JSON.stringify(indexUrl)};
      const pool = new ThreadPool({ module: ${JSON.stringify(jobsModule.href)}, threadCount: 2 });
      const job = pool.run('spinUntilStopped').start().catch(() => {});
      await new Promise((r) => setTimeout(r, 50));
      await pool.terminate();
      await job;
    `);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('many jobs on all threads, then shutdown: every result arrives', async () => {
    const pool = makePool({ threadCount: 2 });
    const tasks = Array.from({ length: 2000 }, (_, i) => pool.run('add', i, i));
    const all = whenAll(tasks).start();
    await pool.shutdown();
    const results = await all;
    expect(results.reduce((a, b) => a + b, 0)).toBe(2 * ((1999 * 2000) / 2));
  });

  it('shutdown() right after creating a pool whose module exits while loading ends cleanly', async () => {
    const exitsOnLoad = new URL('./fixtures/exits-on-load.ts', import.meta.url).href;
    // Whether the process used to end early depended on when the threads died: try a few.
    const runs = await Promise.all(
      [1, 2, 1, 2].map((threadCount) =>
        runScript(`
          import { ThreadPool } from ${JSON.stringify(indexUrl)};
          const pool = new ThreadPool({ module: ${JSON.stringify(exitsOnLoad)}, threadCount: ${threadCount} });
          await pool.shutdown();
          console.log('shut down');
        `),
      ),
    );
    for (const { code, stdout, stderr } of runs) {
      expect({ code, stdout: stdout.trim(), stderr }).toEqual({
        code: 0,
        stdout: 'shut down',
        stderr: '',
      });
    }
  });

  it('shutdown({ timeout }) terminates what still runs after the grace period and reports it', async () => {
    const pool = makePool({ threadCount: 1, concurrentTasksPerWorker: 2 });
    expect(await pool.run('add', 1, 1)).toBe(2);
    const stuck = pool.run('spinForever');
    const stuckPromise = stuck.start();
    // Sent to the same thread, behind the stuck job: it never gets to start.
    const behind = pool.run('add', 2, 2);
    const behindPromise = behind.start();
    // Waits for a thread (the only one is full).
    const queued = pool.run('add', 3, 3);
    const queuedPromise = queued.start();
    expect(() => pool.shutdown({ timeout: -1 })).toThrow(InvalidArgumentError);
    const result = await pool.shutdown({ timeout: 100 });
    expect(result.cutOff.map((job) => job.name)).toEqual(['spinForever', 'add', 'add']);
    expect(result.cutOff.map((job) => job.task)).toEqual([stuck, behind, queued]);
    expect(result.cutOff.map((job) => job.threadIndex)).toEqual([0, 0, undefined]);
    for (const promise of [stuckPromise, behindPromise, queuedPromise]) {
      const error = await promise.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PoolClosedError);
      expect((error as Error).message).toMatch(/shutdown.*100 ms/);
    }
    expect(pool.size).toBe(0);
    // Calling again returns the same promise; a drained shutdown reports nothing cut off.
    expect(await pool.shutdown()).toBe(result);
    const quiet = makePool({ threadCount: 1 });
    expect(await quiet.run('add', 1, 2)).toBe(3);
    expect((await quiet.shutdown({ timeout: 10_000 })).cutOff).toEqual([]);
  });

  it('shutdown(options) refuses a key it does not take, and leaves the pool running', async () => {
    const pool = makePool({ threadCount: 1 });
    for (const options of [{ timout: 5 }, { timeout: 5, grace: 10 }, { Timeout: 5 }]) {
      expect(() => pool.shutdown(options as never)).toThrow(InvalidArgumentError);
    }
    expect(() => pool.shutdown({ timout: 5 } as never)).toThrow(
      'ThreadPool.shutdown: unknown option "timout" (it takes timeout)',
    );
    // Nothing was shut down by the refused calls.
    expect(pool.isClosed).toBe(false);
    expect(await pool.run('add', 1, 2)).toBe(3);
    // Its one documented option, set or left undefined.
    expect((await pool.shutdown({ timeout: 10_000 })).cutOff).toEqual([]);
    const other = makePool({ threadCount: 1 });
    expect((await other.shutdown({ timeout: undefined })).cutOff).toEqual([]);
  });

  it('a shutdown timeout leaves nothing behind: the process exits once the pool is joined', async () => {
    const started = Date.now();
    const { code, stdout, stderr } = await runScript(`
      import { ThreadPool } from ${JSON.stringify(indexUrl)};
      const pool = new ThreadPool({ module: ${JSON.stringify(jobsModule.href)}, threadCount: 1 });
      console.log(await pool.run('add', 1, 2));
      const { cutOff } = await pool.shutdown({ timeout: 60_000 });
      // A call after the join arms nothing either.
      await pool.shutdown({ timeout: 60_000 });
      console.log(cutOff.length);
    `);
    expect(stderr).toBe('');
    expect(stdout.trim()).toBe('3\n0');
    expect(code).toBe(0);
    // Far less than the 60 s deadline: no timer kept the process alive.
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
