import { syncWait, whenAll } from '@coro/task';
import { describe, expect, it } from 'vitest';
import { eventually, makePool } from './utils/pools.ts';

describe('work stealing', () => {
  it('an idle thread takes over the jobs waiting behind a long one on another thread', async () => {
    let up = 0;
    const pool = makePool({
      threadCount: 2,
      concurrentTasksPerWorker: 4,
      onThreadStart: () => up++,
    });
    await eventually(() => up === 2);
    const flags = new Int32Array(new SharedArrayBuffer(4 * 8));
    const blocker = pool.run('blockUntil', flags, 0).start();
    // Spread over both threads: three of these land behind the blocker.
    const marks = [];
    for (let i = 1; i <= 6; i++) marks.push(pool.run('mark', flags, i));
    // They all finish while the blocker still holds its thread: the other thread took them.
    expect(await syncWait(whenAll(marks), { timeout: 10_000 })).toEqual([1, 2, 3, 4, 5, 6]);
    for (let i = 1; i <= 6; i++) expect(Atomics.load(flags, i)).toBe(1);
    Atomics.store(flags, 0, 1);
    Atomics.notify(flags, 0);
    expect(await blocker).toBe('released');
    await eventually(() => pool.size === 0);
    expect(pool.stats().completed).toBe(7);
  });

  it('a job is never run twice, whichever thread gets it', async () => {
    const pool = makePool({ threadCount: 3, concurrentTasksPerWorker: 8 });
    const n = 3000;
    const counter = new Int32Array(new SharedArrayBuffer(4 * n));
    const tasks = [];
    for (let i = 0; i < n; i++) {
      // Uneven jobs make threads go idle while others still hold pending ones.
      tasks.push(i % 97 === 0 ? pool.run('blockFor', 5) : pool.run('tally', counter, i));
    }
    await whenAll(tasks);
    for (let i = 0; i < n; i++) {
      if (i % 97 !== 0) expect(Atomics.load(counter, i)).toBe(1);
    }
    expect(pool.stats().completed).toBe(n);
    await eventually(() => pool.size === 0);
  });
});
