export {
  CoroError,
  InvalidArgumentError,
  LockNotHeldError,
  NegativeCountError,
  SemaphoreOverflowError,
} from '../errors.ts';
export type { SharedHandle, SharedOptions } from './core.ts';
export { WaiterCapacityError } from './errors.ts';
export { Event, type ResumeOrder } from './event.ts';
export { Latch } from './latch.ts';
export { Mutex, ScopedLock } from './mutex.ts';
export { type AcquireStatus, Semaphore } from './semaphore.ts';
export { WaitGroup } from './wait-group.ts';
