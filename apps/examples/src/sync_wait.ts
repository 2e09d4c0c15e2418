// libcoro's sync_wait example. syncWait starts a task from plain code and resolves with its
// value: JavaScript cannot block a thread on a promise, so `await syncWait(t)` is the bridge
// from plain code into tasks.
import { ThreadPool } from '@coro/pool';
import { syncWait, task } from '@coro/task';
import { noArgs } from './net/args.ts';

noArgs('sync_wait');

type Jobs = typeof import('./sync_wait/jobs.ts');

// A factory of tasks: each call captures its argument and runs nothing yet.
const makeTaskInline = task(async (x: number) => x + x);

// The task isn't handed to any thread pool, so it runs here, on the calling thread.
let result = await syncWait(makeTaskInline(5));
console.log(`Inline Result = ${result}`);

// A one-thread pool, to show offloading work to another thread. The task gets the pool as an
// argument; the pool must outlive it.
const tp = new ThreadPool<Jobs>({
  module: new URL('./sync_wait/jobs.ts', import.meta.url),
  threadCount: 1,
});

// libcoro's task moves itself onto the pool with `co_await tp.schedule()`. A JavaScript task
// cannot change threads, so it hands the work over instead: `twice` (sync_wait/jobs.ts) runs
// on the pool's thread, and the task resumes here with its result.
const makeTaskOffload = task(async (pool: ThreadPool<Jobs>, x: number) => {
  return await pool.run('twice', x);
});

// This still waits on the calling thread, while the addition happens on the pool's thread.
result = await syncWait(makeTaskOffload(tp, 10));
console.log(`Offload Result = ${result}`);

await tp.shutdown();
