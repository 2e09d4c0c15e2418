// The worker half of sync.js: rebuilds the shared mutex from what the main thread sent.
import { workerData } from 'node:worker_threads';
import { Mutex } from '@coro/sync/threads';

const mutex = Mutex.from(workerData.mutex);
const counter = workerData.counter;
for (let i = 0; i < 1000; i++) {
  const lock = await mutex.lock({ timeout: 10_000 });
  if (lock === 'timeout') throw new Error('worker: thread mutex lock timed out');
  const value = counter[0];
  if (i % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  counter[0] = value + 1;
  lock.unlock();
}
