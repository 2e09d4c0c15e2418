// The hand-off race on every primitive: handed over in the same synchronous turn in which the
// waiter's timeout fires or its stop is requested. Granted first → the waiter keeps it and
// reports success; gave up first → it leaves, and what it would have got goes to the next one.
import { StopSource } from '@coro/task';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ConditionVariable,
  Event,
  Latch,
  Mutex,
  RingBuffer,
  Semaphore,
  SharedMutex,
  WaitGroup,
} from '../../src/threads/index.ts';

describe('threads hand-off race', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('Mutex: a timeout firing right after the hand-off keeps the lock', async () => {
    const mutex = new Mutex();
    const held = mutex.tryLock();
    const waiting = mutex.lock({ timeout: 10 });
    expect(mutex.waiterCount).toBe(1);
    held?.unlock();
    vi.advanceTimersByTime(10);
    const lock = await waiting;
    expect(lock).toMatchObject({ isHeld: true });
    expect(mutex.isLocked).toBe(true);
    (lock as { unlock(): void }).unlock();
    expect(mutex.isLocked).toBe(false);
    expect(mutex._freeSlots).toBe(1024);
  });

  it('Mutex: a timeout firing first passes the lock to the next waiter', async () => {
    const mutex = new Mutex();
    const held = mutex.tryLock();
    const leaving = mutex.lock({ timeout: 10 });
    const next = mutex.lock();
    vi.advanceTimersByTime(10);
    held?.unlock();
    expect(await leaving).toBe('timeout');
    (await next).unlock();
    expect(mutex.isLocked).toBe(false);
    expect(mutex._freeSlots).toBe(1024);
  });

  it('Semaphore: no permit is lost or duplicated in either order', async () => {
    const semaphore = new Semaphore(1, 0);
    const kept = semaphore.acquire({ timeout: 10 });
    semaphore.release();
    vi.advanceTimersByTime(10);
    expect(await kept).toBe('acquired');
    expect(semaphore.value).toBe(0);
    const leaving = semaphore.acquire({ timeout: 10 });
    vi.advanceTimersByTime(10);
    semaphore.release();
    expect(await leaving).toBe('timeout');
    expect(semaphore.value).toBe(1);
    expect(semaphore._freeSlots).toBe(1024);
  });

  it('SharedMutex: shared and exclusive waiters keep a hold granted before their stop', async () => {
    const rw = new SharedMutex();
    const writer = rw.tryLock();
    const stopA = new StopSource();
    const stopB = new StopSource();
    const readerA = rw.lockShared({ signal: stopA.token });
    const readerB = rw.lockShared({ signal: stopB.token });
    writer?.unlock();
    stopA.requestStop();
    stopB.requestStop();
    const [a, b] = await Promise.all([readerA, readerB]);
    expect(rw.sharedCount).toBe(2);
    (a as { unlock(): void }).unlock();
    (b as { unlock(): void }).unlock();
    // Stop first: the exclusive waiter leaves, the shared one behind it gets in.
    const reader = rw.tryLockShared();
    const stop = new StopSource();
    const leaving = rw.lock({ signal: stop.token });
    const behind = rw.lockShared();
    stop.requestStop();
    expect(await leaving).toBe('cancelled');
    const second = await behind;
    expect(rw.sharedCount).toBe(2);
    reader?.unlock();
    second.unlock();
    expect(rw.sharedCount).toBe(0);
    expect(rw._freeSlots).toBe(1024);
  });

  it('Event, Latch and WaitGroup report true when signalled before the timeout fires', async () => {
    const event = new Event();
    const latch = new Latch(1);
    const group = new WaitGroup(1);
    const waits = [
      event.wait({ timeout: 10 }),
      latch.wait({ timeout: 10 }),
      group.wait({ timeout: 10 }),
    ];
    event.set();
    latch.countDown();
    group.done();
    vi.advanceTimersByTime(10);
    expect(await Promise.all(waits)).toEqual([true, true, true]);
    const late = [new Event(), new Latch(1), new WaitGroup(1)];
    const lateWaits = late.map((p) => p.wait({ timeout: 10 }));
    vi.advanceTimersByTime(10);
    (late[0] as Event).set();
    expect(await Promise.all(lateWaits)).toEqual([false, false, false]);
    for (const p of [event, latch, group, ...late]) expect(p._freeSlots).toBe(1024);
  });

  it('RingBuffer: a producer granted room keeps it; one that left does not add its value', async () => {
    const ring = new RingBuffer(1);
    ring.tryProduce(1);
    const kept = ring.produce(2, { timeout: 10 });
    expect(ring.tryConsume()).toEqual({ ok: true, value: 1 });
    vi.advanceTimersByTime(10);
    expect(await kept).toBe('produced');
    const leaving = ring.produce(3, { timeout: 10 });
    vi.advanceTimersByTime(10);
    expect(ring.tryConsume()).toEqual({ ok: true, value: 2 });
    expect(await leaving).toBe('timeout');
    expect(ring.tryConsume()).toEqual({ ok: false, error: 'empty' });
    // A consumer granted an item keeps it past its timeout.
    const consumer = ring.consume({ timeout: 10 });
    ring.tryProduce(4);
    vi.advanceTimersByTime(10);
    expect(await consumer).toEqual({ ok: true, value: 4 });
    expect(ring._freeSlots).toBe(1024);
  });

  it('ConditionVariable: notified before the stop reports true, holding the lock', async () => {
    const mutex = new Mutex();
    const cv = new ConditionVariable();
    const lock = await mutex.lock();
    const stop = new StopSource();
    const waiting = cv.wait(lock, { signal: stop.token });
    expect(cv.waiterCount).toBe(1);
    expect(mutex.isLocked).toBe(false);
    cv.notifyOne();
    stop.requestStop();
    expect(await waiting).toBe(true);
    expect(lock.isHeld).toBe(true);
    lock.unlock();
    expect(cv._freeSlots).toBe(1024);
  });
});
