// libcoro's queue example: five producers push 0 to 4 each into an unbounded queue, two
// consumers pop and print, and a shutdown task waits (on a latch) for the producers, then drains
// the queue and stops it, which ends the consumers' loops. libcoro runs the tasks on a thread
// pool; here they share the event loop through an IoScheduler, so the order is always the same.
import { IoScheduler } from '@coro/io';
import { Latch, Mutex, Queue } from '@coro/sync';
import { syncWait, task, whenAll } from '@coro/task';
import { noArgs } from './net/args.ts';

noArgs('queue');

const iterations = 5;
const producersCount = 5;
const consumersCount = 2;

const scheduler = new IoScheduler();
const q = new Queue<number>();
const producersDone = new Latch(producersCount);
const m = new Mutex(); // only to keep the printing together

const makeProducerTask = task(async (s: IoScheduler, queue: Queue<number>, done: Latch) => {
  await s.schedule();
  for (let i = 0; i < iterations; i++) queue.push(i);
  done.countDown(); // tell the shutdown task this producer is finished
});

const makeShutdownTask = task(async (s: IoScheduler, queue: Queue<number>, done: Latch) => {
  // Wait for every producer, then let the consumers take what is left before stopping.
  await s.schedule();
  await done.wait();
  await queue.shutdownDrain();
});

const makeConsumerTask = task(async (s: IoScheduler, queue: Queue<number>, mutex: Mutex) => {
  await s.schedule();
  while (true) {
    const expected = await queue.pop();
    if (!expected.ok) break; // the queue is shutting down
    using _lock = await mutex.lock();
    console.log(`consumed ${expected.value}`);
  }
});

const tasks = [];
for (let i = 0; i < producersCount; i++) tasks.push(makeProducerTask(scheduler, q, producersDone));
for (let i = 0; i < consumersCount; i++) tasks.push(makeConsumerTask(scheduler, q, m));
tasks.push(makeShutdownTask(scheduler, q, producersDone));

await syncWait(whenAll(tasks));
await scheduler.shutdown();
