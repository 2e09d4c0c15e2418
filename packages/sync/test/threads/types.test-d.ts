import type { Expected } from '@coro/task';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type LockStatus,
  Mutex,
  Queue,
  RingBuffer,
  type ScopedLock,
  Semaphore,
  SharedMutex,
} from '../../src/threads/index.ts';

describe('threads types', () => {
  it('lock() without options is a ScopedLock; with options it may be a status', () => {
    const mutex = new Mutex();
    expectTypeOf(mutex.lock()).resolves.toEqualTypeOf<ScopedLock>();
    expectTypeOf(mutex.lock({ timeout: 1 })).resolves.toEqualTypeOf<ScopedLock | LockStatus>();
    expectTypeOf(mutex.tryLock()).toEqualTypeOf<ScopedLock | undefined>();
    const rw = new SharedMutex();
    expectTypeOf(rw.lockShared()).resolves.toEqualTypeOf<ScopedLock>();
    expectTypeOf(rw.lock({ timeout: 1 })).resolves.toEqualTypeOf<ScopedLock | LockStatus>();
  });

  it('from() keeps the item type of rings and queues', () => {
    const bytes = RingBuffer.from<Uint8Array>(new RingBuffer<Uint8Array>(1, { slotBytes: 4 }));
    expectTypeOf(bytes.consume()).resolves.toEqualTypeOf<
      Expected<Uint8Array, 'stopped' | 'timeout' | 'cancelled'>
    >();
    expectTypeOf(new Queue().tryPop()).toEqualTypeOf<Expected<number, 'empty' | 'stopped'>>();
    expectTypeOf(Semaphore.from(new Semaphore(1)).acquire()).resolves.toEqualTypeOf<
      'acquired' | 'shutdown' | 'timeout' | 'cancelled'
    >();
  });
});
