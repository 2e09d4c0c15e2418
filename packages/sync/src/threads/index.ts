import { registerSyncErrors } from '../register-errors.ts';
export {
  CoroError,
  InvalidArgumentError,
  LockNotHeldError,
  NegativeCountError,
  SemaphoreOverflowError,
} from '../errors.ts';
export { ConditionVariable } from './condition-variable.ts';
export type { SharedHandle, SharedOptions } from './core.ts';
export { SharedStateAbandonedError, WaiterCapacityError } from './errors.ts';
export { Event, type ResumeOrder } from './event.ts';
export { Latch } from './latch.ts';
export { type LockStatus, Mutex } from './mutex.ts';
export { Queue, type QueueOptions } from './queue.ts';
export {
  type ProduceResult,
  RingBuffer,
  type RingBufferOptions,
  type SharedItem,
  type TryProduceResult,
} from './ring-buffer.ts';
export { ScopedLock, type ThreadLockOwner } from './scoped-lock.ts';
export { type AcquireResult, Semaphore } from './semaphore.ts';
export { SharedMutex } from './shared-mutex.ts';
export { WaitGroup } from './wait-group.ts';

// So that these errors keep their class across threads (see register-errors.ts).
registerSyncErrors();
