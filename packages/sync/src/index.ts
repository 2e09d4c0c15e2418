export {
  CoroError,
  InvalidArgumentError,
  LockNotHeldError,
  NegativeCountError,
  NotAcquiredError,
  SemaphoreOverflowError,
  ShutdownError,
} from './errors.ts';
