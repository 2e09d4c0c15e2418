// libcoro's thread_pool example. A libcoro task moves itself onto a pool thread with
// `co_await tp.schedule()`; a JavaScript continuation cannot change threads, so here the work
// that runs on the pool is a function exported by a worker module (thread_pool/jobs.ts), and
// `pool.run(name, ...args)` is the task that runs it there.
import { ThreadPool } from '@coro/pool';
import { syncWait, task, whenAll } from '@coro/task';
import { noArgs } from './net/args.ts';

noArgs('thread_pool');

type Jobs = typeof import('./thread_pool/jobs.ts');

const pool = new ThreadPool<Jobs>({
  module: new URL('./thread_pool/jobs.ts', import.meta.url),
  // By default a pool has os.availableParallelism() threads; this example uses 4.
  threadCount: 4,
  // Called (on the main thread) with the worker's index once each thread is up.
  onThreadStart: (workerIndex) => console.log(`thread pool worker ${workerIndex} is starting up.`),
  // Called with the worker's index once each thread has stopped.
  onThreadStop: (workerIndex) => console.log(`thread pool worker ${workerIndex} is shutting down.`),
});

const primaryTask = task(async (tp: ThreadPool<Jobs>) => {
  const numChildren = 10;
  // Each child is a lazy task that runs offloadTask on one of the pool's threads.
  const childTasks = [];
  for (let i = 0; i < numChildren; i++) childTasks.push(tp.run('offloadTask', i));

  // Wait for the pool's threads to process all the children.
  const results = await whenAll(childTasks);

  // Sum up the results of the completed children.
  let calculation = 0;
  for (const result of results) calculation += result;
  return calculation;
});

const result = await syncWait(primaryTask(pool));
console.log(`calculated thread pool result = ${result}`);

// libcoro's pool stops its threads when it is destroyed; here that is shutdown().
await pool.shutdown();
