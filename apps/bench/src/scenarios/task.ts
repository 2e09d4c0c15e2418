// @coro/task against plain async/await and Promise.all: libcoro bench.cpp's direct call,
// sync_wait and when_all scenarios, and the memory a pending task costs.
import { syncWait, task, whenAll } from '@coro/task';
import { memory, type Scenario, throughput } from '../harness.ts';

let sink = 0;
function addOne(x: number): number {
  return x + 1;
}
async function plainAddOne(x: number): Promise<number> {
  return x + 1;
}
const taskAddOne = task(async (x: number) => x + 1);

/**
 * The floor for any lazy awaitable: the smallest possible thenable that starts its work on
 * first `then`. V8 awaits a native promise in one job but a thenable in three, so no lazy task
 * can be cheaper than this; the ratio of `await task()` to it is coro's own overhead.
 */
class MinimalLazyThenable {
  promise: Promise<number> | undefined = undefined;
  readonly x: number;
  constructor(x: number) {
    this.x = x;
  }
  // biome-ignore lint/suspicious/noThenProperty: the point of this class is to be a thenable.
  then<R1, R2>(
    onfulfilled: (value: number) => R1,
    onrejected: (reason: unknown) => R2,
  ): Promise<R1 | R2> {
    this.promise ??= plainAddOne(this.x);
    return this.promise.then(onfulfilled, onrejected);
  }
}

/** A minimal lazy thenable that can also be started directly (no thenable hop). */
class StartableLazyThenable extends MinimalLazyThenable {
  start(): Promise<number> {
    this.promise ??= plainAddOne(this.x);
    return this.promise;
  }
}

/**
 * The floor for any lazy `whenAll`: its children started directly, gathered by V8's own
 * `Promise.all`, and the whole awaited through one thenable (as awaiting a lazy task is).
 */
class GatherThenable {
  readonly items: readonly StartableLazyThenable[];
  constructor(items: readonly StartableLazyThenable[]) {
    this.items = items;
  }
  // biome-ignore lint/suspicious/noThenProperty: the point of this class is to be a thenable.
  then<R1, R2>(
    onfulfilled: (value: number[]) => R1,
    onrejected: (reason: unknown) => R2,
  ): Promise<R1 | R2> {
    const items = this.items;
    const promises = new Array<Promise<number>>(items.length);
    for (let i = 0; i < items.length; i++) promises[i] = items[i]!.start();
    return Promise.all(promises).then(onfulfilled, onrejected);
  }
}

// V8 frees a class's object shape once no instance is left, and a full GC (the harness collects
// garbage before each sample) then throws away the optimized code that used it. @coro/task keeps
// one instance of each per-call class for that reason; the floors get the same, so that both
// sides are measured warm.
export const keptShapes: unknown[] = [
  new MinimalLazyThenable(0),
  new StartableLazyThenable(0),
  new GatherThenable([]),
];

const floorName = 'floor: 10 lazy thenables + Promise.all + one thenable';
const whenAllTarget = { max: 1.15, text: 'at most 1.15× the floor' };

const directCall = throughput({
  id: 'task/await',
  group: 'task',
  title: 'await a task (direct call)',
  ops: 1_000_000,
  contenders: [
    {
      name: 'direct call',
      run(ops) {
        let x = 0;
        for (let i = 0; i < ops; i++) x = addOne(x);
        sink += x;
      },
    },
    {
      name: 'await asyncFn()',
      async run(ops) {
        let x = 0;
        for (let i = 0; i < ops; i++) x = await plainAddOne(x);
        sink += x;
      },
    },
    {
      name: 'await minimal lazy thenable',
      async run(ops) {
        let x = 0;
        for (let i = 0; i < ops; i++) x = await new MinimalLazyThenable(x);
        sink += x;
      },
    },
    {
      name: 'await task()',
      async run(ops) {
        let x = 0;
        for (let i = 0; i < ops; i++) x = await taskAddOne(x);
        sink += x;
      },
    },
  ],
  compare: [
    {
      subject: 'await task()',
      baseline: 'await asyncFn()',
      target: { max: 2.7, text: 'at most 2.7× await asyncFn()' },
    },
    { subject: 'await minimal lazy thenable', baseline: 'await asyncFn()' },
    { subject: 'await task()', baseline: 'await minimal lazy thenable' },
    { subject: 'await asyncFn()', baseline: 'direct call' },
  ],
});

const syncWaitScenario = throughput({
  id: 'task/sync-wait',
  group: 'task',
  title: 'syncWait(task)',
  ops: 1_000_000,
  contenders: [
    {
      name: 'await asyncFn()',
      async run(ops) {
        let x = 0;
        for (let i = 0; i < ops; i++) x = await plainAddOne(x);
        sink += x;
      },
    },
    {
      name: 'await syncWait(task())',
      async run(ops) {
        let x = 0;
        for (let i = 0; i < ops; i++) x = await syncWait(taskAddOne(x));
        sink += x;
      },
    },
  ],
  compare: [{ subject: 'await syncWait(task())', baseline: 'await asyncFn()' }],
});

const whenAllTuple = throughput({
  id: 'task/when-all-tuple',
  group: 'task',
  title: 'whenAll x10 (tuple)',
  ops: 200_000,
  contenders: [
    {
      name: 'Promise.all',
      async run(ops) {
        let x = 0;
        for (let i = 0; i < ops; i++) {
          const r = await Promise.all([
            plainAddOne(i),
            plainAddOne(i),
            plainAddOne(i),
            plainAddOne(i),
            plainAddOne(i),
            plainAddOne(i),
            plainAddOne(i),
            plainAddOne(i),
            plainAddOne(i),
            plainAddOne(i),
          ]);
          x += r[9];
        }
        sink += x;
      },
    },
    {
      name: floorName,
      async run(ops) {
        let x = 0;
        for (let i = 0; i < ops; i++) {
          const r = await new GatherThenable([
            new StartableLazyThenable(i),
            new StartableLazyThenable(i),
            new StartableLazyThenable(i),
            new StartableLazyThenable(i),
            new StartableLazyThenable(i),
            new StartableLazyThenable(i),
            new StartableLazyThenable(i),
            new StartableLazyThenable(i),
            new StartableLazyThenable(i),
            new StartableLazyThenable(i),
          ]);
          x += r[9]!;
        }
        sink += x;
      },
    },
    {
      name: 'whenAll',
      async run(ops) {
        let x = 0;
        for (let i = 0; i < ops; i++) {
          const r = await whenAll(
            taskAddOne(i),
            taskAddOne(i),
            taskAddOne(i),
            taskAddOne(i),
            taskAddOne(i),
            taskAddOne(i),
            taskAddOne(i),
            taskAddOne(i),
            taskAddOne(i),
            taskAddOne(i),
          );
          x += r[9];
        }
        sink += x;
      },
    },
  ],
  compare: [
    { subject: 'whenAll', baseline: floorName, target: whenAllTarget },
    { subject: 'whenAll', baseline: 'Promise.all' },
    { subject: floorName, baseline: 'Promise.all' },
  ],
});

const whenAllArray = throughput({
  id: 'task/when-all-array',
  group: 'task',
  title: 'whenAll x10 (array)',
  ops: 200_000,
  contenders: [
    {
      name: 'Promise.all',
      async run(ops) {
        let x = 0;
        for (let i = 0; i < ops; i++) {
          const promises: Promise<number>[] = [];
          for (let k = 0; k < 10; k++) promises.push(plainAddOne(k));
          const r = await Promise.all(promises);
          x += r[9]!;
        }
        sink += x;
      },
    },
    {
      name: floorName,
      async run(ops) {
        let x = 0;
        for (let i = 0; i < ops; i++) {
          const items: StartableLazyThenable[] = [];
          for (let k = 0; k < 10; k++) items.push(new StartableLazyThenable(k));
          const r = await new GatherThenable(items);
          x += r[9]!;
        }
        sink += x;
      },
    },
    {
      name: 'whenAll',
      async run(ops) {
        let x = 0;
        for (let i = 0; i < ops; i++) {
          const tasks = [];
          for (let k = 0; k < 10; k++) tasks.push(taskAddOne(k));
          const r = await whenAll(tasks);
          x += r[9]!;
        }
        sink += x;
      },
    },
  ],
  compare: [
    { subject: 'whenAll', baseline: floorName, target: whenAllTarget },
    { subject: 'whenAll', baseline: 'Promise.all' },
    { subject: floorName, baseline: 'Promise.all' },
  ],
});

interface Gate {
  promise: Promise<void>;
  open: () => void;
}
function gate(): Gate {
  const { promise, resolve } = Promise.withResolvers<void>();
  return { promise, open: resolve };
}
let currentGate = gate();
async function plainPending(): Promise<number> {
  await currentGate.promise;
  return 1;
}
const taskPending = task(async () => {
  await currentGate.promise;
  return 1;
});

const pendingMemory = memory({
  id: 'task/pending-memory',
  group: 'task',
  title: 'a million pending tasks (memory)',
  count: 1_000_000,
  contenders: [
    {
      name: 'pending async fn promise',
      create(count) {
        currentGate = gate();
        const promises = new Array<Promise<number>>(count);
        for (let i = 0; i < count; i++) promises[i] = plainPending();
        return { all: Promise.all(promises), gate: currentGate };
      },
      async release(held) {
        const { all, gate: g } = held as { all: Promise<number[]>; gate: Gate };
        g.open();
        await all;
      },
    },
    {
      name: 'pending task',
      create(count) {
        currentGate = gate();
        const tasks = new Array(count);
        for (let i = 0; i < count; i++) tasks[i] = taskPending();
        const all = whenAll(tasks as ReturnType<typeof taskPending>[]).start();
        return { all, gate: currentGate };
      },
      async release(held) {
        const { all, gate: g } = held as { all: Promise<number[]>; gate: Gate };
        g.open();
        await all;
      },
    },
  ],
  compare: [
    {
      subject: 'pending task',
      baseline: 'pending async fn promise',
      target: { max: 1.5, text: 'at most 1.5× a pending plain promise' },
    },
  ],
});

export default [
  directCall,
  syncWaitScenario,
  whenAllTuple,
  whenAllArray,
  pendingMemory,
] satisfies Scenario[];

process.on('exit', () => {
  if (sink === -1) console.log(sink);
});
