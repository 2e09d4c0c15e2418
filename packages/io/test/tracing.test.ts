import { PassThrough } from 'node:stream';
import { dumpTasks, enableTracing, task } from '@coro/task';
import { afterEach, describe, expect, it } from 'vitest';
import { IoScheduler } from '../src/index.ts';

afterEach(() => enableTracing(false));

describe('task tracing', () => {
  it('the coroutine dump says which timer or poll a task is waiting on', async () => {
    enableTracing();
    const s = new IoScheduler({ threadStrategy: 'manual' });
    const stream = new PassThrough();
    const sleeper = task(
      async () => {
        await s.yieldFor(30_000);
      },
      { name: 'sleeper' },
    );
    const reader = task(
      async () => {
        await s.poll(stream, 'read', { timeout: 60_000 });
      },
      { name: 'reader' },
    );
    const done = Promise.all([sleeper().start(), reader().start()]);
    const byName = new Map(dumpTasks().map((t) => [t.name, t]));
    expect(byName.get('sleeper')?.awaiting).toBe('yieldFor(30000ms)');
    expect(byName.get('reader')?.awaiting).toBe('poll(read)');
    await s.processEvents(Number.POSITIVE_INFINITY);
    await done;
    stream.destroy();
  });
});
