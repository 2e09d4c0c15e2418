import { StopSource, task, whenAny } from '@coro/task';
import { describe, expect, it } from 'vitest';
import { IoScheduler, SchedulerShutdownError, TaskGroup } from '../src/index.ts';

describe('no unhandled rejection anywhere', () => {
  it('failures in every kind of scheduled work are delivered, never unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const reported: unknown[] = [];
    try {
      const s = new IoScheduler({ onError: (e) => reported.push(e) });
      const fail = task(async (message: string, ms: number) => {
        await s.yieldFor(ms);
        throw new Error(message);
      });
      // Detached, and joinable without a joiner: onError.
      s.spawnDetached(fail('detached', 1));
      s.spawnJoinable(fail('joinable', 1));
      // A task that fails after its timeout won: dropped (the caller has its 'timeout').
      const timedOut = await s.schedule(fail('after timeout', 30), { timeout: 1 });
      expect(timedOut).toEqual({ ok: false, error: 'timeout' });
      // A task that fails after a signal won.
      const source = new StopSource();
      const cancelled = s.schedule(fail('after cancel', 30), { signal: source.token }).start();
      source.requestStop();
      expect(await cancelled).toEqual({ ok: false, error: 'cancelled' });
      // whenAny's loser fails later.
      const winner = task(async () => {
        await s.yieldFor(1);
        return 'won';
      });
      expect(await whenAny([winner(), fail('loser', 20)])).toBe('won');
      // A group's failures: it is awaited.
      const group = new TaskGroup(s);
      group.start(fail('in group', 1)).start(fail('in group too', 2));
      await expect(Promise.resolve(group)).rejects.toThrow('in group');
      // A cancelled timed wait nobody catches is the caller's; a stopped task's wait is caught
      // by the task and the failure lands in onError.
      const stopped = task.withContext(async (ctx) => {
        await s.yieldFor(60_000, { signal: ctx });
      })();
      s.spawnDetached(stopped);
      await s.yield();
      stopped.requestStop();
      await s.shutdown();
      expect(() => s.yieldFor(50)).toThrow(SchedulerShutdownError); // at the call, not a rejection
    } finally {
      await new Promise((r) => setTimeout(r, 60));
      process.removeListener('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
    expect(reported.map((e) => (e as Error).message).sort()).toEqual(
      ['detached', 'joinable', 'the operation was cancelled'].sort(),
    );
  });
});
