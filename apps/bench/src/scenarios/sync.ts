// @coro/sync against the packages users pick today, in the same run (libcoro bench.cpp's mutex,
// semaphore, ring buffer and event scenarios):
// - Mutex: uncontended lock/unlock and a contended counter against async-mutex;
// - Semaphore: 100,000 tasks, 8 at a time, against p-limit and async-sema;
// - RingBuffer: a bounded channel, one and four producers, against @repeaterjs/repeater with a
//   FixedBuffer (the closest npm bounded async channel with backpressure: push() waits while
//   the buffer is full, like produce());
// - Queue: an unbounded channel, one and four producers, against it-pushable (the unbounded
//   push/async-iterate queue of the libp2p ecosystem);
// - Event: 10,000 waiters woken by one set(), against events.once on an EventEmitter (what Node
//   code does to wait for a one-off signal, with per-waiter cancellation like Event.wait) and,
//   as the floor, one shared Promise.withResolvers() that every waiter awaits (no per-waiter
//   state, no way to give up: nothing can be cheaper).
import { EventEmitter, once } from 'node:events';
import { Event, Mutex, Queue, RingBuffer, Semaphore } from '@coro/sync';
import { FixedBuffer, Repeater } from '@repeaterjs/repeater';
import { Mutex as AsyncMutex } from 'async-mutex';
import { Sema } from 'async-sema';
import { pushable } from 'it-pushable';
import pLimit from 'p-limit';
import { compare, type Measurement, type Scenario, throughput } from '../harness.ts';

let sink = 0;
const twice = { min: 0, max: 0.5, text: 'at least 2× the ops/s of' } as const;
const target = (peer: string) => ({ max: twice.max, text: `${twice.text} ${peer}` });

function check(actual: number, expected: number, what: string): void {
  if (actual !== expected) throw new Error(`${what}: got ${actual}, expected ${expected}`);
}

const mutexUncontended = throughput({
  id: 'sync/mutex-uncontended',
  group: 'sync',
  title: 'Mutex: uncontended lock + unlock',
  ops: 1_000_000,
  contenders: [
    {
      name: 'coro Mutex',
      async run(ops) {
        const mutex = new Mutex();
        for (let i = 0; i < ops; i++) {
          const lock = await mutex.lock();
          sink++;
          lock.unlock();
        }
      },
    },
    {
      name: 'async-mutex',
      async run(ops) {
        const mutex = new AsyncMutex();
        for (let i = 0; i < ops; i++) {
          const release = await mutex.acquire();
          sink++;
          release();
        }
      },
    },
  ],
  compare: [{ subject: 'coro Mutex', baseline: 'async-mutex', target: target('async-mutex') }],
});

/** `ops` increments by 1,000 tasks (or fewer when ops is small), each holding the lock across an await. */
function contendedCounter(lock: () => Promise<() => void>): (ops: number) => Promise<void> {
  return async (ops) => {
    const tasks = Math.min(1_000, ops);
    const each = Math.floor(ops / tasks);
    let counter = 0;
    const worker = async () => {
      for (let i = 0; i < each; i++) {
        const release = await lock();
        const seen = counter;
        // Hold the lock across an await so that every other task queues up: the counter is
        // only right if the lock really excludes.
        await null;
        counter = seen + 1;
        release();
      }
    };
    const running: Promise<void>[] = [];
    for (let t = 0; t < tasks; t++) running.push(worker());
    await Promise.all(running);
    check(counter, tasks * each, 'contended counter');
  };
}

const mutexContended = (() => {
  const coro = new Mutex();
  const peer = new AsyncMutex();
  return throughput({
    id: 'sync/mutex-contended',
    group: 'sync',
    title: 'Mutex: contended counter, 1,000 tasks × 1,000 increments',
    ops: 1_000_000,
    rounds: 5,
    contenders: [
      {
        name: 'coro Mutex',
        run: contendedCounter(async () => {
          const lock = await coro.lock();
          return () => lock.unlock();
        }),
      },
      { name: 'async-mutex', run: contendedCounter(() => peer.acquire()) },
    ],
    compare: [{ subject: 'coro Mutex', baseline: 'async-mutex', target: target('async-mutex') }],
  });
})();

/** Runs `ops` tasks, at most 8 at a time, each doing one await of work; checks the bound. */
function limitedTasks(
  limit: (work: () => Promise<void>) => Promise<void>,
  bound = 8,
): (ops: number) => Promise<void> {
  return async (ops) => {
    let running = 0;
    let most = 0;
    const work = async () => {
      running++;
      if (running > most) most = running;
      await null;
      running--;
    };
    const all: Promise<void>[] = new Array(ops);
    for (let i = 0; i < ops; i++) all[i] = limit(work);
    await Promise.all(all);
    if (most > bound) throw new Error(`limit broken: ${most} ran at once`);
  };
}

const floorName = 'same tasks, no limiter (floor)';
const semaphoreTotals = throughput({
  id: 'sync/semaphore-limit',
  group: 'sync',
  title: 'Semaphore: 100,000 tasks, 8 at a time',
  ops: 100_000,
  contenders: [
    {
      name: 'coro Semaphore',
      run(ops) {
        const sem = new Semaphore(8);
        return limitedTasks(async (work) => {
          await sem.acquire();
          try {
            await work();
          } finally {
            sem.release();
          }
        })(ops);
      },
    },
    {
      name: 'p-limit',
      run(ops) {
        const limit = pLimit(8);
        return limitedTasks((work) => limit(work))(ops);
      },
    },
    {
      name: 'async-sema',
      run(ops) {
        const sema = new Sema(8);
        return limitedTasks(async (work) => {
          await sema.acquire();
          try {
            await work();
          } finally {
            sema.release();
          }
        })(ops);
      },
    },
    {
      // The same task shape with `await null` in place of acquire() and nothing for release():
      // what the tasks cost by themselves (100,000 async frames, Promise.all, GC).
      name: floorName,
      run: limitedTasks(async (work) => {
        await null;
        try {
          await work();
        } finally {
          sink++;
        }
      }, Number.POSITIVE_INFINITY),
    },
  ],
  compare: [
    { subject: 'coro Semaphore', baseline: 'p-limit', target: target('p-limit') },
    { subject: 'coro Semaphore', baseline: 'async-sema', target: target('async-sema') },
  ],
});

/**
 * The totals above are bounded by the tasks' own cost (the floor is more than half of
 * async-sema's total, so no limiter could be twice as fast there). This also reports what each
 * limiter adds per task on top of that floor, and compares those.
 */
const semaphore: Scenario = {
  id: semaphoreTotals.id,
  group: semaphoreTotals.group,
  title: semaphoreTotals.title,
  async run(ctx) {
    const result = await semaphoreTotals.run(ctx);
    const floor = result.measurements.find((m) => m.name === floorName)?.value ?? 0;
    const added: Measurement[] = ['coro Semaphore', 'p-limit', 'async-sema'].map((name) => {
      const total = result.measurements.find((m) => m.name === name)?.value ?? 0;
      // Clamped at 1 ns: noise can put a cheap limiter a hair under the floor.
      return { name: `${name}, over the floor`, value: Math.max(1, total - floor), unit: 'ns/op' };
    });
    const measurements = [...result.measurements, ...added];
    const overTheFloor = (peer: string) => ({
      subject: 'coro Semaphore, over the floor',
      baseline: `${peer}, over the floor`,
      target: { max: 0.5, text: `at most half the per-task cost ${peer} adds` },
    });
    return {
      ...result,
      measurements,
      comparisons: [
        ...result.comparisons,
        ...compare(measurements, [overTheFloor('p-limit'), overTheFloor('async-sema')]),
      ],
    };
  },
};

const capacity = 64;

/** Splits `ops` items over `producers`; returns the item count actually sent. */
/** `producers` concurrent producers, each sending `each` items and awaiting every send. */
function produceAwaiting(
  producers: number,
  each: number,
  send: (item: number) => Promise<unknown>,
): Promise<unknown> {
  const produce = async () => {
    for (let i = 0; i < each; i++) await send(i);
  };
  const all: Promise<void>[] = [];
  for (let p = 0; p < producers; p++) all.push(produce());
  return Promise.all(all);
}

/**
 * `producers` concurrent producers pushing `each` items into an unbounded queue, which never
 * makes them wait: each lets the others run every 16 items.
 */
function producePushing(
  producers: number,
  each: number,
  push: (item: number) => unknown,
): Promise<unknown> {
  const produce = async () => {
    for (let i = 0; i < each; i++) {
      push(i);
      if ((i & 15) === 15) await null;
    }
  };
  const all: Promise<void>[] = [];
  for (let p = 0; p < producers; p++) all.push(produce());
  return Promise.all(all);
}

function shares(ops: number, producers: number): number {
  return Math.floor(ops / producers);
}

function ringBuffer(producers: number): Scenario {
  const label = producers === 1 ? 'one producer' : `${producers} producers`;
  return throughput({
    id: `sync/ring-buffer-${producers === 1 ? 'spsc' : 'mpsc'}`,
    group: 'sync',
    title: `RingBuffer(${capacity}): ${label}, one consumer`,
    ops: 300_000,
    rounds: 7,
    contenders: [
      {
        name: 'coro RingBuffer consume()',
        async run(ops) {
          const each = shares(ops, producers);
          const rb = new RingBuffer<number>(capacity);
          void produceAwaiting(producers, each, (i) => rb.produce(i)).then(() =>
            rb.shutdownDrain(),
          );
          let received = 0;
          while (true) {
            const item = await rb.consume();
            if (!item.ok) break;
            received++;
          }
          check(received, each * producers, 'ring buffer');
        },
      },
      {
        name: 'coro RingBuffer for await',
        async run(ops) {
          const each = shares(ops, producers);
          const rb = new RingBuffer<number>(capacity);
          void produceAwaiting(producers, each, (i) => rb.produce(i)).then(() =>
            rb.shutdownDrain(),
          );
          let received = 0;
          for await (const _ of rb) received++;
          check(received, each * producers, 'ring buffer');
        },
      },
      {
        name: 'Repeater + FixedBuffer',
        async run(ops) {
          const each = shares(ops, producers);
          const channel = new Repeater<number>(async (push, stop) => {
            await produceAwaiting(producers, each, push);
            stop();
          }, new FixedBuffer(capacity));
          let received = 0;
          for await (const _ of channel) received++;
          check(received, each * producers, 'repeater');
        },
      },
    ],
    compare: [
      {
        subject: 'coro RingBuffer consume()',
        baseline: 'Repeater + FixedBuffer',
        target: target('Repeater'),
      },
      {
        subject: 'coro RingBuffer for await',
        baseline: 'Repeater + FixedBuffer',
        target: target('Repeater'),
      },
    ],
  });
}

/** Producers push `each` items, giving the consumer a turn every 16 items. */
function queueScenario(producers: number): Scenario {
  const label = producers === 1 ? 'one producer' : `${producers} producers`;
  return throughput({
    id: `sync/queue-${producers === 1 ? 'spsc' : 'mpsc'}`,
    group: 'sync',
    title: `Queue: ${label}, one consumer`,
    ops: 1_000_000,
    rounds: 7,
    contenders: [
      {
        name: 'coro Queue pop()',
        async run(ops) {
          const each = shares(ops, producers);
          const q = new Queue<number>();
          void producePushing(producers, each, (i) => q.push(i)).then(() => q.shutdownDrain());
          let received = 0;
          while (true) {
            const item = await q.pop();
            if (!item.ok) break;
            received++;
          }
          check(received, each * producers, 'queue');
        },
      },
      {
        name: 'coro Queue for await',
        async run(ops) {
          const each = shares(ops, producers);
          const q = new Queue<number>();
          void producePushing(producers, each, (i) => q.push(i)).then(() => q.shutdownDrain());
          let received = 0;
          for await (const _ of q) received++;
          check(received, each * producers, 'queue');
        },
      },
      {
        // Takes what is queued without a promise per item, and waits only when it is empty.
        name: 'coro Queue tryPop() + pop()',
        async run(ops) {
          const each = shares(ops, producers);
          const q = new Queue<number>();
          void producePushing(producers, each, (i) => q.push(i)).then(() => q.shutdownDrain());
          let received = 0;
          while (true) {
            const ready = q.tryPop();
            if (ready.ok) {
              received++;
              continue;
            }
            if (ready.error === 'stopped') break;
            const item = await q.pop();
            if (!item.ok) break;
            received++;
          }
          check(received, each * producers, 'queue');
        },
      },
      {
        name: 'it-pushable',
        async run(ops) {
          const each = shares(ops, producers);
          const source = pushable<number>({ objectMode: true });
          void producePushing(producers, each, (i) => source.push(i)).then(() => source.end());
          let received = 0;
          for await (const _ of source) received++;
          check(received, each * producers, 'it-pushable');
        },
      },
    ],
    compare: [
      { subject: 'coro Queue pop()', baseline: 'it-pushable', target: target('it-pushable') },
      {
        subject: 'coro Queue for await',
        baseline: 'it-pushable',
        target: target('it-pushable'),
      },
      {
        subject: 'coro Queue tryPop() + pop()',
        baseline: 'it-pushable',
        target: target('it-pushable'),
      },
    ],
  });
}

const waiters = 10_000;

/**
 * Rounds of 10,000 waiters woken by one signal: ns per waiter (wait + wake + resume). A run of
 * fewer operations (the smoke run's) makes one round of that many waiters: events.once costs
 * O(waiters) per listener, so 10,000 of them would make the smoke run's step take seconds.
 */
function eventRounds(
  round: (onWake: () => void, count: number) => void,
): (ops: number) => Promise<void> {
  return async (ops) => {
    const count = Math.min(waiters, ops);
    const rounds = Math.max(1, Math.round(ops / count));
    for (let r = 0; r < rounds; r++) {
      let woken = 0;
      const { promise: done, resolve } = Promise.withResolvers<void>();
      const onWake = () => {
        if (++woken === count) resolve();
      };
      round(onWake, count);
      await done;
    }
  };
}

const event = throughput({
  id: 'sync/event-10k-waiters',
  group: 'sync',
  title: 'Event: 10,000 waiters, one set()',
  // events.once removes each listener from an array (O(waiters) each): keep the rounds few.
  ops: 100_000,
  rounds: 5,
  contenders: [
    {
      name: 'coro Event',
      run: eventRounds((onWake, count) => {
        const e = new Event();
        for (let i = 0; i < count; i++) e.wait().then(onWake);
        e.set();
      }),
    },
    {
      name: 'events.once',
      run: eventRounds((onWake, count) => {
        const emitter = new EventEmitter();
        emitter.setMaxListeners(0);
        for (let i = 0; i < count; i++) once(emitter, 'set').then(onWake);
        emitter.emit('set');
      }),
    },
    {
      name: 'shared promise (floor)',
      run: eventRounds((onWake, count) => {
        const { promise, resolve } = Promise.withResolvers<void>();
        for (let i = 0; i < count; i++) promise.then(onWake);
        resolve();
      }),
    },
  ],
  compare: [
    { subject: 'coro Event', baseline: 'events.once', target: target('events.once') },
    { subject: 'coro Event', baseline: 'shared promise (floor)' },
  ],
});

export default [
  mutexUncontended,
  mutexContended,
  semaphore,
  ringBuffer(1),
  ringBuffer(4),
  queueScenario(1),
  queueScenario(4),
  event,
] satisfies Scenario[];

process.on('exit', () => {
  if (sink === -1) console.log(sink);
});
