import { dumpTasks, enableTracing, task } from '@coro/task';
import { afterEach, describe, expect, it } from 'vitest';
import { Mutex, Queue } from '../src/index.ts';
import { flush } from './utils/flush.ts';

afterEach(() => {
  enableTracing(false);
});

describe('tracing', () => {
  it('labels a task waiting on a primitive in dumpTasks()', async () => {
    enableTracing();
    const mutex = new Mutex();
    const queue = new Queue<number>();
    const held = mutex.tryLock();
    const locker = task(
      async () => {
        using _lock = await mutex.lock();
      },
      { name: 'locker' },
    )();
    const popper = task(async () => queue.pop(), { name: 'popper' })();
    const running = [locker.start(), popper.start()];
    await flush();
    const dump = dumpTasks();
    expect(dump.find((t) => t.name === 'locker')?.awaiting).toBe('Mutex.lock');
    expect(dump.find((t) => t.name === 'popper')?.awaiting).toBe('Queue.pop');
    held?.unlock();
    queue.push(1);
    await Promise.all(running);
    expect(dumpTasks().filter((t) => t.awaiting !== undefined)).toEqual([]);
  });
});
