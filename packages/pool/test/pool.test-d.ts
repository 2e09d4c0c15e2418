import type { Task } from '@coro/task';
import { describe, expectTypeOf, it } from 'vitest';
import type { JobArgs, JobContext, JobName, JobResult, ThreadPool } from '../src/index.ts';
import { withJobContext } from '../src/index.ts';

type Jobs = typeof import('./fixtures/jobs.ts');
declare const pool: ThreadPool<Jobs>;

describe('ThreadPool typing', () => {
  it('types results from the module', () => {
    expectTypeOf(pool.run('add', 1, 2)).toEqualTypeOf<Task<number>>();
    // An async job resolves with the awaited value.
    expectTypeOf(pool.run('addAsync', 1, 2)).toEqualTypeOf<Task<number>>();
    expectTypeOf(pool.run('tagged', 1)).toEqualTypeOf<Task<{ thread: number; value: number }>>();
    expectTypeOf(pool.runWith({ timeout: 10 }, 'fib', 30)).toEqualTypeOf<Task<number>>();
  });

  it('rejects unknown names and non-function exports at compile time', () => {
    // @ts-expect-error: no such export
    pool.run('nope');
    // @ts-expect-error: an export, but not a function
    pool.run('notAFunction');
    expectTypeOf<JobName<Jobs>>().toExtend<string>();
    expectTypeOf<'notAFunction'>().not.toExtend<JobName<Jobs>>();
    expectTypeOf<'add'>().toExtend<JobName<Jobs>>();
  });

  it('checks argument types and counts', () => {
    // @ts-expect-error: a string where a number goes
    pool.run('add', 1, '2');
    // @ts-expect-error: too few arguments
    pool.run('add', 1);
    // @ts-expect-error: too many arguments
    pool.run('add', 1, 2, 3);
    pool.run('sum', 1, 2, 3, 4, 5);
    pool.run('sum');
  });

  it("withJobContext: the context comes first and is not the caller's to pass", () => {
    expectTypeOf<JobArgs<Jobs, 'threadIndex'>>().toEqualTypeOf<[]>();
    expectTypeOf<JobArgs<Jobs, 'fillAndReturn'>>().toEqualTypeOf<
      [buffer: ArrayBuffer, value: number]
    >();
    pool.run('threadIndex');
    // @ts-expect-error: the context is not the caller's to pass
    pool.run('threadIndex', {} as JobContext);
    pool.run('optionalAfterContext', 1);
    pool.run('optionalAfterContext', 1, 2);
    expectTypeOf<JobResult<Jobs, 'fillAndReturn'>>().toEqualTypeOf<ArrayBuffer>();
    expectTypeOf(pool.run('tagged', 1)).toEqualTypeOf<Task<{ thread: number; value: number }>>();
    // The wrapper types its context parameter itself.
    withJobContext((ctx, n: number) => {
      expectTypeOf(ctx).toEqualTypeOf<JobContext>();
      return n;
    });
  });

  it("an ordinary optional parameter stays the caller's: nothing is dropped", () => {
    expectTypeOf<JobArgs<Jobs, 'greet'>>().toEqualTypeOf<[name: string, greeting?: string]>();
    pool.run('greet', 'bob');
    pool.run('greet', 'bob', 'hi');
  });

  it('keeps options apart from arguments: runWith takes them first', () => {
    // An object argument is never mistaken for options, and options never for an argument.
    expectTypeOf(pool.run('timeoutOf', { timeout: 5 })).toEqualTypeOf<Task<number>>();
    expectTypeOf(
      pool.runWith({ signal: AbortSignal.timeout(1) }, 'timeoutOf', { timeout: 5 }),
    ).toEqualTypeOf<Task<number>>();
    // @ts-expect-error: trailing options need a signal (without one, use runWith)
    pool.run('add', 1, 2, { timeout: 5 });
    expectTypeOf(
      pool.run('add', 1, 2, { signal: AbortSignal.timeout(5), timeout: 5 }),
    ).toEqualTypeOf<Task<number>>();
    // @ts-expect-error: still checks the job's own arguments
    pool.run('add', 1, '2', { signal: AbortSignal.timeout(5) });
    pool.runWith(
      { transfer: [new ArrayBuffer(1)], onFull: 'wait' },
      'byteLength',
      new ArrayBuffer(1),
    );
  });

  it('spawnDetached is typed like run, and takes a task', () => {
    expectTypeOf(pool.spawnDetached('add', 1, 2)).toEqualTypeOf<void>();
    pool.spawnDetached(pool.run('add', 1, 2));
    // @ts-expect-error: unknown job
    pool.spawnDetached('nope', 1);
  });

  it('an untyped pool takes any name and arguments', () => {
    const loose = {} as ThreadPool;
    expectTypeOf(loose.run('anything', 1, 'two', { three: 3 })).toEqualTypeOf<Task<any>>();
  });
});
