import { LockNotHeldError } from '@coro/sync';
import { CoroError, whenAllSettled } from '@coro/task';
import { describe, expect, it } from 'vitest';
import { CancelledError, DataCloneError, ModuleLoadError, UnknownJobError } from '../src/index.ts';
import { makePool, makeUntypedPool } from './utils/pools.ts';

describe('errors across the thread boundary', () => {
  it("rejects with the job's error: name, message, stack, cause and own fields kept", async () => {
    const pool = makePool();
    const error = (await pool.run('fail', 'bad input').catch((e: unknown) => e)) as Error & {
      line: number;
    };
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ParseError');
    expect(error.message).toBe('bad input');
    expect(error.line).toBe(7);
    expect(error.stack).toContain('bad input');
    expect(error.stack).toContain('jobs.ts');
    expect(error.cause).toBeInstanceOf(TypeError);
    expect((error.cause as Error).message).toBe('inner cause');
  });

  it('keeps built-in error classes and async rejections', async () => {
    const pool = makePool();
    const error = await pool.run('failAsync', 'out of range').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toBe('out of range');
  });

  it('rejects with a thrown non-error value as it is', async () => {
    const pool = makePool();
    await expect(pool.run('throwString')).rejects.toBe('plain string');
  });

  it('fails an unknown export or a non-function export with UnknownJobError; the pool stays healthy', async () => {
    const pool = makePool({ threadCount: 1 });
    const unknown = await pool.run('nope' as never).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(UnknownJobError);
    expect((unknown as UnknownJobError).code).toBe('ERR_CORO_POOL_UNKNOWN_JOB');
    expect((unknown as UnknownJobError).jobName).toBe('nope');
    expect((unknown as Error).message).toContain('add');
    await expect(pool.run('notAFunction' as never)).rejects.toBeInstanceOf(UnknownJobError);
    expect(await pool.run('add', 1, 1)).toBe(2);
  });

  it('fails arguments that cannot be cloned with DataCloneError, only for that job', async () => {
    const pool = makePool({ threadCount: 1 });
    const good = pool.run('add', 1, 2);
    const bad = pool.run('echo', () => 1);
    const alsoGood = pool.run('add', 3, 4);
    // All three go to the thread in one message: the bad one must not sink the others.
    const results = await whenAllSettled([good, bad, alsoGood]);
    expect(results[0].value()).toBe(3);
    expect(results[2].value()).toBe(7);
    const error = results[1].reason as DataCloneError;
    expect(error).toBeInstanceOf(DataCloneError);
    expect(error.code).toBe('ERR_CORO_POOL_DATA_CLONE');
    expect(error.message).toContain("job 'echo'");
    expect(await pool.run('add', 5, 5)).toBe(10);
    expect(pool.size).toBe(0);
  });

  it('fails a result that cannot be cloned with DataCloneError; the others arrive', async () => {
    const pool = makePool({ threadCount: 1 });
    const results = await whenAllSettled([
      pool.run('add', 1, 2),
      pool.run('returnFunction'),
      pool.run('add', 3, 4),
    ]);
    expect(results[0].value()).toBe(3);
    expect(results[1].reason).toBeInstanceOf(DataCloneError);
    expect(results[2].value()).toBe(7);
    expect(await pool.run('add', 5, 5)).toBe(10);
  });

  it('fails every job with ModuleLoadError when the module does not load, without crash loops', async () => {
    const started: number[] = [];
    const pool = makeUntypedPool({
      module: new URL('./fixtures/broken.ts', import.meta.url),
      threadCount: 2,
      onThreadStart: (i) => started.push(i),
    });
    const error = (await pool.run('never').catch((e: unknown) => e)) as ModuleLoadError;
    expect(error).toBeInstanceOf(ModuleLoadError);
    expect(error.code).toBe('ERR_CORO_POOL_MODULE_LOAD');
    expect(error.module).toContain('broken.ts');
    expect((error.cause as Error).message).toBe('this module refuses to load');
    await expect(pool.run('never')).rejects.toBeInstanceOf(ModuleLoadError);
    expect(pool.stats().crashes).toBe(0);
    await pool.shutdown();
  });

  it('fails jobs with ModuleLoadError when the module does not exist', async () => {
    const pool = makeUntypedPool({
      module: new URL('./fixtures/does-not-exist.ts', import.meta.url),
      threadCount: 1,
    });
    await expect(pool.run('anything')).rejects.toBeInstanceOf(ModuleLoadError);
    await pool.shutdown();
  });

  it('exports CancelledError for matching', () => {
    expect(new CancelledError().code).toBe('ERR_CORO_CANCELLED');
  });

  it("keeps the class of another coro package's error: LockNotHeldError stays one", async () => {
    const pool = makePool({ threadCount: 1 });
    const error = await pool.run('throwLockNotHeld').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockNotHeldError);
    expect(error).toBeInstanceOf(CoroError);
    expect((error as LockNotHeldError).code).toBe('ERR_CORO_LOCK_NOT_HELD');
    expect((error as LockNotHeldError).name).toBe('LockNotHeldError');
    expect((error as Error).message).toBe('unlock() of a mutex nobody holds');
    expect((error as Error).stack).toContain('jobs.ts');
  });
});
