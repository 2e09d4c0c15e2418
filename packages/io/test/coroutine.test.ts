import { task, whenAll } from '@coro/task';
import { describe, expect, it } from 'vitest';
import { TaskGroup } from '../src/index.ts';
import { schedulerFactory } from './utils/schedulers.ts';

const make = schedulerFactory();

describe('coroutine tasks on the IoScheduler', () => {
  it('schedule() and yield() resume them by plain calls, one drain each, in order', async () => {
    const s = make();
    const log: string[] = [];
    const worker = task(function* (id: number) {
      yield s.schedule();
      log.push(`scheduled ${id}`);
      yield s.yield();
      log.push(`yielded ${id}`);
      return id;
    });
    const all = whenAll([worker(1), worker(2), worker(3)]).start();
    // Each coroutine is counted while it waits on the scheduler.
    expect(s.size).toBe(3);
    expect(await all).toEqual([1, 2, 3]);
    expect(log).toEqual([
      'scheduled 1',
      'scheduled 2',
      'scheduled 3',
      'yielded 1',
      'yielded 2',
      'yielded 3',
    ]);
    expect(s.isEmpty).toBe(true);
  });

  it('a yield() resumes them on the next turn of the loop, after due timers and I/O', async () => {
    const s = make();
    let timerFired = false;
    let turnsBeforeTimer = -1;
    setTimeout(() => {
      timerFired = true;
    }, 5);
    const spinner = task(function* () {
      const started = performance.now();
      let turns = 0;
      // A coroutine that yields in a loop never starves the event loop.
      while (performance.now() - started < 200) {
        yield s.yield();
        turns++;
        if (timerFired && turnsBeforeTimer < 0) turnsBeforeTimer = turns;
      }
      return turns;
    });
    const turns = await spinner();
    expect(timerFired).toBe(true);
    expect(turnsBeforeTimer).toBeGreaterThan(0);
    expect(turnsBeforeTimer).toBeLessThan(turns);
  });

  it('share a drain with async tasks, each kind in its own order', async () => {
    const s = make();
    const log: string[] = [];
    const co = task(function* (id: string) {
      yield s.yield();
      log.push(id);
    });
    const asyncTask = task(async (id: string) => {
      await s.yield();
      log.push(id);
    });
    await whenAll([co('c1'), asyncTask('a1'), co('c2'), asyncTask('a2'), co('c3')]);
    expect(log.filter((x) => x.startsWith('c'))).toEqual(['c1', 'c2', 'c3']);
    expect(log.filter((x) => x.startsWith('a'))).toEqual(['a1', 'a2']);
  });

  it('a turn promise kept past its drain still resumes the coroutine', async () => {
    const s = make();
    const co = task(function* () {
      const old = s.yield();
      yield s.yield();
      // `old` was drained with the yield above: it resolved, and waits like any promise.
      yield old;
      return 'done';
    });
    expect(await co()).toBe('done');
    expect(s.isEmpty).toBe(true);
  });

  it('timed waits, schedule(task) and task groups take coroutine tasks', async () => {
    const s = make();
    const sleeper = task(function* (ms: number) {
      const start = performance.now();
      yield s.yieldFor(ms);
      return performance.now() - start;
    });
    expect(await sleeper(20)).toBeGreaterThanOrEqual(19);
    expect(await s.schedule(sleeper(1))).toBeGreaterThanOrEqual(0);
    expect(await s.schedule(sleeper(50), { timeout: 5 })).toEqual({
      ok: false,
      error: 'timeout',
    });
    const group = new TaskGroup(s);
    const seen: number[] = [];
    const member = task(function* (n: number) {
      yield s.yield();
      seen.push(n);
    });
    group.start(member(1)).start(member(2));
    await group;
    expect(seen).toEqual([1, 2]);
  });

  it('in manual mode they resume only inside processEvents', async () => {
    const s = make({ threadStrategy: 'manual' });
    const log: string[] = [];
    const worker = task(function* () {
      yield s.schedule();
      log.push('scheduled');
      yield s.yield();
      log.push('yielded');
      yield s.yieldFor(1_000);
      log.push('slept');
    });
    const done = worker().start();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(log).toEqual([]);
    expect(s.size).toBe(1);
    await s.processEvents();
    expect(log).toEqual(['scheduled', 'yielded']);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(log).toEqual(['scheduled', 'yielded']);
    await s.processEvents(1_000);
    await done;
    expect(log).toEqual(['scheduled', 'yielded', 'slept']);
    expect(s.now()).toBe(1_000);
  });

  it('shutdown waits for coroutines that wait on the scheduler', async () => {
    const s = make();
    let finished = false;
    const worker = task(function* () {
      for (let i = 0; i < 50; i++) yield s.yield();
      finished = true;
    });
    s.spawnDetached(worker());
    await s.shutdown();
    expect(finished).toBe(true);
  });
});
