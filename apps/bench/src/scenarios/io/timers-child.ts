// One contender of the "a million concurrent timers" scenario, run in a child process of its
// own (with --expose-gc) so that the heap figure is clean and one contender's garbage does not
// slow the next. Usage: node timers-child.ts <contender> <count> <distinct delays> <time|heap>
// Prints one line of JSON: { ms } (creating every wait until the last one resumed) or
// { heapBytes } (the live heap the pending waits hold, after a full collection).
import { setTimeout as sleep } from 'node:timers/promises';
import { IoScheduler } from '@coro/io';

const [contender, countText, delaysText, mode] = process.argv.slice(2);
const count = Number(countText);
const distinct = Number(delaysText);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

let remaining = count;
let finish!: () => void;
const done = new Promise<void>((resolve) => {
  finish = resolve;
});
function resumed(): void {
  if (--remaining === 0) finish();
}

const scheduler = new IoScheduler();
async function viaScheduler(ms: number): Promise<void> {
  await scheduler.yieldFor(ms);
  resumed();
}
async function viaTimersPromises(ms: number): Promise<void> {
  await sleep(ms);
  resumed();
}
// The floors: the same async functions awaiting one shared promise (resolved by one timer), or
// one of `distinct` shared promises (one per delay, each resolved by its own timer): what the
// awaits themselves cost, with no timer structure at all.
let resolveShared!: () => void;
const shared = new Promise<void>((resolve) => {
  resolveShared = resolve;
});
async function viaSharedPromise(): Promise<void> {
  await shared;
  resumed();
}
const perDelayResolvers: (() => void)[] = [];
const perDelay = Array.from(
  { length: distinct },
  () => new Promise<void>((resolve) => perDelayResolvers.push(resolve)),
);
async function viaPerDelayPromise(index: number): Promise<void> {
  await perDelay[index];
  resumed();
}

function create(): void {
  switch (contender) {
    case 'await scheduler.yieldFor':
      for (let i = 0; i < count; i++) viaScheduler(1 + (i % distinct));
      break;
    case 'scheduler.yieldFor().then(callback)':
      for (let i = 0; i < count; i++) scheduler.yieldFor(1 + (i % distinct)).then(resumed);
      break;
    case 'await a shared promise (no timer)':
      for (let i = 0; i < count; i++) viaSharedPromise();
      setTimeout(resolveShared, distinct);
      break;
    case 'await one of 100 shared promises (no timer)':
      for (let i = 0; i < count; i++) viaPerDelayPromise(i % distinct);
      for (let d = 0; d < distinct; d++) setTimeout(perDelayResolvers[d]!, 1 + d);
      break;
    case 'await timers/promises setTimeout':
      for (let i = 0; i < count; i++) viaTimersPromises(1 + (i % distinct));
      break;
    case 'callback setTimeout':
      // One closure per timer, as callback code usually has (it captures its own state).
      for (let i = 0; i < count; i++) setTimeout(() => resumed(), 1 + (i % distinct));
      break;
    default:
      throw new Error(`unknown contender ${contender}`);
  }
}

gc();
gc();
if (mode === 'heap') {
  const before = process.memoryUsage().heapUsed;
  create();
  gc();
  gc();
  const heapBytes = process.memoryUsage().heapUsed - before;
  await done;
  console.log(JSON.stringify({ heapBytes }));
} else {
  const start = performance.now();
  create();
  await done;
  console.log(JSON.stringify({ ms: performance.now() - start }));
}
await scheduler.shutdown();
