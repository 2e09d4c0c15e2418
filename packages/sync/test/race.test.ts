// The hand-off race: a waiter is handed the lock, permit, item or signal in the same turn in
// which its timeout fires or its stop is requested. Whichever comes first wins, and the other
// does nothing: either the waiter keeps what it was handed (and reports success) or it gives up
// and what was handed goes to the next waiter. Nothing is lost, nothing is handed out twice.
// Each case runs in both orders, for a timeout (fake timers firing in the same advance) and for
// a stop (StopToken and AbortSignal, requested synchronously next to the hand-off).
import { StopSource, type WaitOptions } from '@coro/task';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ConditionVariable,
  Event,
  Mutex,
  ObjectPool,
  Queue,
  RingBuffer,
  ScopedLock,
  Semaphore,
  SharedMutex,
} from '../src/index.ts';
import { flush } from './utils/flush.ts';

/** Runs queued microtasks (works under fake timers, unlike a macrotask flush). */
async function microtasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

afterEach(() => {
  vi.useRealTimers();
});

type Trigger = 'timeout' | 'stop token' | 'abort signal';
const triggers: Trigger[] = ['timeout', 'stop token', 'abort signal'];

/**
 * Starts `wait` and makes `give()` and the give-up trigger happen in the same turn, `give`
 * first or second. Returns the waiter's promise (and waits until every callback has run).
 */
async function race<R>(
  trigger: Trigger,
  giveFirst: boolean,
  wait: (options: WaitOptions) => Promise<R>,
  give: () => void,
): Promise<R> {
  if (trigger === 'timeout') {
    vi.useFakeTimers();
    let promise: Promise<R>;
    // Timers due at the same time run in the order they were made.
    if (giveFirst) {
      setTimeout(give, 10);
      promise = wait({ timeout: 10 });
    } else {
      promise = wait({ timeout: 10 });
      setTimeout(give, 10);
    }
    vi.advanceTimersByTime(10);
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
    return promise;
  }
  const source = new StopSource();
  const controller = new AbortController();
  const stop = () => (trigger === 'stop token' ? source.requestStop() : controller.abort());
  const promise = wait({ signal: trigger === 'stop token' ? source.token : controller.signal });
  if (giveFirst) {
    give();
    stop();
  } else {
    stop();
    give();
  }
  return promise;
}

const gaveUp = (trigger: Trigger) => (trigger === 'timeout' ? 'timeout' : 'cancelled');

describe.each(triggers)('hand-off race with a %s', (trigger) => {
  for (const giveFirst of [true, false]) {
    const order = giveFirst ? 'handed over first' : 'gave up first';

    it(`Mutex: ${order}`, async () => {
      const mutex = new Mutex();
      const held = mutex.tryLock() as ScopedLock;
      const result = race(
        trigger,
        giveFirst,
        (o) => mutex.lock(o),
        () => held.unlock(),
      );
      const next = mutex.lock();
      const got = await result;
      if (giveFirst) {
        expect(got).toBeInstanceOf(ScopedLock);
        expect((got as ScopedLock).isHeld).toBe(true);
        expect(mutex.isLocked).toBe(true);
        (got as ScopedLock).unlock();
      } else {
        expect(got).toBe(gaveUp(trigger));
      }
      // Either way the next waiter gets the lock exactly once.
      const lock = await next;
      expect(lock.isHeld).toBe(true);
      lock.unlock();
      expect(mutex.isLocked).toBe(false);
      expect(mutex.waiterCount).toBe(0);
    });

    it(`SharedMutex: ${order}`, async () => {
      const rw = new SharedMutex();
      const reader = rw.tryLockShared() as ScopedLock;
      const result = race(
        trigger,
        giveFirst,
        (o) => rw.lock(o),
        () => reader.unlock(),
      );
      const nextReader = rw.lockShared();
      const got = await result;
      if (giveFirst) {
        expect((got as ScopedLock).isHeld).toBe(true);
        expect(rw.isLocked).toBe(true);
        (got as ScopedLock).unlock();
      } else {
        expect(got).toBe(gaveUp(trigger));
        expect(rw.isLocked).toBe(false);
      }
      (await nextReader).unlock();
      expect(rw.sharedCount).toBe(0);
      expect(rw.waiterCount).toBe(0);
    });

    it(`Semaphore: ${order}`, async () => {
      const sem = new Semaphore(1, 0);
      const result = race(
        trigger,
        giveFirst,
        (o) => sem.acquire(o),
        () => sem.release(),
      );
      const next = sem.acquire();
      const got = await result;
      if (giveFirst) {
        expect(got).toBe('acquired');
        sem.release();
      } else {
        expect(got).toBe(gaveUp(trigger));
      }
      expect(await next).toBe('acquired');
      sem.release();
      // Exactly the one permit: no permit leaked, none duplicated.
      expect(sem.value).toBe(1);
      expect(sem.waiterCount).toBe(0);
    });

    it(`RingBuffer consumer: ${order}`, async () => {
      const rb = new RingBuffer<number>(2);
      const result = race(
        trigger,
        giveFirst,
        (o) => rb.consume(o),
        () => rb.tryProduce(1),
      );
      const next = rb.consume();
      const got = await result;
      if (giveFirst) {
        expect(got).toEqual({ ok: true, value: 1 });
        rb.tryProduce(2);
        expect(await next).toEqual({ ok: true, value: 2 });
      } else {
        expect(got).toEqual({ ok: false, error: gaveUp(trigger) });
        expect(await next).toEqual({ ok: true, value: 1 });
      }
      expect(rb.size).toBe(0);
      expect(rb.waiterCount).toBe(0);
    });

    it(`RingBuffer producer: ${order}`, async () => {
      const rb = new RingBuffer<number>(1);
      rb.tryProduce(1);
      const taken: unknown[] = [];
      const result = race(
        trigger,
        giveFirst,
        (o) => rb.produce(2, o),
        () => taken.push(rb.tryConsume()),
      );
      const next = rb.produce(3);
      const got = await result;
      expect(taken).toEqual([{ ok: true, value: 1 }]);
      if (giveFirst) {
        expect(got).toBe('produced');
        expect(rb.tryConsume()).toEqual({ ok: true, value: 2 });
      } else {
        expect(got).toBe(gaveUp(trigger));
      }
      expect(await next).toBe('produced');
      expect(rb.tryConsume()).toEqual({ ok: true, value: 3 });
      expect(rb.tryConsume()).toEqual({ ok: false, error: 'empty' });
      expect(rb.waiterCount).toBe(0);
    });

    it(`Queue: ${order}`, async () => {
      const q = new Queue<string>();
      const result = race(
        trigger,
        giveFirst,
        (o) => q.pop(o),
        () => q.push('item'),
      );
      const next = q.pop({ timeout: 1000 });
      const got = await result;
      if (giveFirst) {
        expect(got).toEqual({ ok: true, value: 'item' });
        q.shutdown();
        expect(await next).toEqual({ ok: false, error: 'stopped' });
      } else {
        expect(got).toEqual({ ok: false, error: gaveUp(trigger) });
        expect(await next).toEqual({ ok: true, value: 'item' });
      }
      expect(q.size).toBe(0);
      expect(q.waiterCount).toBe(0);
    });

    it(`Event: ${order}`, async () => {
      const event = new Event();
      const got = await race(
        trigger,
        giveFirst,
        (o) => event.wait(o),
        () => event.set(),
      );
      expect(got).toBe(giveFirst);
      expect(event.waiterCount).toBe(0);
    });

    it(`ConditionVariable: ${order}`, async () => {
      const mutex = new Mutex();
      const cv = new ConditionVariable();
      const source = new StopSource();
      const controller = new AbortController();
      if (trigger === 'timeout') vi.useFakeTimers();
      const options: WaitOptions =
        trigger === 'timeout'
          ? { timeout: 10 }
          : { signal: trigger === 'stop token' ? source.token : controller.signal };
      const stop = () => (trigger === 'stop token' ? source.requestStop() : controller.abort());
      if (trigger === 'timeout' && giveFirst) setTimeout(() => cv.notifyOne(), 10);
      const racer = (async () => {
        using lock = await mutex.lock();
        const notified = await cv.wait(lock, options);
        return [notified, lock.isHeld];
      })();
      const other = (async () => {
        using lock = await mutex.lock();
        return await cv.wait(lock);
      })();
      await microtasks();
      expect(cv.waiterCount).toBe(2); // the racer first in line
      if (trigger === 'timeout') {
        if (!giveFirst) setTimeout(() => cv.notifyOne(), 10);
        vi.advanceTimersByTime(10);
        vi.useRealTimers();
      } else if (giveFirst) {
        cv.notifyOne();
        stop();
      } else {
        stop();
        cv.notifyOne();
      }
      expect(await racer).toEqual([giveFirst, true]);
      // The one notify reached exactly one waiter: the racer if handed first, else the other.
      await flush();
      expect(cv.waiterCount).toBe(giveFirst ? 1 : 0);
      cv.notifyAll();
      expect(await other).toBe(true);
      expect(cv.waiterCount).toBe(0);
      expect(mutex.isLocked).toBe(false);
    });

    it(`ObjectPool: ${order}`, async () => {
      const pool = new ObjectPool({ create: () => ({}), max: 1 });
      const first = await pool.acquire();
      const result = race(
        trigger,
        giveFirst,
        (o) => pool.acquire(o),
        () => first.release(),
      );
      const next = pool.acquire();
      const got = await result;
      if (giveFirst) {
        expect(typeof got).toBe('object');
        expect(pool.lent).toBe(1);
        (got as { release(): void }).release();
      } else {
        expect(got).toBe(gaveUp(trigger));
      }
      const guard = await next;
      expect(guard.value).toBe(first.value);
      guard.release();
      expect(pool.size).toBe(1);
      expect(pool.idle).toBe(1);
      expect(pool.waiterCount).toBe(0);
    });
  }
});
