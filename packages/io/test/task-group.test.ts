import { CancelledError, InvalidArgumentError, task } from '@coro/task';
import { describe, expect, it } from 'vitest';
import { IoScheduler, SchedulerShutdownError, TaskGroup } from '../src/index.ts';

describe('TaskGroup', () => {
  it('starts tasks on the scheduler and is awaitable until all finish', async () => {
    const s = new IoScheduler({ threadStrategy: 'manual' });
    const group = new TaskGroup(s);
    const done: number[] = [];
    const work = task(async (id: number) => {
      await s.yieldFor(id * 10);
      done.push(id);
    });
    group.start(work(3)).start(work(1)).start(work(2));
    expect(group.size).toBe(3);
    expect(group.isEmpty).toBe(false);
    let finished = false;
    const waiting = (async () => {
      await group;
      finished = true;
    })();
    await s.processEvents(20);
    expect(done).toEqual([1, 2]);
    expect(finished).toBe(false);
    expect(group.size).toBe(1);
    await s.processEvents(10);
    await waiting;
    expect(finished).toBe(true);
    expect(group.isEmpty).toBe(true);
    await group; // an empty group resolves at once
  });

  it('without cancelOnError, a failure lets the others finish, then the group rejects', async () => {
    const s = new IoScheduler({ threadStrategy: 'manual' });
    const group = new TaskGroup(s);
    let survivorFinished = false;
    group.start(
      task(async () => {
        await s.yieldFor(5);
        throw new Error('first');
      })(),
    );
    group.start(
      task(async () => {
        await s.yieldFor(50);
        survivorFinished = true;
      })(),
    );
    const outcome = Promise.resolve(group).then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    await s.processEvents(100);
    expect(await outcome).toBe('first');
    expect(survivorFinished).toBe(true);
    expect(group.errors.map((e) => (e as Error).message)).toEqual(['first']);
    await expect(Promise.resolve(group)).rejects.toThrow('first'); // sticky
  });

  it('with cancelOnError, the first failure stops the rest and the group rejects with it', async () => {
    const s = new IoScheduler({ threadStrategy: 'manual' });
    const group = new TaskGroup(s, { cancelOnError: true });
    const sleeper = task.withContext(async (ctx) => {
      await s.yieldFor(60_000, { signal: ctx });
      return 'slept';
    });
    group.start(sleeper()).start(sleeper());
    group.start(
      task(async () => {
        await s.yieldFor(10);
        throw new Error('boom');
      })(),
    );
    const outcome = Promise.resolve(group).then(
      () => undefined,
      (e: unknown) => e,
    );
    await s.processEvents(20);
    const error = (await outcome) as Error;
    expect(error.message).toBe('boom');
    expect(group.stopToken.stopRequested).toBe(true);
    expect(group.errors).toHaveLength(3);
    expect(group.errors.slice(1).every((e) => e instanceof CancelledError)).toBe(true);
    expect(s.now()).toBe(20); // the sleepers did not keep it waiting for a minute
    expect(s.isEmpty).toBe(true);
  });

  it('requestStop stops every task; shutdown waits for group tasks', async () => {
    const s = new IoScheduler();
    const group = new TaskGroup(s);
    let stopped = 0;
    const looper = task.withContext(async (ctx) => {
      while (!ctx.stopRequested) await s.yield();
      stopped++;
    });
    group.start(looper()).start(looper());
    await s.yieldFor(5);
    group.requestStop();
    await s.shutdown();
    expect(stopped).toBe(2);
    expect(group.isEmpty).toBe(true);
    expect(() => group.start(looper())).toThrow(SchedulerShutdownError);
  });

  it('await using waits for the group at the end of the scope', async () => {
    const s = new IoScheduler();
    let done = false;
    {
      await using group = new TaskGroup(s);
      group.start(
        task(async () => {
          await s.yieldFor(5);
          done = true;
        })(),
      );
    }
    expect(done).toBe(true);
  });

  it('rejects bad input', () => {
    expect(() => new TaskGroup({} as IoScheduler)).toThrow(InvalidArgumentError);
    const group = new TaskGroup(new IoScheduler());
    expect(() => group.start(1 as unknown as Promise<void>)).toThrow(InvalidArgumentError);
  });
});
