export { SchedulerModeError, SchedulerShutdownError } from './errors.ts';
export { IoScheduler } from './io-scheduler.ts';
export type {
  ExecutionStrategy,
  IoSchedulerOptions,
  ScheduleOptions,
  ThreadStrategy,
  TimerOptions,
} from './options.ts';
export { ScheduledCall } from './scheduled-call.ts';
export type { PollOp, PollOptions, PollStatus, PollTarget } from './poll.ts';
export { TaskGroup, type TaskGroupOptions } from './task-group.ts';
