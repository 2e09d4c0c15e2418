// libcoro's event example: three tasks wait on an event, a fourth sets it. libcoro resumes the
// waiters newest first; coro's default is oldest first, and set('lifo') asks for libcoro's order.
import { Event } from '@coro/sync';
import { syncWait, task, whenAll } from '@coro/task';
import { noArgs } from './net/args.ts';

noArgs('event');

// These tasks wait until the event has been set before going on.
const makeWaitTask = task(async (e: Event, i: number) => {
  console.log(`task ${i} is waiting on the event...`);
  await e.wait();
  console.log(`task ${i} event triggered, now resuming.`);
});

// This task sets the event, letting every waiting task go on.
const makeSetTask = task(async (e: Event) => {
  console.log('set task is triggering the event');
  e.set('lifo');
});

const e = new Event();
// whenAll starts the tasks in order on this thread; syncWait waits for them all.
await syncWait(
  whenAll([makeWaitTask(e, 1), makeWaitTask(e, 2), makeWaitTask(e, 3), makeSetTask(e)]),
);
