// @coro/sync/threads: its cross-thread Mutex, whose waits never block a thread
// (Atomics.waitAsync), against two blocking locks built on Atomics.wait in the same workers:
// - a FIFO ticket lock: the fair baseline. Like coro's Mutex it hands the lock to the thread in
//   line, so two contending threads alternate and every increment pays one cross-thread wake-up;
//   the ratio is the price of waking through the event loop instead of blocking the thread.
// - Drepper's futex mutex: unfair (the releasing thread re-takes the lock before the sleeper
//   wakes, so it mostly runs uncontended): the fastest a blocking lock gets, and what fairness
//   costs.
// And its uncontended cost on one thread against the single-loop @coro/sync Mutex and
// async-mutex. The issue sets no target: these figures are informational.
import { Worker } from 'node:worker_threads';
import { Mutex as LoopMutex } from '@coro/sync';
import { RingBuffer, Mutex as ThreadMutex } from '@coro/sync/threads';
import { Mutex as AsyncMutex } from 'async-mutex';
import { type Scenario, throughput } from '../harness.ts';

const workerUrl = new URL('./sync-threads/counter-worker.ts', import.meta.url);
const ringWorkerUrl = new URL('./sync-threads/ring-worker.ts', import.meta.url);
let sink = 0;

/** Two workers sharing one counter, a thread Mutex and a futex word; reused across samples. */
class CounterWorkers {
  readonly mutex = new ThreadMutex();
  readonly counter = new Int32Array(new SharedArrayBuffer(4));
  readonly futex = new Int32Array(new SharedArrayBuffer(4));
  readonly tickets = new Int32Array(new SharedArrayBuffer(8));
  readonly gate = new Int32Array(new SharedArrayBuffer(4));
  arrivals = 0;
  workers: Worker[] = [];

  start(): void {
    const { mutex, counter, futex, tickets, gate } = this;
    this.workers = [0, 1].map(
      () => new Worker(workerUrl, { workerData: { mutex, counter, futex, tickets, gate } }),
    );
  }

  /** Runs `ops` increments split over both workers; checks none was lost. */
  async run(kind: 'coro' | 'futex' | 'ticket', ops: number): Promise<void> {
    const half = Math.ceil(ops / 2);
    const before = this.counter[0] as number;
    this.arrivals += this.workers.length;
    const gate = this.arrivals;
    await Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            worker.once('message', () => resolve());
            worker.once('error', reject);
            worker.postMessage({ kind, n: half, gate });
          }),
      ),
    );
    const added = (this.counter[0] as number) - before;
    if (added !== half * 2) throw new Error(`${kind}: counter off by ${half * 2 - added}`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
    this.workers = [];
  }
}

const pair = new CounterWorkers();

const contended = throughput({
  id: 'sync-threads/mutex-contended',
  group: 'sync-threads',
  title: 'cross-thread Mutex: 2 workers incrementing one shared counter (ns per increment)',
  ops: 20_000,
  rounds: 5,
  contenders: [
    {
      name: 'coro threads Mutex (waitAsync)',
      setup: () => pair.start(),
      run: (ops) => pair.run('coro', ops),
    },
    {
      name: 'FIFO ticket lock (Atomics.wait)',
      run: (ops) => pair.run('ticket', ops),
    },
    {
      name: 'futex mutex (Atomics.wait, unfair)',
      run: (ops) => pair.run('futex', ops),
      teardown: () => pair.stop(),
    },
  ],
  compare: [
    { subject: 'coro threads Mutex (waitAsync)', baseline: 'FIFO ticket lock (Atomics.wait)' },
    { subject: 'coro threads Mutex (waitAsync)', baseline: 'futex mutex (Atomics.wait, unfair)' },
  ],
});

const threadMutex = new ThreadMutex();
const loopMutex = new LoopMutex();
const asyncMutex = new AsyncMutex();

const uncontended = throughput({
  id: 'sync-threads/mutex-uncontended',
  group: 'sync-threads',
  title: 'uncontended lock/unlock on one thread: threads Mutex vs @coro/sync Mutex and async-mutex',
  ops: 200_000,
  contenders: [
    {
      name: 'coro threads Mutex',
      async run(ops) {
        for (let i = 0; i < ops; i++) {
          const lock = await threadMutex.lock();
          sink++;
          lock.unlock();
        }
      },
    },
    {
      name: '@coro/sync Mutex',
      async run(ops) {
        for (let i = 0; i < ops; i++) {
          const lock = await loopMutex.lock();
          sink++;
          lock.unlock();
        }
      },
    },
    {
      name: 'async-mutex',
      async run(ops) {
        for (let i = 0; i < ops; i++) {
          const release = await asyncMutex.acquire();
          sink++;
          release();
        }
      },
    },
  ],
  compare: [
    { subject: 'coro threads Mutex', baseline: '@coro/sync Mutex' },
    { subject: 'coro threads Mutex', baseline: 'async-mutex' },
  ],
});

/** A worker sending numbers to the main thread, through a shared ring or postMessage. */
class RingPipe {
  readonly ring = new RingBuffer(1024);
  worker: Worker | undefined;

  start(): void {
    this.worker = new Worker(ringWorkerUrl, { workerData: { ring: this.ring } });
  }

  async viaRing(ops: number): Promise<void> {
    this.worker?.postMessage({ kind: 'ring', n: ops });
    let sum = 0;
    for (let i = 0; i < ops; i++) {
      let item = this.ring.tryConsume();
      if (!item.ok) {
        const waited = await this.ring.consume();
        if (!waited.ok) throw new Error(`ring: ${waited.error}`);
        item = waited;
      }
      sum += item.value;
    }
    if (sum !== (ops * (ops - 1)) / 2) throw new Error('ring: items lost or duplicated');
  }

  async viaPostMessage(ops: number): Promise<void> {
    const worker = this.worker as Worker;
    let received = 0;
    let sum = 0;
    await new Promise<void>((resolve) => {
      const onMessage = (value: number) => {
        sum += value;
        if (++received === ops) {
          worker.off('message', onMessage);
          resolve();
        }
      };
      worker.on('message', onMessage);
      worker.postMessage({ kind: 'post', n: ops });
    });
    if (sum !== (ops * (ops - 1)) / 2) throw new Error('postMessage: items lost');
  }

  async stop(): Promise<void> {
    await this.worker?.terminate();
    this.worker = undefined;
  }
}

const pipe = new RingPipe();

const ringThroughput = throughput({
  id: 'sync-threads/ring-numbers',
  group: 'sync-threads',
  title: 'numbers from a worker to the main thread: shared RingBuffer(1024) vs postMessage',
  ops: 200_000,
  rounds: 5,
  contenders: [
    {
      name: 'coro threads RingBuffer',
      setup: () => pipe.start(),
      run: (ops) => pipe.viaRing(ops),
    },
    {
      name: 'worker.postMessage(number)',
      run: (ops) => pipe.viaPostMessage(ops),
      teardown: () => pipe.stop(),
    },
  ],
  compare: [{ subject: 'coro threads RingBuffer', baseline: 'worker.postMessage(number)' }],
});

export default [contended, uncontended, ringThroughput] satisfies Scenario[];
// Keeps `sink` observable so the loops are not optimised away.
export const _sink = (): number => sink;
