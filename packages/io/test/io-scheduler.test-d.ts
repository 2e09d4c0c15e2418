import type { Expected, Task } from '@coro/task';
import { task } from '@coro/task';
import { describe, expectTypeOf, it } from 'vitest';
import { IoScheduler, type PollStatus, TaskGroup } from '../src/index.ts';

type Jobs = typeof import('./fixtures/jobs.ts');

describe('IoScheduler types', () => {
  it('schedule() and schedule(task) infer their results', () => {
    const s = new IoScheduler();
    const answer = task(async () => 42);
    expectTypeOf(s.schedule()).toEqualTypeOf<Promise<void>>();
    expectTypeOf(s.schedule(answer())).toEqualTypeOf<Task<number>>();
    expectTypeOf(s.schedule(answer(), { timeout: 5 })).toEqualTypeOf<
      Task<Expected<number, 'timeout' | 'cancelled'>>
    >();
    expectTypeOf(s.yieldFor(1)).toEqualTypeOf<Promise<void>>();
    expectTypeOf(s.spawnJoinable(answer())).toEqualTypeOf<Task<void>>();
  });

  it('poll resolves with a status', () => {
    const s = new IoScheduler();
    expectTypeOf(s.poll).returns.toEqualTypeOf<Promise<PollStatus>>();
  });

  it('offload is typed from the pool module', () => {
    const s = new IoScheduler<Jobs>({ pool: { module: 'jobs.ts' } });
    expectTypeOf(s.offload('fib', 10)).toEqualTypeOf<Task<number>>();
    // @ts-expect-error: fib takes a number
    s.offload('fib', 'ten');
    // @ts-expect-error: no such job
    s.offload('nope');
    expectTypeOf(new TaskGroup(s)).toEqualTypeOf<TaskGroup>();
  });
});
