// A task group (libcoro's task_group): start tasks on the scheduler together and await them as
// one. With cancelOnError, the first failure asks every other task to stop, and the group
// rejects with that failure once all of them have finished.
import { IoScheduler, TaskGroup } from '@coro/io';
import { CancelledError, task } from '@coro/task';
import { noArgs } from './net/args.ts';

noArgs('task_group');

const scheduler = new IoScheduler();

// Pretends to download something, finishing `ms` after one shared start time (so the order of
// the lines does not depend on how fast the machine starts the tasks: only a stall longer than
// the longest download, before the first task runs, would change it); the signal ends the wait
// early when the task is stopped.
let start = scheduler.now();
const download = task.withContext(async (ctx, name: string, ms: number, fail = false) => {
  await scheduler.yieldUntil(start + ms, { signal: ctx });
  if (fail) throw new Error(`${name} failed`);
  console.log(`${name} done after ${ms} ms`);
});

{
  const group = new TaskGroup(scheduler);
  group.start(download('a', 300)).start(download('b', 100)).start(download('c', 200));
  console.log(`started ${group.size} tasks`);
  await group;
  console.log(`all done, group empty: ${group.isEmpty}`);
}

{
  start = scheduler.now();
  const group = new TaskGroup(scheduler, { cancelOnError: true });
  group.start(download('slow', 1_000));
  group.start(download('broken', 10, true));
  group.start(download('slower', 2_000));
  try {
    await group;
  } catch (error) {
    console.log(`group failed: ${(error as Error).message}`);
  }
  const cancelled = group.errors.filter((e) => e instanceof CancelledError).length;
  console.log(`the others were stopped: ${cancelled} cancelled`);
}

await scheduler.shutdown();
