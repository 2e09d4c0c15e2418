// libcoro's sync_wait example. syncWait starts a task from plain code and resolves with its
// value. libcoro's second half offloads to a one-thread coro::thread_pool; a JavaScript task
// cannot move between threads, so here it is scheduled on an executor first (InlineExecutor,
// which continues on this thread), the way a task would `await scheduler.schedule()`.
import { InlineExecutor, syncWait, task } from '@coro/task';

// A factory of tasks: each call captures its argument and runs nothing yet.
const makeTaskInline = task(async (x: number) => x + x);

// Runs on this thread; syncWait resolves when the task completes.
let result = await syncWait(makeTaskInline(5));
console.log(`Inline Result = ${result}`);

const executor = new InlineExecutor();
const makeTaskOffload = task(async (exec: InlineExecutor, x: number) => {
  await exec.schedule(); // continue on the executor
  return x + x;
});

result = await syncWait(makeTaskOffload(executor, 10));
console.log(`Offload Result = ${result}`);
