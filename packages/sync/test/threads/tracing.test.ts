import { dumpTasks, enableTracing, task } from '@coro/task';
import { afterEach, describe, expect, it } from 'vitest';
import { Mutex } from '../../src/threads/index.ts';
import { until } from './helpers.ts';

describe('threads waits in the task dump', () => {
  afterEach(() => enableTracing(false));

  it('shows a task parked on a cross-thread lock by what it waits for', async () => {
    enableTracing();
    const mutex = new Mutex();
    const held = mutex.tryLock();
    const waiter = task(async function waitsForTheLock() {
      (await mutex.lock()).unlock();
    })();
    const running = waiter.start();
    await until(() => mutex.waiterCount === 1, 'the task to wait');
    const entry = dumpTasks().find((t) => t.name === 'waitsForTheLock');
    expect(entry?.awaiting).toBe('threads Mutex.lock');
    held?.unlock();
    await running;
  });
});
