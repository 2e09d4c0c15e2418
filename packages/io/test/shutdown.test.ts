import { PassThrough } from 'node:stream';
import { StopSource, task } from '@coro/task';
import { describe, expect, it } from 'vitest';
import { IoScheduler, SchedulerShutdownError } from '../src/index.ts';

/** Rejects with a message naming what hung, so a hang fails instead of stalling the suite. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} hung for ${ms} ms`)), ms);
  });
  return Promise.race([promise, hung]).finally(() => clearTimeout(timer));
}

function timeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('shutdown and pending timed waits (libcoro: shutdown waits until size is zero)', () => {
  it('waits for the timed waits of tasks it does not own, then leaves no timer armed', async () => {
    const s = new IoScheduler();
    const before = timeouts();
    let slept = false;
    // Read before the wait starts: a reading taken after it would count a stall of the
    // (loaded) machine between the two statements against the wait.
    const start = performance.now();
    const sleeper = (async () => {
      await s.yieldFor(30);
      slept = true;
    })();
    await within(s.shutdown(), 10_000, 'shutdown with a pending yieldFor(30)');
    expect(slept).toBe(true);
    expect(performance.now() - start).toBeGreaterThanOrEqual(30);
    expect(s.size).toBe(0);
    expect(s._timerArmed).toBe(false);
    expect(timeouts()).toBeLessThanOrEqual(before);
    await sleeper;
    expect(() => s.yieldFor(1)).toThrow(SchedulerShutdownError);
  });

  it('a sleeper that sleeps again while shutdown waits is waited for too', async () => {
    const s = new IoScheduler();
    const log: string[] = [];
    const sleeper = (async () => {
      await s.yieldFor(5);
      log.push('first');
      await s.yield();
      await s.yieldFor(5);
      log.push('second');
    })();
    await within(s.shutdown(), 10_000, 'shutdown with a sleeper that sleeps twice');
    expect(log).toEqual(['first', 'second']);
    expect(s._timerArmed).toBe(false);
    await sleeper;
  });

  it('a stopped sleeper and a poll that settles end the wait; nothing is left behind', async () => {
    const s = new IoScheduler();
    const stop = new StopSource();
    const stream = new PassThrough();
    const sleeping = s.yieldFor(60_000, { signal: stop.token });
    sleeping.catch(() => {});
    const polled = s.poll(stream, 'read');
    let done = false;
    const shutdown = s.shutdown().then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(done).toBe(false);
    expect(s.state).toBe('stopping');
    stop.requestStop();
    stream.write('x');
    await within(shutdown, 10_000, 'shutdown after the waits ended');
    expect(await polled).toBe('read');
    await expect(sleeping).rejects.toThrow();
    expect(s._timerArmed).toBe(false);
    expect(stream.listenerCount('readable')).toBe(0);
  });

  it('in manual mode, shutdown runs pending timed waits of tasks it does not own on virtual time', async () => {
    const s = new IoScheduler({ threadStrategy: 'manual' });
    const log: string[] = [];
    s.yieldFor(5_000).then(() => log.push(`outside@${s.now()}`));
    s.spawnDetached(
      task(async () => {
        await s.yieldFor(1_000);
        log.push(`owned@${s.now()}`);
      })(),
    );
    await within(s.shutdown(), 10_000, 'manual shutdown');
    expect(log).toEqual(['owned@1000', 'outside@5000']);
    expect(s.size).toBe(0);
    expect(s.state).toBe('stopped');
  });
});
