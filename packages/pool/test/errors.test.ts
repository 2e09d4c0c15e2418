import { LockNotHeldError } from '@coro/sync';
import { CoroError, whenAllSettled } from '@coro/task';
import { describe, expect, it } from 'vitest';
import {
  CancelledError,
  DataCloneError,
  ModuleLoadError,
  UnknownJobError,
  WorkerCrashedError,
} from '../src/index.ts';
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

  it('an unregistered CoroError subclass arrives as a CoroError with its name, code and fields', async () => {
    const pool = makePool({ threadCount: 1 });
    const error = (await pool.run('throwUnregisteredCoroError').catch((e: unknown) => e)) as
      | CoroError
      | undefined;
    expect(error).toBeInstanceOf(CoroError);
    expect(error!.name).toBe('QuotaError');
    expect(error!.code).toBe('ERR_APP_QUOTA');
    expect((error as unknown as { limit: number }).limit).toBe(10);
    expect(error!.message).toBe('over quota');
    expect(error!.stack).toContain('jobs.ts');
  });

  it('a bare CoroError with an unregistered code arrives as a CoroError with that code', async () => {
    const pool = makePool({ threadCount: 1 });
    const error = (await pool.run('throwCoroErrorWithUnknownCode').catch((e: unknown) => e)) as
      | CoroError
      | undefined;
    expect(error).toBeInstanceOf(CoroError);
    expect(error!.name).toBe('CoroError');
    expect(error!.code).toBe('ERR_APP_UNKNOWN');
    expect(error!.message).toBe('custom failure');
  });

  it('a plain Error with a code stays a plain Error', async () => {
    const pool = makePool({ threadCount: 1 });
    const error = (await pool.run('throwHostile', 'getter').catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(CoroError);
  });
});

describe('hostile thrown values fail only their own job; the thread stays healthy', () => {
  /** Runs `name(kind)` next to a bystander on the same single thread; returns the rejection. */
  async function thrownBy(name: 'throwHostile' | 'throwHostileAsync', kind: string) {
    const pool = makePool({ threadCount: 1 });
    const [bystander, thrower] = await whenAllSettled([
      pool.run('sleep', 100),
      pool.run(name, kind),
    ]);
    expect(bystander.value()).toBe(100);
    expect(thrower.ok).toBe(false);
    expect(thrower.reason).not.toBeInstanceOf(WorkerCrashedError);
    expect(pool.stats().crashes).toBe(0);
    expect(await pool.run('add', 1, 2)).toBe(3);
    return thrower.reason as Error & Record<string, unknown>;
  }

  for (const name of ['throwHostile', 'throwHostileAsync'] as const) {
    describe(name, () => {
      it('an Error with an enumerable getter that throws: the rest of it is kept, that field skipped', async () => {
        const error = await thrownBy(name, 'getter');
        expect(error).toBeInstanceOf(Error);
        expect(error.name).toBe('Error');
        expect(error.message).toBe('bad field');
        expect(error.code).toBe('ERR_APP_BAD_FIELD');
        expect(error.kept).toBe(1);
        expect(error.stack).toContain('jobs.ts');
        expect('detail' in error).toBe(false);
      });

      it('a thrown non-Error object with a throwing getter arrives as a string', async () => {
        expect(await thrownBy(name, 'object')).toBe('[object Object]');
      });

      it('a thrown value that cannot even be made a string arrives as a description', async () => {
        expect(typeof (await thrownBy(name, 'null-prototype'))).toBe('string');
        expect(typeof (await thrownBy(name, 'revoked-proxy'))).toBe('string');
      });

      it('a Proxy of an Error whose traps throw: what can be read is kept', async () => {
        const error = await thrownBy(name, 'proxy');
        expect(error).toBeInstanceOf(Error);
        expect(error.name).toBe('Error');
        expect(error.message).toBe('behind a proxy');
      });

      it('an Error whose name cannot be made a string is an Error', async () => {
        const error = await thrownBy(name, 'hostile-name');
        expect(error.name).toBe('Error');
        expect(error.message).toBe('strange name');
      });

      it('a cause that is a hostile error is kept as far as it can be', async () => {
        const error = await thrownBy(name, 'cause');
        expect(error).toBeInstanceOf(RangeError);
        expect(error.message).toBe('outer');
        const cause = error.cause as Error & Record<string, unknown>;
        expect(cause).toBeInstanceOf(Error);
        expect(cause.message).toBe('inner, hostile');
        expect(cause.code).toBe('ERR_APP_BAD_FIELD');
        expect('detail' in cause).toBe(false);
      });

      it('a cyclic cause chain arrives as the same cycle', async () => {
        const error = await thrownBy(name, 'cycle');
        expect(error.message).toBe('a');
        const cause = error.cause as Error;
        expect(cause).toBeInstanceOf(TypeError);
        expect(cause.message).toBe('b');
        expect(cause.cause).toBe(error);
      });

      it('an AggregateError that contains itself arrives with the same cycle', async () => {
        const error = (await thrownBy(name, 'aggregate-cycle')) as unknown as AggregateError;
        expect(error).toBeInstanceOf(AggregateError);
        expect(error.errors[0]).toBe(error);
        expect((error.errors[1] as Error).message).toBe('member');
        expect((error.errors[1] as { code: string }).code).toBe('ERR_APP_BAD_FIELD');
      });
    });
  }
});

describe('a result that is a hostile thenable settles only its own job, once', () => {
  it('a `then` getter or a `then` that throws fails that job with its error', async () => {
    const pool = makePool({ threadCount: 1 });
    const results = await whenAllSettled([
      pool.run('sleep', 100),
      pool.run('returnHostileThenable', 'then-getter-throws'),
      pool.run('returnHostileThenable', 'then-throws'),
    ]);
    expect(results[0].value()).toBe(100);
    expect((results[1].reason as Error).message).toBe('then getter threw');
    expect((results[2].reason as Error).message).toBe('then threw');
    expect(pool.stats().crashes).toBe(0);
  });

  it('a `then` that calls back twice counts once; the next job in its slot keeps its own result', async () => {
    const pool = makePool({ threadCount: 1, concurrentTasksPerWorker: 1 });
    expect(await pool.run('returnHostileThenable', 'twice')).toBe('first');
    // The same (only) slot; the stray second call comes while this job runs.
    expect(await pool.run('sleep', 50)).toBe(50);
    expect(await pool.run('add', 1, 2)).toBe(3);
    expect(pool.stats().crashes).toBe(0);
  });
});
