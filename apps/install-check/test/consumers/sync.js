// @coro/sync as an installed package: a Mutex and a Semaphore under contention, and the
// SharedArrayBuffer Mutex of @coro/sync/threads shared with a worker thread.
import { Worker } from 'node:worker_threads';
import { Mutex, Semaphore } from '@coro/sync';
import * as threads from '@coro/sync/threads';

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Ten tasks append to one list under the mutex, each pausing while it holds the lock: if the
// lock let two in at once their entries would interleave.
const mutex = new Mutex();
const order = [];
await Promise.all(
  Array.from({ length: 10 }, async (_, id) => {
    const lock = await mutex.lock({ timeout: 5000 });
    if (lock === 'timeout') throw new Error('mutex lock timed out');
    try {
      order.push(`in${id}`);
      await pause(1);
      order.push(`out${id}`);
    } finally {
      lock.unlock();
    }
  }),
);
const mutexExclusive = order.every((entry, i) =>
  i % 2 === 0 ? entry.startsWith('in') : entry === `out${order[i - 1].slice(2)}`,
);

// Twenty tasks behind a semaphore of three: never more than three inside at once.
const semaphore = new Semaphore(3);
let inside = 0;
let mostInside = 0;
await Promise.all(
  Array.from({ length: 20 }, async () => {
    if ((await semaphore.acquire({ timeout: 5000 })) !== 'acquired') throw new Error('acquire');
    inside++;
    mostInside = Math.max(mostInside, inside);
    await pause(1);
    inside--;
    semaphore.release();
  }),
);

// The thread-safe mutex: this thread and a worker each add 1000 to a shared counter with a
// plain read-modify-write under the lock; only mutual exclusion across threads gives 2000.
const threadMutex = new threads.Mutex();
const counter = new Int32Array(new SharedArrayBuffer(4));
const worker = new Worker(new URL('./sync-worker.js', import.meta.url), {
  workerData: { mutex: threadMutex, counter },
});
const workerExit = new Promise((resolve, reject) => {
  worker.once('error', reject);
  worker.once('exit', resolve);
});
for (let i = 0; i < 1000; i++) {
  const lock = await threadMutex.lock({ timeout: 10_000 });
  if (lock === 'timeout') throw new Error('thread mutex lock timed out');
  const value = counter[0];
  if (i % 100 === 0) await pause(0); // hold the lock across an await now and then
  counter[0] = value + 1;
  lock.unlock();
}
const workerExitCode = await workerExit;

console.log(
  JSON.stringify({
    mutexExclusive,
    mutexEntries: order.length,
    mostInside,
    semaphoreValue: semaphore.value,
    threadCounter: counter[0],
    workerExitCode,
  }),
);
