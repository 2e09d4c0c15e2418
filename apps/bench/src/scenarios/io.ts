// @coro/io's IoScheduler against the event loop's own tools: libcoro bench.cpp's "scheduler
// yield", "scheduler yield_for" and "event from another coroutine" scenarios, a single task
// yielding in a loop, and a million concurrent timers (each contender in a child process of its
// own, for clean heap figures).
import { execFile } from 'node:child_process';
import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { IoScheduler } from '@coro/io';
import { Event } from '@coro/sync';
import { task, whenAll } from '@coro/task';
import {
  type CompareSpec,
  compare,
  type Measurement,
  median,
  type Scenario,
  throughput,
} from '../harness.ts';

let sink = 0;
const scheduler = new IoScheduler();

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const yieldLoop = throughput({
  id: 'io/yield',
  group: 'io',
  title: 'one task yielding in a loop (a turn of the event loop each)',
  ops: 200_000,
  rounds: 11,
  contenders: [
    {
      name: 'await scheduler.yield()',
      async run(ops) {
        for (let i = 0; i < ops; i++) await scheduler.yield();
        sink += ops;
      },
    },
    {
      name: 'await new Promise(r => setImmediate(r))',
      async run(ops) {
        for (let i = 0; i < ops; i++) await nextTurn();
        sink += ops;
      },
    },
    {
      name: 'await setImmediate() (timers/promises)',
      async run(ops) {
        for (let i = 0; i < ops; i++) await immediate();
        sink += ops;
      },
    },
  ],
  compare: [
    {
      subject: 'await scheduler.yield()',
      baseline: 'await new Promise(r => setImmediate(r))',
      target: { max: 1, text: 'at most 1× an equivalent setImmediate loop' },
    },
    {
      subject: 'await scheduler.yield()',
      baseline: 'await setImmediate() (timers/promises)',
    },
  ],
});

// libcoro: "benchmark counter task scheduler{1} yield": every task hops onto the scheduler,
// yields once and counts; all of them awaited together. Like libcoro's lambda (and the plain
// contender, which reaches setImmediate from its scope), the body captures the scheduler.
const yieldTask = task(async (counter: { n: number }) => {
  await scheduler.schedule();
  await scheduler.yield();
  counter.n++;
});
// The same body as a coroutine task (a generator function): the run queue resumes it by a plain
// call instead of a promise reaction.
const yieldCoroutine = task(function* (counter: { n: number }) {
  yield scheduler.schedule();
  yield scheduler.yield();
  counter.n++;
});
async function yieldFn(counter: { n: number }): Promise<void> {
  await scheduler.schedule();
  await scheduler.yield();
  counter.n++;
}
async function plainYieldTask(counter: { n: number }): Promise<void> {
  await null;
  await nextTurn();
  counter.n++;
}

// The floor of this shape with no scheduler at all: an async function that awaits a resolved
// promise, then a promise shared by every task of the turn (one setImmediate resolves it). It is
// what V8 charges for the call, its two awaits and Promise.all's element, and what any
// scheduler built on native promises can at best match: IoScheduler ÷ floor shows what the
// scheduler itself adds, floor ÷ setImmediate shows how far the shape can go at all.
const resolvedVoid = Promise.resolve();
let turnPromise: Promise<void> | undefined;
let resolveTurn: () => void = () => {};
function captureTurn(resolve: () => void): void {
  resolveTurn = resolve;
}
function endTurn(): void {
  turnPromise = undefined;
  resolveTurn();
}
function sharedTurn(): Promise<void> {
  if (turnPromise === undefined) {
    turnPromise = new Promise<void>(captureTurn);
    setImmediate(endTurn);
  }
  return turnPromise;
}
async function floorYieldTask(counter: { n: number }): Promise<void> {
  await resolvedVoid;
  await sharedTurn();
  counter.n++;
}
const floorYieldName = 'floor: async fn, no scheduler (Promise.all)';

const schedulerYield = throughput({
  id: 'io/scheduler-yield',
  group: 'io',
  title: 'libcoro "counter task scheduler yield": N tasks schedule(), yield(), count',
  ops: 100_000,
  rounds: 7,
  contenders: [
    {
      name: 'IoScheduler schedule+yield (coroutine task, whenAll)',
      async run(ops) {
        const counter = { n: 0 };
        const tasks = new Array(ops);
        for (let i = 0; i < ops; i++) tasks[i] = yieldCoroutine(counter);
        await whenAll(tasks);
        sink += counter.n;
      },
    },
    {
      name: 'IoScheduler schedule+yield (whenAll)',
      async run(ops) {
        const counter = { n: 0 };
        const tasks = new Array(ops);
        for (let i = 0; i < ops; i++) tasks[i] = yieldTask(counter);
        await whenAll(tasks);
        sink += counter.n;
      },
    },
    {
      // The same loop without @coro/task's Task and whenAll: what the scheduler itself costs.
      name: 'IoScheduler schedule+yield (async fn, Promise.all)',
      async run(ops) {
        const counter = { n: 0 };
        const promises = new Array(ops);
        for (let i = 0; i < ops; i++) promises[i] = yieldFn(counter);
        await Promise.all(promises);
        sink += counter.n;
      },
    },
    {
      name: 'async fn + setImmediate (Promise.all)',
      async run(ops) {
        const counter = { n: 0 };
        const promises = new Array(ops);
        for (let i = 0; i < ops; i++) promises[i] = plainYieldTask(counter);
        await Promise.all(promises);
        sink += counter.n;
      },
    },
    {
      name: floorYieldName,
      async run(ops) {
        const counter = { n: 0 };
        const promises = new Array(ops);
        for (let i = 0; i < ops; i++) promises[i] = floorYieldTask(counter);
        await Promise.all(promises);
        sink += counter.n;
      },
    },
  ],
  compare: [
    {
      subject: 'IoScheduler schedule+yield (coroutine task, whenAll)',
      baseline: 'async fn + setImmediate (Promise.all)',
      target: { max: 0.5, text: 'at least 2× the throughput of async fn + setImmediate' },
    },
    {
      subject: 'IoScheduler schedule+yield (whenAll)',
      baseline: 'async fn + setImmediate (Promise.all)',
    },
    {
      subject: 'IoScheduler schedule+yield (async fn, Promise.all)',
      baseline: 'async fn + setImmediate (Promise.all)',
    },
    {
      subject: 'IoScheduler schedule+yield (whenAll)',
      baseline: 'IoScheduler schedule+yield (async fn, Promise.all)',
    },
    { subject: 'IoScheduler schedule+yield (async fn, Promise.all)', baseline: floorYieldName },
    { subject: floorYieldName, baseline: 'async fn + setImmediate (Promise.all)' },
  ],
});

// libcoro: "benchmark counter task scheduler await event from another coroutine": for each i,
// one task hops onto the scheduler and waits for event i, another hops on and sets it.
const eventWaitTask = task(async (event: Event, counter: { n: number }) => {
  await scheduler.schedule();
  await event.wait();
  counter.n++;
});
const eventSetTask = task(async (event: Event) => {
  await scheduler.schedule();
  event.set();
});
const eventWaitCoroutine = task(function* (event: Event, counter: { n: number }) {
  yield scheduler.schedule();
  yield event;
  counter.n++;
});
const eventSetCoroutine = task(function* (event: Event) {
  yield scheduler.schedule();
  event.set();
});
async function eventWaitFn(event: Event, counter: { n: number }): Promise<void> {
  await scheduler.schedule();
  await event.wait();
  counter.n++;
}
async function eventSetFn(event: Event): Promise<void> {
  await scheduler.schedule();
  event.set();
}
async function plainWait(gate: Promise<void>, counter: { n: number }): Promise<void> {
  await null;
  await gate;
  counter.n++;
}
async function plainSet(open: () => void): Promise<void> {
  await null;
  open();
}

// The floor of the event shape with no scheduler and no Event: the waiter awaits a resolved
// promise, then a bare promise; the setter awaits a resolved promise, then resolves it. These
// are plainWait/plainSet with `await resolvedVoid` (one shared promise, as schedule() hands
// out) for `await null` (a new promise per await), kept as separate functions rather than one
// parameterised pair so that neither measured loop pays for an indirection.
let capturedOpen: () => void = () => {};
function captureOpen(resolve: () => void): void {
  capturedOpen = resolve;
}
async function floorWait(gate: Promise<void>, counter: { n: number }): Promise<void> {
  await resolvedVoid;
  await gate;
  counter.n++;
}
async function floorSet(open: () => void): Promise<void> {
  await resolvedVoid;
  open();
}
const floorEventName = 'floor: async fn + bare promise, no scheduler (Promise.all)';

const schedulerEvent = throughput({
  id: 'io/scheduler-event',
  group: 'io',
  title:
    'libcoro "counter task scheduler await event from another coroutine": N waiters, N setters',
  ops: 50_000,
  rounds: 7,
  contenders: [
    {
      name: 'IoScheduler + Event (coroutine task, whenAll)',
      async run(ops) {
        const counter = { n: 0 };
        const tasks = new Array(2 * ops);
        for (let i = 0; i < ops; i++) {
          const event = new Event();
          tasks[2 * i] = eventWaitCoroutine(event, counter);
          tasks[2 * i + 1] = eventSetCoroutine(event);
        }
        await whenAll(tasks);
        sink += counter.n;
      },
    },
    {
      name: 'IoScheduler + Event (whenAll)',
      async run(ops) {
        const counter = { n: 0 };
        const tasks = new Array(2 * ops);
        for (let i = 0; i < ops; i++) {
          const event = new Event();
          tasks[2 * i] = eventWaitTask(event, counter);
          tasks[2 * i + 1] = eventSetTask(event);
        }
        await whenAll(tasks);
        sink += counter.n;
      },
    },
    {
      name: 'IoScheduler + Event (async fn, Promise.all)',
      async run(ops) {
        const counter = { n: 0 };
        const promises = new Array(2 * ops);
        for (let i = 0; i < ops; i++) {
          const event = new Event();
          promises[2 * i] = eventWaitFn(event, counter);
          promises[2 * i + 1] = eventSetFn(event);
        }
        await Promise.all(promises);
        sink += counter.n;
      },
    },
    {
      name: 'async fn + Promise.withResolvers (Promise.all)',
      async run(ops) {
        const counter = { n: 0 };
        const promises = new Array(2 * ops);
        for (let i = 0; i < ops; i++) {
          const gate = Promise.withResolvers<void>();
          promises[2 * i] = plainWait(gate.promise, counter);
          promises[2 * i + 1] = plainSet(gate.resolve);
        }
        await Promise.all(promises);
        sink += counter.n;
      },
    },
    {
      name: floorEventName,
      async run(ops) {
        const counter = { n: 0 };
        const promises = new Array(2 * ops);
        for (let i = 0; i < ops; i++) {
          const gate = new Promise<void>(captureOpen);
          promises[2 * i] = floorWait(gate, counter);
          promises[2 * i + 1] = floorSet(capturedOpen);
        }
        await Promise.all(promises);
        sink += counter.n;
      },
    },
  ],
  compare: [
    {
      subject: 'IoScheduler + Event (coroutine task, whenAll)',
      baseline: 'async fn + Promise.withResolvers (Promise.all)',
      target: { max: 1 / 1.5, text: 'at least 1.5× the throughput of plain promises' },
    },
    {
      subject: 'IoScheduler + Event (whenAll)',
      baseline: 'async fn + Promise.withResolvers (Promise.all)',
    },
    {
      subject: 'IoScheduler + Event (async fn, Promise.all)',
      baseline: 'async fn + Promise.withResolvers (Promise.all)',
    },
    { subject: 'IoScheduler + Event (async fn, Promise.all)', baseline: floorEventName },
    { subject: floorEventName, baseline: 'async fn + Promise.withResolvers (Promise.all)' },
  ],
});

// libcoro: "benchmark counter task scheduler{1} yield_for": every task waits 5 ms.
const yieldForTask = task(async (s: IoScheduler, counter: { n: number }) => {
  await s.schedule();
  await s.yieldFor(5);
  counter.n++;
});
async function promisesSleepTask(counter: { n: number }): Promise<void> {
  await null;
  await sleep(5);
  counter.n++;
}
async function callbackSleepTask(counter: { n: number }): Promise<void> {
  await null;
  await new Promise((resolve) => setTimeout(resolve, 5));
  counter.n++;
}

const schedulerYieldFor = throughput({
  id: 'io/scheduler-yield-for',
  group: 'io',
  title: 'libcoro "counter task scheduler yield_for": N tasks schedule(), yieldFor(5 ms), count',
  ops: 100_000,
  rounds: 5,
  contenders: [
    {
      name: 'IoScheduler yieldFor (whenAll)',
      async run(ops) {
        const counter = { n: 0 };
        const tasks = new Array(ops);
        for (let i = 0; i < ops; i++) tasks[i] = yieldForTask(scheduler, counter);
        await whenAll(tasks);
        sink += counter.n;
      },
    },
    {
      name: 'timers/promises setTimeout (Promise.all)',
      async run(ops) {
        const counter = { n: 0 };
        const promises = new Array(ops);
        for (let i = 0; i < ops; i++) promises[i] = promisesSleepTask(counter);
        await Promise.all(promises);
        sink += counter.n;
      },
    },
    {
      name: 'new Promise(r => setTimeout(r)) (Promise.all)',
      async run(ops) {
        const counter = { n: 0 };
        const promises = new Array(ops);
        for (let i = 0; i < ops; i++) promises[i] = callbackSleepTask(counter);
        await Promise.all(promises);
        sink += counter.n;
      },
    },
  ],
  compare: [
    {
      subject: 'IoScheduler yieldFor (whenAll)',
      baseline: 'timers/promises setTimeout (Promise.all)',
    },
    {
      subject: 'IoScheduler yieldFor (whenAll)',
      baseline: 'new Promise(r => setTimeout(r)) (Promise.all)',
    },
  ],
});

// ---- a million concurrent timers, one child process per contender and sample ----------------

const child = fileURLToPath(new URL('./io/timers-child.ts', import.meta.url));
const AWAIT_YIELD_FOR = 'await scheduler.yieldFor';
const AWAIT_PROMISES = 'await timers/promises setTimeout';
const CALLBACK = 'callback setTimeout';
const THEN_YIELD_FOR = 'scheduler.yieldFor().then(callback)';
const FLOOR = 'await a shared promise (no timer)';
const FLOOR_100 = 'await one of 100 shared promises (no timer)';
const timerContenders = [
  AWAIT_YIELD_FOR,
  AWAIT_PROMISES,
  CALLBACK,
  THEN_YIELD_FOR,
  FLOOR,
  FLOOR_100,
];

function runChild(contender: string, count: number, mode: 'time' | 'heap'): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--conditions=@coro/source', child, contender, String(count), '100', mode],
      { timeout: 120_000, maxBuffer: 1 << 20 },
      (error, stdout) => {
        if (error) {
          reject(error);
          return;
        }
        const result = JSON.parse(stdout.trim()) as { ms?: number; heapBytes?: number };
        resolve(mode === 'time' ? result.ms! : result.heapBytes! / count);
      },
    );
  });
}

function millionTimers(mode: 'time' | 'heap'): Scenario {
  const id = mode === 'time' ? 'io/million-timers-time' : 'io/million-timers-heap';
  const title =
    mode === 'time'
      ? 'a million concurrent timers (100 distinct delays, 1–100 ms): time until all resumed'
      : 'a million concurrent timers (100 distinct delays): heap per pending wait';
  const specs: CompareSpec[] =
    mode === 'time'
      ? [
          {
            subject: AWAIT_YIELD_FOR,
            baseline: AWAIT_PROMISES,
            target: { max: 0.5, text: 'at most 0.5× timers/promises setTimeout' },
          },
          {
            subject: AWAIT_YIELD_FOR,
            baseline: CALLBACK,
            target: { max: 1, text: 'no more time than callback setTimeout' },
          },
          { subject: THEN_YIELD_FOR, baseline: CALLBACK },
          { subject: AWAIT_YIELD_FOR, baseline: FLOOR },
          { subject: AWAIT_YIELD_FOR, baseline: FLOOR_100 },
          { subject: FLOOR_100, baseline: CALLBACK },
        ]
      : [
          {
            subject: AWAIT_YIELD_FOR,
            baseline: AWAIT_PROMISES,
            target: { max: 0.75, text: 'at most 0.75× the heap of timers/promises setTimeout' },
          },
          { subject: THEN_YIELD_FOR, baseline: CALLBACK },
          { subject: AWAIT_YIELD_FOR, baseline: FLOOR },
        ];
  return {
    id,
    group: 'io',
    title,
    async run(ctx) {
      const count = ctx.smoke ? 10_000 : ctx.quick ? 50_000 : 1_000_000;
      // Time is noisier than heap on a shared machine: more rounds for it.
      const rounds = ctx.quick ? 1 : mode === 'time' ? 4 : 3;
      const samples = timerContenders.map(() => [] as number[]);
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < timerContenders.length; k++) {
          const index = (k + round) % timerContenders.length;
          samples[index]!.push(await runChild(timerContenders[index]!, count, mode));
        }
        ctx.progress(`round ${round + 1}/${rounds}`);
      }
      const measurements: Measurement[] = timerContenders.map((name, i) => ({
        name,
        value: median(samples[i]!),
        unit: mode === 'time' ? 'ms' : 'B/wait',
        detail: { count },
      }));
      return {
        id,
        group: 'io',
        title,
        lowerIsBetter: true,
        measurements,
        comparisons: compare(measurements, specs),
      };
    },
  };
}

export default [
  yieldLoop,
  schedulerYield,
  schedulerEvent,
  schedulerYieldFor,
  millionTimers('time'),
  millionTimers('heap'),
] satisfies Scenario[];

// Keep the sink observable so the loops are not optimised away.
process.on('exit', () => {
  if (sink === -1) console.log(sink);
});
