import type { Expected } from '@coro/task';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type AcquireResult,
  ConditionVariable,
  Event,
  Mutex,
  ObjectPool,
  type PoolGuard,
  Queue,
  RingBuffer,
  type ScopedLock,
  Semaphore,
  SharedMutex,
} from '../src/index.ts';

describe('waiting calls: plain forms cannot time out, option forms add statuses', () => {
  it('Mutex / SharedMutex', () => {
    const mutex = new Mutex();
    expectTypeOf(mutex.lock()).resolves.toEqualTypeOf<ScopedLock>();
    expectTypeOf(mutex.lock({ timeout: 1 })).resolves.toEqualTypeOf<
      ScopedLock | 'timeout' | 'cancelled'
    >();
    expectTypeOf(mutex.tryLock()).toEqualTypeOf<ScopedLock | undefined>();
    const rw = new SharedMutex();
    expectTypeOf(rw.lockShared()).resolves.toEqualTypeOf<ScopedLock>();
    expectTypeOf(rw.lock({ signal: AbortSignal.abort() })).resolves.toEqualTypeOf<
      ScopedLock | 'timeout' | 'cancelled'
    >();
  });

  it('Semaphore / Event', () => {
    const sem = new Semaphore(2);
    expectTypeOf(sem.acquire()).resolves.toEqualTypeOf<'acquired' | 'shutdown'>();
    expectTypeOf(sem.acquire({ timeout: 1 })).resolves.toEqualTypeOf<AcquireResult>();
    expectTypeOf(new Event().wait()).resolves.toEqualTypeOf<true>();
    expectTypeOf(new Event().wait({ timeout: 1 })).resolves.toEqualTypeOf<boolean>();
  });

  it('RingBuffer / Queue', () => {
    const rb = new RingBuffer<number>(4);
    expectTypeOf(rb.produce(1)).resolves.toEqualTypeOf<'produced' | 'stopped'>();
    expectTypeOf(rb.consume()).resolves.toEqualTypeOf<Expected<number, 'stopped'>>();
    expectTypeOf(rb.consume({ timeout: 1 })).resolves.toEqualTypeOf<
      Expected<number, 'stopped' | 'timeout' | 'cancelled'>
    >();
    const q = new Queue<string>();
    expectTypeOf(q.push('a')).toEqualTypeOf<'produced' | 'stopped'>();
    expectTypeOf(q.pop()).resolves.toEqualTypeOf<Expected<string, 'stopped'>>();
    expectTypeOf(q.tryPop()).toEqualTypeOf<Expected<string, 'empty' | 'stopped'>>();
    expectTypeOf(q).toMatchTypeOf<AsyncIterable<string>>();
  });

  it('ObjectPool / ConditionVariable', () => {
    const pool = new ObjectPool({ create: () => ({ id: 1 }), max: 2 });
    expectTypeOf(pool.acquire()).resolves.toEqualTypeOf<PoolGuard<{ id: number }>>();
    expectTypeOf(pool.acquire({ timeout: 1 })).resolves.toEqualTypeOf<
      PoolGuard<{ id: number }> | 'timeout' | 'cancelled' | 'shutdown'
    >();
    const cv = new ConditionVariable();
    expectTypeOf(cv.wait).parameter(0).toEqualTypeOf<ScopedLock>();
  });
});
