// @coro/io as an installed package: an IoScheduler running tasks with a timer, then shutdown.
import { IoScheduler } from '@coro/io';
import { syncWait, task, whenAll } from '@coro/task';

const scheduler = new IoScheduler();
const sleeper = task(async (ms) => {
  await scheduler.schedule();
  const start = performance.now();
  await scheduler.yieldFor(ms);
  return performance.now() - start;
});
const slept = await syncWait(whenAll([sleeper(30), sleeper(10)]), { timeout: 5000 });
await syncWait(scheduler.shutdown(), { timeout: 5000 });

let afterShutdown;
try {
  scheduler.spawnDetached(sleeper(1));
  afterShutdown = 'accepted';
} catch (error) {
  afterShutdown = error.name;
}

console.log(
  JSON.stringify({
    // Timers are whole milliseconds, so allow for rounding below the asked time.
    sleptLongEnough: slept[0] >= 29 && slept[1] >= 9,
    sizeAfterShutdown: scheduler.size,
    afterShutdown,
  }),
);
