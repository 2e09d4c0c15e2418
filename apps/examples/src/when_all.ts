// libcoro's when_all example: start many tasks at once and collect every result, from an array
// (results in order) or from arguments of different types (a typed tuple). The tasks run in
// parallel on a thread pool.
import { ThreadPool } from '@coro/pool';
import { syncWait, task, whenAll, whenAllSettled } from '@coro/task';
import { noArgs } from './net/args.ts';

noArgs('when_all');

type Jobs = typeof import('./when_all/jobs.ts');

// A thread pool to run all the tasks in parallel.
const tp = new ThreadPool<Jobs>({
  module: new URL('./when_all/jobs.ts', import.meta.url),
  threadCount: 4,
});

// The task we want to run many times, in parallel on the pool. libcoro's moves itself onto the
// pool with `co_await tp.schedule()`; a JavaScript task cannot change threads, so it hands the
// work over: `twice` (when_all/jobs.ts) runs on a pool thread.
const twice = task(async (pool: ThreadPool<Jobs>, x: number) => await pool.run('twice', x));

// The tasks to run, here in an array (arguments work too, below).
const tasks = [];
for (let i = 0; i < 5; i++) tasks.push(twice(tp, i + 1));

// Wait here while the pool runs them all. whenAllSettled is libcoro's when_all: every
// result's value() returns it or rethrows the task's error.
const results = await syncWait(whenAllSettled(tasks));
for (const result of results) {
  try {
    console.log(result.value());
  } catch (error) {
    console.error(error);
  }
}

const square = task(async (pool: ThreadPool<Jobs>, x: number) => await pool.run('square', x));

// Arguments of different types give a typed tuple: [number, number] here.
const [first, second] = await syncWait(whenAll(square(tp, 1.1), twice(tp, 10)));
// toPrecision(6): the six significant digits C++'s std::cout prints by default.
console.log(`first: ${Number(first.toPrecision(6))} second: ${second}`);

await tp.shutdown();
