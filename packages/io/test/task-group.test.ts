import { CancelledError, InvalidArgumentError, task } from '@coro/task';
import fc from 'fast-check';
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

  it('property: the group settles once, with the first failure in virtual time, leaving nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ delay: fc.integer({ min: 0, max: 30 }), fails: fc.boolean() }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.boolean(),
        async (specs, cancelOnError) => {
          const s = new IoScheduler({ threadStrategy: 'manual' });
          const group = new TaskGroup(s, { cancelOnError });
          const finished: number[] = [];
          const member = task.withContext(async (ctx, i: number, delay: number, fails: boolean) => {
            await s.yieldFor(delay, { signal: ctx });
            if (fails) throw new Error(`task ${i}`);
            finished.push(i);
          });
          for (const [i, spec] of specs.entries()) group.start(member(i, spec.delay, spec.fails));
          let outcome: unknown = 'pending';
          Promise.resolve(group).then(
            () => (outcome = 'ok'),
            (e: unknown) => (outcome = e),
          );
          await s.processEvents(Number.POSITIVE_INFINITY);
          expect(group.isEmpty).toBe(true);
          expect(s.isEmpty).toBe(true);
          // The first failure: smallest delay, then the earliest started.
          const failures = specs
            .map((spec, i) => ({ ...spec, i }))
            .filter((x) => x.fails)
            .sort((a, b) => a.delay - b.delay || a.i - b.i);
          if (failures.length === 0) {
            expect(outcome).toBe('ok');
            expect(finished.length).toBe(specs.length);
            return;
          }
          const first = failures[0]!;
          expect((outcome as Error).message).toBe(`task ${first.i}`);
          if (cancelOnError) {
            // Nobody due strictly after the first failure finished normally.
            for (const i of finished) expect(specs[i]!.delay).toBeLessThanOrEqual(first.delay);
          } else {
            expect(finished.length).toBe(specs.length - failures.length);
          }
        },
      ),
      { numRuns: 120 },
    );
  });

  it('refuses an option it does not take, naming it and what it takes', async () => {
    const s = new IoScheduler({ threadStrategy: 'manual' });
    for (const options of [
      { onEror: () => {} },
      { cancelOnErrors: true },
      { cancelonerror: true },
    ]) {
      expect(() => new TaskGroup(s, options as never)).toThrow(InvalidArgumentError);
    }
    expect(() => new TaskGroup(s, { onEror: () => {} } as never)).toThrow(
      'TaskGroup: unknown option "onEror" (it takes cancelOnError)',
    );
    // Its one documented option, set or left undefined, and none at all.
    const cancelling = new TaskGroup(s, { cancelOnError: true });
    cancelling.start(Promise.reject(new Error('first')));
    await s.processEvents();
    await expect(cancelling).rejects.toThrow('first');
    expect(cancelling.stopToken.stopRequested).toBe(true);
    expect(new TaskGroup(s, { cancelOnError: undefined }).isEmpty).toBe(true);
    expect(new TaskGroup(s, {}).isEmpty).toBe(true);
    await s.shutdown();
  });

  it('rejects bad input', () => {
    expect(() => new TaskGroup({} as IoScheduler)).toThrow(InvalidArgumentError);
    const group = new TaskGroup(new IoScheduler());
    expect(() => group.start(1 as unknown as Promise<void>)).toThrow(InvalidArgumentError);
  });
});
