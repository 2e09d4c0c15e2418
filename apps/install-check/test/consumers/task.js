// @coro/task as an installed package: lazy tasks, syncWait, whenAll, and whenAny stopping the
// loser through a shared StopSource.
import { StopSource, syncWait, TimeoutError, task, whenAll, whenAny } from '@coro/task';

let runs = 0; // how often a body ran
const double = task(async (x) => {
  runs++;
  return x * 2;
});

const lazy = double(21);
const ranBeforeAwait = runs; // a task is lazy: creating it runs nothing
const first = await syncWait(lazy, { timeout: 5000 });
const second = await lazy; // the body runs once; later awaits see the same result
const runsAfterTwoAwaits = runs;

const all = await syncWait(whenAll([double(1), double(2), double(3)]), { timeout: 5000 });

// The loser watches the shared source, as libcoro's when_any children watch one stop_source.
const source = new StopSource();
let loserSawStop;
const loserDone = new Promise((resolve) => {
  loserSawStop = resolve;
});
const slow = task(async () => {
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, 10_000);
    source.token.onStop((reason) => {
      clearTimeout(timer);
      loserSawStop(String(reason ?? 'stopped'));
      resolve();
    });
  });
  return 'slow';
});
const fast = task(async () => 'fast');
const winner = await syncWait(whenAny([slow(), fast()], { stopSource: source }), { timeout: 5000 });
const loserStop = await Promise.race([
  loserDone,
  new Promise((resolve) => setTimeout(() => resolve('loser never stopped'), 5000).unref()),
]);

// A deadline is a TimeoutError with its stable code, not a hang.
const never = task(() => new Promise(() => {}));
let timeoutCode;
try {
  await syncWait(never(), { timeout: 20 });
} catch (error) {
  timeoutCode = error instanceof TimeoutError ? error.code : `unexpected ${error}`;
}

console.log(
  JSON.stringify({
    ranBeforeAwait,
    first,
    second,
    runsAfterTwoAwaits,
    all,
    winner,
    sourceStopped: source.token.stopRequested,
    loserSawStop: loserStop !== 'loser never stopped',
    timeoutCode,
  }),
);
