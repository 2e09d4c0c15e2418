// libcoro's condition_variable example: a queue guarded by a Mutex and a ConditionVariable,
// three producers pushing the numbers 0 to 19 between them and three consumers popping with a
// one-second timeout, stopping when nothing came for that long. libcoro runs the tasks on a
// 6-thread io_scheduler; here they share the event loop through an IoScheduler, so the order of
// the output is always the same. Notifying while holding the lock is fine in coro.
import { IoScheduler } from '@coro/io';
import { ConditionVariable, Mutex } from '@coro/sync';
import { type Expected, err, ok, syncWait, task, whenAll } from '@coro/task';
import { noArgs } from './net/args.ts';

noArgs('condition_variable');

/** A queue for tasks: pop() waits (up to a timeout) for an item. */
class TaskQueue<T> {
  readonly #items: T[] = [];
  readonly #mutex = new Mutex();
  readonly #condition = new ConditionVariable();

  async push(item: T): Promise<void> {
    using _lock = await this.#mutex.lock();
    this.#items.push(item);
    // Wake one waiting consumer: it takes the lock once we let go of it.
    this.#condition.notifyOne();
  }

  async pop(timeout: number): Promise<Expected<T, 'timeout'>> {
    using lock = await this.#mutex.lock();
    // Wait until the queue has an item (the lock is let go while waiting).
    if (!(await this.#condition.wait(lock, () => this.#items.length > 0, { timeout }))) {
      return err('timeout');
    }
    return ok(this.#items.shift() as T);
  }
}

interface Params {
  readonly maxValue: number;
  nextValue: number;
  readonly queue: TaskQueue<number>;
  readonly output: number[];
}

const scheduler = new IoScheduler();
const params: Params = { maxValue: 20, nextValue: 0, queue: new TaskQueue(), output: [] };

// Producers put values into the queue.
const makeProducerTask = task(async (s: IoScheduler, p: Params) => {
  await s.schedule();
  let v = p.nextValue++;
  while (v < p.maxValue) {
    await p.queue.push(v);
    v = p.nextValue++;
    await s.yield();
  }
});

// Consumers take values from the queue, waiting for more while it is empty.
const makeConsumerTask = task(async (s: IoScheduler, p: Params) => {
  await s.schedule();
  while (true) {
    const v = await p.queue.pop(1000);
    if (!v.ok) return;
    p.output.push(v.value);
    await s.yield();
  }
});

const tasks = [];
for (let i = 0; i < 3; i++) tasks.push(makeConsumerTask(scheduler, params));
for (let i = 0; i < 3; i++) tasks.push(makeProducerTask(scheduler, params));

await syncWait(whenAll(tasks));
await scheduler.shutdown();
for (const v of params.output) console.log(v);
console.log('finished');
