// libcoro's ring_buffer example: one producer pushes 1 to 100 through a 16-slot ring buffer to
// four consumers, then stops them. libcoro runs the tasks on a 4-thread pool; here they share the
// event loop through an IoScheduler. libcoro resumes waiting consumers newest first, so its
// consumer ids run 3, 2, 1, 0; coro serves them first come, first served, so here they run
// 0, 1, 2, 3. libcoro prints the stop messages to stderr; this prints everything to stdout.
import { IoScheduler } from '@coro/io';
import { Mutex, RingBuffer } from '@coro/sync';
import { syncWait, task, whenAll } from '@coro/task';
import { noArgs } from './net/args.ts';

noArgs('ring_buffer');

const iterations = 100;
const consumers = 4;
const scheduler = new IoScheduler();
const rb = new RingBuffer<number>(16);
const m = new Mutex(); // only to keep the printing of one task together

const makeProducerTask = task(async (s: IoScheduler, ring: RingBuffer<number>, mutex: Mutex) => {
  await s.schedule();
  for (let i = 1; i <= iterations; i++) await ring.produce(i);

  // Wait for the ring buffer to empty, so that the stop is a clean one.
  while (!ring.isEmpty) await s.yield();

  // Now tell every consumer to stop. (This works for producers too; there is just one here.)
  {
    using _lock = await mutex.lock();
    process.stdout.write('\nproducer is sending stop signal');
  }
  ring.notifyWaiters();
});

const makeConsumerTask = task(
  async (s: IoScheduler, ring: RingBuffer<number>, mutex: Mutex, id: number) => {
    await s.schedule();
    while (true) {
      const expected = await ring.consume();
      using _lock = await mutex.lock(); // only to keep the printing together
      if (!expected.ok) {
        process.stdout.write(`\nconsumer ${id} shutting down, stop signal received`);
        break;
      }
      process.stdout.write(`(id=${id}, v=${expected.value}), `);
      // Mimic some work on the consumed value.
      await s.yield();
    }
  },
);

const tasks = [];
for (let i = 0; i < consumers; i++) tasks.push(makeConsumerTask(scheduler, rb, m, i));
tasks.push(makeProducerTask(scheduler, rb, m));

await syncWait(whenAll(tasks));
await scheduler.shutdown();
process.stdout.write('\n');
