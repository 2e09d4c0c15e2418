export { SchedulerModeError, SchedulerShutdownError } from './errors.ts';
export {
  type ExecutionStrategy,
  IoScheduler,
  type IoSchedulerOptions,
  ScheduledCall,
  type ScheduleOptions,
  type ThreadStrategy,
  type TimerOptions,
} from './io-scheduler.ts';
export type { PollOp, PollOptions, PollStatus, PollTarget } from './poll.ts';
export { TaskGroup, type TaskGroupOptions } from './task-group.ts';
