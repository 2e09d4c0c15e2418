// @coro/pool against piscina and tinypool, the worker pools Node.js users pick today: tiny-task
// throughput, single round-trip latency, CPU-bound scaling with 1 and 2 threads, and a 16 MiB
// transfer. Every pool runs with the same thread count and the same number of jobs in flight
// per thread (16, @coro/pool's default) — and for tiny tasks piscina and tinypool also run with
// their own default of one, whichever is faster for them — is started and warmed before it is
// measured (thread startup is never inside a measurement), and is shut down by the scenario.
import { fileURLToPath } from 'node:url';
import { ThreadPool } from '@coro/pool';
import { whenAll } from '@coro/task';
import { Piscina } from 'piscina';
import { Tinypool } from 'tinypool';
import {
  type Contender,
  compare,
  collectGarbage,
  type Measurement,
  type Scenario,
  throughput,
} from '../harness.ts';

type CoroJobs = typeof import('./pool/coro-jobs.ts');

/** Threads per pool (the machines running this have two cores). */
const THREADS = 2;
/** Jobs in flight per thread, the same for every pool. */
const IN_FLIGHT = 16;

/** What each scenario needs from a pool. */
interface PoolAdapter {
  readonly name: string;
  /** Runs `n` additions at once and waits for all; returns the sum of the results. */
  addMany(n: number): Promise<number>;
  add(a: number, b: number): PromiseLike<number>;
  fibMany(n: number, arg: number): Promise<number>;
  roundTrip(buffer: ArrayBuffer): PromiseLike<ArrayBuffer>;
  close(): Promise<void>;
}

function coro(threads: number, name = '@coro/pool', copy = false): PoolAdapter {
  const pool = new ThreadPool<CoroJobs>({
    module: new URL('./pool/coro-jobs.ts', import.meta.url),
    threadCount: threads,
    concurrentTasksPerWorker: IN_FLIGHT,
  });
  return {
    name,
    async addMany(n) {
      const tasks = new Array(n);
      for (let i = 0; i < n; i++) tasks[i] = pool.run('add', i, 1);
      const results = (await whenAll(tasks)) as number[];
      let sum = 0;
      for (let i = 0; i < n; i++) sum += results[i]!;
      return sum;
    },
    add: (a, b) => pool.run('add', a, b),
    async fibMany(n, arg) {
      const tasks = new Array(n);
      for (let i = 0; i < n; i++) tasks[i] = pool.run('fib', arg);
      const results = (await whenAll(tasks)) as number[];
      return results.length;
    },
    roundTrip: copy
      ? (buffer) => pool.run('roundTripCopy', buffer)
      : (buffer) => pool.runWith({ transfer: [buffer] }, 'roundTrip', buffer),
    close: () => pool.shutdown(),
  };
}

/** @coro/pool copying the buffer both ways instead of moving it, for reference. */
function coroCopy(threads: number): PoolAdapter {
  return coro(threads, '@coro/pool (copy)', true);
}

/** The part of the piscina / tinypool API the scenarios use: the two are alike here. */
interface PeerPool {
  run(task: unknown, options: { name: string }): Promise<number>;
  destroy(): Promise<void>;
}

/** Options both peers take, with `threads` threads and `inFlight` jobs per thread. */
function peerOptions(jobs: string, threads: number, inFlight: number) {
  return {
    filename: fileURLToPath(new URL(`./pool/${jobs}`, import.meta.url)),
    minThreads: threads,
    maxThreads: threads,
    concurrentTasksPerWorker: inFlight,
    maxQueue: Number.POSITIVE_INFINITY,
    idleTimeout: 60_000,
  };
}

function peerAdapter(
  name: string,
  pool: PeerPool,
  move: (buffer: ArrayBuffer) => unknown,
  inFlight: number,
): PoolAdapter {
  return {
    name: inFlight === IN_FLIGHT ? name : `${name} (${inFlight} in flight)`,
    async addMany(n) {
      const promises = new Array<Promise<number>>(n);
      for (let i = 0; i < n; i++) promises[i] = pool.run([i, 1], { name: 'add' });
      const results = await Promise.all(promises);
      let sum = 0;
      for (let i = 0; i < n; i++) sum += results[i]!;
      return sum;
    },
    add: (a, b) => pool.run([a, b], { name: 'add' }),
    async fibMany(n, arg) {
      const promises = new Array<Promise<number>>(n);
      for (let i = 0; i < n; i++) promises[i] = pool.run(arg, { name: 'fib' });
      return (await Promise.all(promises)).length;
    },
    roundTrip: (buffer) =>
      pool.run(move(buffer), { name: 'roundTrip' }) as unknown as Promise<ArrayBuffer>,
    close: () => pool.destroy(),
  };
}

function piscina(threads: number, inFlight = IN_FLIGHT): PoolAdapter {
  const pool = new Piscina(peerOptions('piscina-jobs.ts', threads, inFlight));
  return peerAdapter('piscina', pool as unknown as PeerPool, (b) => Piscina.move(b), inFlight);
}

function tinypool(threads: number, inFlight = IN_FLIGHT): PoolAdapter {
  const pool = new Tinypool(peerOptions('tinypool-jobs.ts', threads, inFlight));
  return peerAdapter('tinypool', pool as unknown as PeerPool, (b) => Tinypool.move(b), inFlight);
}

const makers = [coro, piscina, tinypool] as const;

/** Starts a pool and runs a few jobs on every thread, so startup is never measured. */
async function started(make: (threads: number) => PoolAdapter, threads: number) {
  const pool = make(threads);
  await pool.addMany(2000);
  await pool.fibMany(threads * 4, 15);
  return pool;
}

function checkSum(n: number, sum: number): void {
  // Σ (i + 1) for i < n
  if (sum !== (n * (n + 1)) / 2) throw new Error(`wrong sum of results: ${sum}`);
}

function contender(
  name: string,
  make: () => Promise<PoolAdapter>,
  body: (pool: PoolAdapter, ops: number) => Promise<void>,
): Contender {
  let pool: PoolAdapter | undefined;
  return {
    name,
    async setup() {
      pool = await make();
    },
    run: (ops) => body(pool!, ops),
    async teardown() {
      await pool!.close();
    },
  };
}

const names = ['@coro/pool', 'piscina', 'tinypool'] as const;

// tinypool with 16 in flight is slower than with its default of 1 (about 40 µs a job against
// 30 µs here), so only its default runs: the faster of the two is the fair baseline.
const tinyMakers: ((threads: number) => PoolAdapter)[] = [
  coro,
  piscina,
  (threads) => piscina(threads, 1),
  (threads) => tinypool(threads, 1),
];
const tinyNames = ['@coro/pool', 'piscina', 'piscina (1 in flight)', 'tinypool (1 in flight)'];

const tinyTasks = throughput({
  id: 'pool/tiny-tasks',
  group: 'pool',
  title: `tiny tasks: 100,000 jobs adding two numbers (${THREADS} threads)`,
  ops: 100_000,
  rounds: 5,
  contenders: tinyMakers.map((make, i) =>
    contender(
      tinyNames[i]!,
      () => started(make, THREADS),
      async (pool, ops) => checkSum(ops, await pool.addMany(ops)),
    ),
  ),
  compare: tinyNames.slice(1).map((baseline) => ({
    subject: '@coro/pool',
    baseline,
    target: { max: 1 / 1.5, text: `at least 1.5× the throughput of ${baseline}` },
  })),
});

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const latency: Scenario = {
  id: 'pool/latency',
  group: 'pool',
  title: `round-trip latency of one job at a time (p50; ${THREADS} threads)`,
  async run(ctx) {
    const perRound = ctx.quick ? 200 : 2000;
    const rounds = ctx.quick ? 2 : 7;
    const pools = [];
    for (const make of makers) pools.push(await started(make, THREADS));
    const samples = pools.map(() => new Float64Array(perRound * rounds));
    let sink = 0;
    for (const pool of pools) for (let i = 0; i < 200; i++) sink += await pool.add(i, 1);
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < pools.length; k++) {
        const index = (k + round) % pools.length;
        const pool = pools[index]!;
        const out = samples[index]!;
        collectGarbage();
        for (let i = 0; i < perRound; i++) {
          const start = process.hrtime.bigint();
          sink += await pool.add(i, 1);
          out[round * perRound + i] = Number(process.hrtime.bigint() - start);
        }
      }
      ctx.progress(`round ${round + 1}/${rounds}`);
    }
    for (const pool of pools) await pool.close();
    if (sink === -1) console.log(sink);
    const measurements: Measurement[] = pools.map((pool, i) => {
      const sorted = samples[i]!.sort();
      return {
        name: pool.name,
        value: quantile(sorted, 0.5),
        unit: 'ns',
        detail: { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) },
      };
    });
    return {
      id: this.id,
      group: this.group,
      title: this.title,
      lowerIsBetter: true,
      measurements,
      comparisons: compare(measurements, [
        {
          subject: '@coro/pool',
          baseline: 'piscina',
          target: { max: 1, text: 'a lower p50 than piscina' },
        },
        {
          subject: '@coro/pool',
          baseline: 'tinypool',
          target: { max: 1, text: 'a lower p50 than tinypool' },
        },
      ]),
    };
  },
};

const FIB = 24;

const cpuBound = throughput({
  id: 'pool/cpu-bound',
  group: 'pool',
  title: `CPU-bound jobs (fib(${FIB})) with 1 and 2 threads`,
  ops: 400,
  rounds: 5,
  contenders: [1, 2].flatMap((threads) =>
    makers.map((make, i) =>
      contender(
        `${names[i]} ×${threads}`,
        () => started(make, threads),
        async (pool, ops) => {
          await pool.fibMany(ops, FIB);
        },
      ),
    ),
  ),
  compare: [
    { subject: '@coro/pool ×1', baseline: 'piscina ×1' },
    { subject: '@coro/pool ×1', baseline: 'tinypool ×1' },
    { subject: '@coro/pool ×2', baseline: 'piscina ×2' },
    { subject: '@coro/pool ×2', baseline: 'tinypool ×2' },
    { subject: '@coro/pool ×2', baseline: '@coro/pool ×1' },
  ],
});

const MIB16 = 16 * 1024 * 1024;

const transfer = throughput({
  id: 'pool/transfer-16mib',
  group: 'pool',
  title: 'a 16 MiB ArrayBuffer to a thread and back, moved (transfer list)',
  ops: 200,
  rounds: 5,
  contenders: [...makers, coroCopy].map((make, i) => {
    let buffer = new ArrayBuffer(MIB16);
    return contender(
      i < names.length ? names[i]! : '@coro/pool (copy)',
      () => started(make, THREADS),
      async (pool, ops) => {
        for (let k = 0; k < ops; k++) {
          buffer = await pool.roundTrip(buffer);
          if (buffer.byteLength !== MIB16) throw new Error('the buffer did not come back whole');
        }
      },
    );
  }),
  compare: [
    { subject: '@coro/pool', baseline: 'piscina' },
    { subject: '@coro/pool', baseline: 'tinypool' },
    { subject: '@coro/pool', baseline: '@coro/pool (copy)' },
  ],
});

export default [tinyTasks, latency, cpuBound, transfer] satisfies Scenario[];
