import { StopSource } from '@coro/task';
import { describe, expect, it } from 'vitest';
import { LockNotHeldError, SharedMutex } from '../../src/threads/index.ts';
import { runWorker, until } from './helpers.ts';

describe('threads SharedMutex', () => {
  it('lets readers share, blocks later readers behind a waiting writer, admits queued readers together', async () => {
    const rw = new SharedMutex();
    const r1 = await rw.lockShared();
    const r2 = rw.tryLockShared();
    expect(r2?.shared).toBe(true);
    expect(rw.sharedCount).toBe(2);
    expect(rw.tryLock()).toBeUndefined();
    const log: string[] = [];
    const writer = rw.lock().then((lock) => {
      log.push('writer');
      return lock;
    });
    await until(() => rw.waiterCount === 1, 'writer waiting');
    expect(rw.tryLockShared()).toBeUndefined(); // no writer starvation
    const readers = [1, 2].map((n) =>
      rw.lockShared().then((lock) => {
        log.push(`reader${n}`);
        return lock;
      }),
    );
    const writer2 = rw.lock().then((lock) => {
      log.push('writer2');
      return lock;
    });
    await until(() => rw.waiterCount === 4, 'four waiting');
    r1.unlock();
    r2?.unlock();
    const w = await writer;
    expect(rw.isLocked).toBe(true);
    w.unlock();
    const [a, b] = await Promise.all(readers);
    expect(rw.sharedCount).toBe(2);
    expect(log).toEqual(['writer', 'reader1', 'reader2']);
    a?.unlock();
    b?.unlock();
    (await writer2).unlock();
    expect(log).toEqual(['writer', 'reader1', 'reader2', 'writer2']);
    expect(rw.isLocked).toBe(false);
    expect(rw.sharedCount).toBe(0);
    expect(() => rw.unlock()).toThrow(LockNotHeldError);
    expect(() => rw.unlockShared()).toThrow(LockNotHeldError);
    expect(rw._freeSlots).toBe(1024);
  });

  it('admits the readers behind a writer that gives up', async () => {
    const rw = new SharedMutex();
    const reader = await rw.lockShared();
    const stop = new StopSource();
    const writer = rw.lock({ signal: stop.token });
    const later = rw.lockShared({ timeout: 60_000 });
    await until(() => rw.waiterCount === 2, 'two waiting');
    stop.requestStop();
    expect(await writer).toBe('cancelled');
    const second = await later;
    expect(typeof second).toBe('object');
    expect(rw.sharedCount).toBe(2);
    reader.unlock();
    (second as { unlock(): void }).unlock();
    expect(rw.sharedCount).toBe(0);
    expect(await rw.lock({ timeout: 0 })).toMatchObject({ shared: false });
    expect(await rw.lockShared({ timeout: 0 })).toBe('timeout');
    expect(rw.waiterCount).toBe(0);
    expect(rw._freeSlots).toBe(1024);
  });

  it('keeps readers and writers apart across 3 workers', async () => {
    const rw = new SharedMutex();
    const state = new Int32Array(new SharedArrayBuffer(12));
    await Promise.all(
      [1, 2, 3].map(() => runWorker('sharedMutexMix', { rw, state, iterations: 60 })),
    );
    expect(state[2]).toBe(0);
    expect(state[0]).toBe(0);
    expect(state[1]).toBe(0);
    expect(rw.isLocked).toBe(false);
    expect(rw.sharedCount).toBe(0);
    expect(rw._freeSlots).toBe(1024);
  });
});
