export {
  type AwaitedAll,
  type IndexedResult,
  type SettledAll,
  SettledResult,
  type WhenAnyOptions,
  whenAll,
  whenAllSettled,
  whenAny,
  whenAnyIndexed,
} from './combinators.ts';
export {
  type Continuation,
  resumeSoon,
  type Suspendable,
  suspend,
  until,
} from './coroutine.ts';
export { CancelledError, CoroError, InvalidArgumentError, TimeoutError } from './errors.ts';
export { type CoroErrorClass, errorClassForCode, registerErrorClass } from './error-registry.ts';
export { type Executor, InlineExecutor, type InlineExecutorOptions } from './executor.ts';
export { type Err, type Expected, err, isErr, isOk, type Ok, ok, unwrap } from './expected.ts';
export { refuseUnknownOptions } from './options.ts';
export {
  isStopRequested,
  onStop,
  type StopLike,
  type StopRegistration,
  StopSource,
  StopToken,
  stopReason,
  toCancelledError,
  toStopLike,
  type WaitOptions,
} from './stop.ts';
export { syncWait } from './sync-wait.ts';
export {
  currentTask,
  invoke,
  isAwaitable,
  type StopParent,
  Task,
  type TaskContext,
  type TaskFactory,
  type TaskOptions,
  type TaskResult,
  task,
} from './task.ts';
export { setImplicitStopInheritance } from './context.ts';
export {
  dumpTasks,
  enableTracing,
  formatTaskDump,
  isTracing,
  type TaskSnapshot,
  type TaskState,
  traceAwait,
} from './tracing.ts';
export {
  type CheckedWaitOptions,
  checkTimeout,
  clearWaitTimer,
  readWaitOptions,
  setWaitTimer,
  type WaitTimer,
} from './wait.ts';
