// The libcoro group: libcoro's own bench.cpp cases, run from a libcoro build the user points
// at (`pnpm bench -- --libcoro BUILD_DIR`, the directory holding its `bench` binary), each
// followed at once by coro's loop of the same shape, case by case, so that both figures come
// from the same minute of the same machine. Reported as coro ops/s ÷ libcoro ops/s.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IoScheduler } from '@coro/io';
import { ThreadPool } from '@coro/pool';
import { Event } from '@coro/sync';
import { syncWait, task, whenAll } from '@coro/task';
import type { Measurement, RunContext, Scenario, ScenarioResult } from './harness.ts';

type CoroJobs = typeof import('./scenarios/pool/coro-jobs.ts');

interface Case {
  /** The TEST_CASE name in bench.cpp. */
  readonly libcoro: string;
  readonly id: string;
  readonly title: string;
  /** coro's loop: `n` iterations of the case's shape; returns the ops it counted. */
  run(n: number): Promise<number>;
  /** Iterations for coro's loop (libcoro's are fixed in bench.cpp: 5,000,000). */
  readonly iterations: number;
  /** The same loop with coroutine tasks (generator bodies), where coro has one. */
  runCoroutines?(n: number): Promise<number>;
}

let sink = 0;
const addOne = task(async (x: number) => x + 1);

const cases: readonly Case[] = [
  {
    libcoro: 'benchmark counter func coro::sync_wait(awaitable)',
    id: 'libcoro/sync-wait',
    title: 'sync_wait(task)',
    iterations: 500_000,
    async run(n) {
      let x = 0;
      for (let i = 0; i < n; i++) x = await syncWait(addOne(x));
      sink += x;
      return n;
    },
  },
  {
    libcoro: 'benchmark counter func coro::sync_wait(coro::when_all(awaitable)) x10',
    id: 'libcoro/when-all-tuple',
    title: 'sync_wait(when_all(10 tasks)), tuple',
    iterations: 500_000,
    async run(n) {
      let x = 0;
      for (let i = 0; i < n; i += 10) {
        const r = await syncWait(
          whenAll(
            addOne(i),
            addOne(i),
            addOne(i),
            addOne(i),
            addOne(i),
            addOne(i),
            addOne(i),
            addOne(i),
            addOne(i),
            addOne(i),
          ),
        );
        x += r[9];
      }
      sink += x;
      return n;
    },
  },
  {
    libcoro: 'benchmark counter func coro::sync_wait(coro::when_all(vector<awaitable>)) x10',
    id: 'libcoro/when-all-vector',
    title: 'sync_wait(when_all(10 tasks)), array',
    iterations: 500_000,
    async run(n) {
      let x = 0;
      for (let i = 0; i < n; i += 10) {
        const tasks = [];
        for (let k = 0; k < 10; k++) tasks.push(addOne(k));
        const r = await syncWait(whenAll(tasks));
        x += r[9]!;
      }
      sink += x;
      return n;
    },
  },
  {
    libcoro: 'benchmark counter task scheduler{1} yield',
    id: 'libcoro/scheduler-yield',
    title: 'scheduler: schedule + yield per task, all at once',
    iterations: 200_000,
    run: (n) =>
      yieldLoop(n, (s, count) =>
        task(async () => {
          await s.schedule();
          await s.yield();
          count();
        }),
      ),
    runCoroutines: (n) =>
      yieldLoop(n, (s, count) =>
        task(function* () {
          yield s.schedule();
          yield s.yield();
          count();
        }),
      ),
  },
  {
    libcoro: 'benchmark counter task scheduler{1} yield_for',
    id: 'libcoro/scheduler-yield-for',
    title: 'scheduler: schedule + yield_for(5 ms) per task, all at once',
    iterations: 200_000,
    run: (n) =>
      yieldLoop(n, (s, count) =>
        task(async () => {
          await s.schedule();
          await s.yieldFor(5);
          count();
        }),
      ),
  },
  {
    libcoro: 'benchmark counter task scheduler await event from another coroutine',
    id: 'libcoro/scheduler-event',
    title: 'scheduler: one task waits on an event another sets',
    iterations: 200_000,
    run: (n) =>
      eventLoop(
        n,
        (s, events, count) =>
          task(async (i: number) => {
            await s.schedule();
            await (events[i] as Event).wait();
            count();
          }),
        (s, events) =>
          task(async (i: number) => {
            await s.schedule();
            (events[i] as Event).set();
          }),
      ),
    runCoroutines: (n) =>
      eventLoop(
        n,
        (s, events, count) =>
          task(function* (i: number) {
            yield s.schedule();
            yield events[i] as Event;
            count();
          }),
        (s, events) =>
          task(function* (i: number) {
            yield s.schedule();
            (events[i] as Event).set();
          }),
      ),
  },
  {
    libcoro: 'benchmark thread_pool{1} counter task',
    id: 'libcoro/thread-pool-counter',
    title: 'thread_pool{1}: a task per increment, run on the pool thread',
    iterations: 200_000,
    async run(n) {
      const pool = new ThreadPool<CoroJobs>({
        module: new URL('./scenarios/pool/coro-jobs.ts', import.meta.url),
        threadCount: 1,
      });
      // Warm the thread (libcoro's pool is started before its clock starts, too).
      await pool.run('add', 0, 0);
      const tasks = new Array(n);
      for (let i = 0; i < n; i++) tasks[i] = pool.run('add', 1, 0);
      const results = (await whenAll(tasks)) as number[];
      let counter = 0;
      for (const r of results) counter += r;
      await pool.shutdown();
      check(counter, n);
      return n;
    },
  },
];

/**
 * libcoro's "scheduler yield" and "yield_for": `n` tasks made by `make`, all at once, two ops
 * each as bench.cpp counts them (the resume after the yield is an op too).
 */
async function yieldLoop(
  n: number,
  make: (s: IoScheduler, count: () => void) => () => PromiseLike<unknown>,
): Promise<number> {
  const s = new IoScheduler();
  let counter = 0;
  const body = make(s, () => {
    counter++;
  });
  const tasks = new Array(n);
  for (let i = 0; i < n; i++) tasks[i] = body();
  await syncWait(whenAll(tasks));
  await s.shutdown();
  check(counter, n);
  return n * 2;
}

/** libcoro's "await event from another coroutine": `n` waiters and `n` setters. */
async function eventLoop(
  n: number,
  makeWaiter: (
    s: IoScheduler,
    events: Event[],
    count: () => void,
  ) => (i: number) => PromiseLike<unknown>,
  makeSetter: (s: IoScheduler, events: Event[]) => (i: number) => PromiseLike<unknown>,
): Promise<number> {
  const s = new IoScheduler();
  const events = new Array<Event>(n);
  for (let i = 0; i < n; i++) events[i] = new Event();
  let counter = 0;
  const waiter = makeWaiter(s, events, () => {
    counter++;
  });
  const setter = makeSetter(s, events);
  const tasks = new Array(n * 2);
  for (let i = 0; i < n; i++) {
    tasks[2 * i] = waiter(i);
    tasks[2 * i + 1] = setter(i);
  }
  await syncWait(whenAll(tasks));
  await s.shutdown();
  check(counter, n);
  return n * 3; // two tasks and the event's resume
}

function check(actual: number, expected: number): void {
  if (actual !== expected)
    throw new Error(`libcoro group: counted ${actual}, expected ${expected}`);
}

/** Runs one bench.cpp case in a scratch directory (its main writes a TLS certificate there). */
function runLibcoro(binary: string, name: string): number {
  const cwd = mkdtempSync(join(tmpdir(), 'coro-libcoro-'));
  try {
    const out = execFileSync(binary, [name], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 600_000,
    });
    const match = /ops\/sec:\s*([\d.]+)/.exec(out);
    if (match === null) throw new Error(`libcoro bench "${name}" printed no ops/sec:\n${out}`);
    return Number(match[1]);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** Where the `bench` binary of a libcoro build is, or why it is not usable. */
export function findLibcoroBench(buildDir: string): string {
  const binary = join(buildDir, 'bench');
  if (!existsSync(binary)) {
    throw new Error(
      `--libcoro ${buildDir}: no bench binary there (build one with ../shared/peers/build-libcoro.sh DIR, then pass DIR/libcoro/build)`,
    );
  }
  return binary;
}

/** The message printed when the group is skipped. */
export const libcoroSkipped =
  'bench: libcoro group skipped: pass --libcoro BUILD_DIR (a libcoro build directory with its bench binary, e.g. DIR/libcoro/build from ../shared/peers/build-libcoro.sh DIR) to run libcoro bench.cpp side by side';

/** The libcoro group's scenarios for the build in `buildDir`. */
export function libcoroScenarios(buildDir: string): Scenario[] {
  const binary = findLibcoroBench(buildDir);
  return cases.map((c) => ({
    id: c.id,
    group: 'libcoro',
    title: `libcoro bench.cpp: ${c.title}`,
    async run(ctx: RunContext): Promise<ScenarioResult> {
      ctx.progress(`libcoro "${c.libcoro}"`);
      const libcoro = runLibcoro(binary, c.libcoro);
      const n = ctx.quick ? c.iterations / 10 : c.iterations;
      // One warm-up run of a tenth first, as every throughput scenario does: libcoro's loop is
      // compiled ahead of time, coro's would otherwise be timed while the JIT still compiles it.
      await c.run(Math.max(1, Math.round(n / 10)));
      (globalThis as { gc?: () => void }).gc?.();
      const started = performance.now();
      const ops = await c.run(n);
      const coro = (ops * 1000) / (performance.now() - started);
      const measurements: Measurement[] = [
        { name: 'libcoro', value: libcoro, unit: 'ops/s' },
        { name: 'coro', value: coro, unit: 'ops/s' },
      ];
      const comparisons = [{ subject: 'coro', baseline: 'libcoro', ratio: coro / libcoro }];
      if (c.runCoroutines !== undefined) {
        await c.runCoroutines(Math.max(1, Math.round(n / 10)));
        (globalThis as { gc?: () => void }).gc?.();
        const start = performance.now();
        const done = await c.runCoroutines(n);
        const value = (done * 1000) / (performance.now() - start);
        const name = 'coro (coroutine tasks)';
        measurements.push({ name, value, unit: 'ops/s' });
        comparisons.push({ subject: name, baseline: 'libcoro', ratio: value / libcoro });
      }
      return {
        id: c.id,
        group: 'libcoro',
        title: `libcoro bench.cpp: ${c.title}`,
        lowerIsBetter: false,
        measurements,
        comparisons,
      };
    },
  }));
}

process.on('exit', () => {
  if (sink === -1) console.log(sink);
});
