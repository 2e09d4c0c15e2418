// @coro/pool as an installed package: a ThreadPool whose worker module is a file of this
// project, so the pool's own worker entry (dist/worker.js) must load from node_modules.
import { threadId } from 'node:worker_threads';
import { ThreadPool } from '@coro/pool';
import { syncWait, whenAll } from '@coro/task';

const pool = new ThreadPool({ module: new URL('./pool-jobs.js', import.meta.url), threadCount: 2 });
try {
  const fib = await syncWait(pool.run('fib', 20), { timeout: 10_000 });
  const squares = await syncWait(whenAll([1, 2, 3].map((x) => pool.run('square', x))), {
    timeout: 10_000,
  });
  const jobThread = await syncWait(pool.run('whereAmI'), { timeout: 10_000 });
  console.log(
    JSON.stringify({
      fib,
      squares,
      ranOffMainThread: jobThread.isMainThread === false && jobThread.threadId !== threadId,
    }),
  );
} finally {
  await syncWait(pool.shutdown(), { timeout: 10_000 });
}
