import { registerSyncErrors } from './register-errors.ts';
export { ConditionVariable } from './condition-variable.ts';
export {
  CoroError,
  InvalidArgumentError,
  LockNotHeldError,
  NegativeCountError,
  NotAcquiredError,
  ObjectInUseError,
  SemaphoreOverflowError,
  ShutdownError,
} from './errors.ts';
export { Event, type ResumeOrder } from './event.ts';
export { Latch } from './latch.ts';
export { type LockStatus, Mutex } from './mutex.ts';
export {
  ObjectPool,
  type ObjectPoolOptions,
  type PoolAcquireStatus,
  PoolGuard,
} from './object-pool.ts';
export { Queue } from './queue.ts';
export {
  type ProduceResult,
  RingBuffer,
  type TryProduceResult,
} from './ring-buffer.ts';
export { type LockOwner, ScopedLock } from './scoped-lock.ts';
export { type AcquireResult, Semaphore } from './semaphore.ts';
export { SharedMutex } from './shared-mutex.ts';
export { WaitGroup } from './wait-group.ts';

// So that these errors keep their class across threads (see register-errors.ts).
registerSyncErrors();
