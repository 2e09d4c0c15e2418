// @coro/net against the servers a Node.js user would write today, and against libcoro itself
// (`--libcoro BUILD_DIR`): HTTP 200 OK under wrk at 100 and 1,000 connections, libcoro
// bench.cpp's TCP echo (100 connections × 1,000 messages of 36 bytes), 256 MiB of bulk data
// through an accepted socket, and the peak RSS growth of a slow reader under a fast writer.
// Every server runs in a child process of its own; contenders take turns round by round.
//
// The figure compared is work per second of the server's own CPU time (user + system, from
// /proc): on a machine shared with other jobs, wall-clock throughput swings by several times
// from one round to the next, while the CPU a server spends per request hardly moves. A
// single-threaded server that saturates its core serves exactly its per-CPU-second rate, so on
// an idle machine the two agree. Wall-clock rates and wrk's latencies are in each detail.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  type CompareSpec,
  compare,
  type Measurement,
  median,
  type RunContext,
  type Scenario,
  type ScenarioResult,
} from '../harness.ts';
import { settled } from './common/settled.ts';
import { bulkLoad, echoLoad } from './net/clients.ts';
import { libcoroExample, libcoroPorts } from './net/libcoro.ts';
import { hasWrk, runWrk, type ServerProcess, startBinary, startServer } from './net/processes.ts';

interface ServerContender {
  readonly name: string;
  start(): Promise<ServerProcess>;
}

function contenders(kind: 'http' | 'echo'): ServerContender[] {
  const list: ServerContender[] =
    kind === 'http'
      ? [
          { name: '@coro/net', start: () => startServer('coro-http') },
          { name: '@coro/net coroutine', start: () => startServer('coro-http', 'coroutine') },
          { name: 'node:net', start: () => startServer('net-http') },
          { name: 'node:http', start: () => startServer('node-http') },
          // Not a contender: what Node.js itself costs per request (see servers/floor-http.ts).
          { name: 'Node.js floor', start: () => startServer('floor-http') },
        ]
      : [
          { name: '@coro/net', start: () => startServer('coro-echo') },
          { name: '@coro/net coroutine', start: () => startServer('coro-echo', 'coroutine') },
          { name: 'node:net', start: () => startServer('net-echo') },
        ];
  const binary = libcoroExample(
    kind === 'http' ? 'coro_http_200_ok_server' : 'coro_tcp_echo_server',
  );
  if (binary !== undefined)
    list.push({ name: 'libcoro', start: () => startBinary(binary, libcoroPorts) });
  return list;
}

/**
 * The same targets for both coro handlers: the async function (a promise per read and write)
 * and the coroutine task on client.co (no promise).
 */
function forBothHandlers(targets: Omit<CompareSpec, 'subject'>[]): CompareSpec[] {
  return ['@coro/net', '@coro/net coroutine'].flatMap((subject) =>
    targets.map((target) => ({ subject, ...target })),
  );
}

function result(
  id: string,
  title: string,
  lowerIsBetter: boolean,
  measurements: Measurement[],
  specs: CompareSpec[],
): ScenarioResult {
  const present = specs.filter((s) => measurements.some((m) => m.name === s.baseline));
  return {
    id,
    group: 'net',
    title,
    lowerIsBetter,
    measurements,
    comparisons: compare(measurements, present),
  };
}

/** One sample: work per server CPU-second (compared), work per wall-clock second, latencies. */
interface Sample {
  readonly perCpuSecond: number;
  readonly perSecond: number;
  // The server's user and system (kernel) CPU time per unit of work, in µs.
  readonly userUs: number;
  readonly systemUs: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  // The load generator's CPU time over the run, in cores (wrk only).
  readonly loadCores?: number;
}

/**
 * Runs `measure` for every contender, `rounds` times in rotating order, each against a server
 * started for it (libcoro's binaries take fixed ports, so one server runs at a time) and warmed
 * up first (JIT and TypeScript loading are not what is measured). `measure` returns the work
 * done and its wall-clock seconds; the server's CPU time over it comes from /proc.
 */
async function rotate(
  ctx: RunContext,
  list: ServerContender[],
  rounds: number,
  warm: (server: ServerProcess) => Promise<unknown>,
  measure: (server: ServerProcess) => Promise<{
    work: number;
    seconds: number;
    p50Ms?: number;
    p99Ms?: number;
    loadCores?: number;
  }>,
  unit: string,
): Promise<Sample[][]> {
  const samples = list.map(() => [] as Sample[]);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < list.length; k++) {
      const index = (k + round) % list.length;
      const contender = list[index]!;
      const server = await contender.start();
      try {
        // The smoke run checks that the scenario works, not its figures: no warm-up, no
        // waiting for the server to go quiet.
        if (!ctx.smoke) {
          await warm(server);
          // The warm-up's tail (closing its connections, accepting ones its load generator gave
          // up on) is not the measured load's work; the measured load's own tail is.
          await settled(server);
        }
        const before = server.cpuTimes();
        const { work, seconds, ...latency } = await measure(server);
        if (!ctx.smoke) await settled(server);
        const after = server.cpuTimes();
        const user = after.user - before.user;
        const system = after.system - before.system;
        const sample = {
          perCpuSecond: work / (user + system),
          perSecond: work / seconds,
          userUs: (user / work) * 1e6,
          systemUs: (system / work) * 1e6,
          ...latency,
        };
        samples[index]!.push(sample);
        ctx.progress(
          `${contender.name}: ${Math.round(sample.perCpuSecond)} ${unit}/CPU-s, ${Math.round(sample.perSecond)} ${unit}/s`,
        );
      } finally {
        await server.stop();
      }
    }
    ctx.progress(`round ${round + 1}/${rounds}`);
  }
  return samples;
}

function measurementsOf(list: ServerContender[], samples: Sample[][], unit: string): Measurement[] {
  return list.map((c, i) => {
    const mine = samples[i]!;
    const detail: Record<string, number> = {
      [`${unit}PerSec`]: median(mine.map((s) => s.perSecond)),
      // Where the server's CPU goes per unit: its own code (user) and the kernel (system).
      userUsPer: median(mine.map((s) => s.userUs)),
      systemUsPer: median(mine.map((s) => s.systemUs)),
    };
    if (mine[0]?.p50Ms !== undefined) {
      detail.p50Ms = median(mine.map((s) => s.p50Ms!));
      detail.p99Ms = median(mine.map((s) => s.p99Ms!));
    }
    // Near 1, wrk kept its one core busy: it offered all the load it could, and the server's
    // figures are those of a server that was not pushed to its own limit.
    if (mine[0]?.loadCores !== undefined) detail.wrkCores = median(mine.map((s) => s.loadCores!));
    return {
      name: c.name,
      value: median(mine.map((s) => s.perCpuSecond)),
      unit: `${unit}/CPU-s`,
      detail,
    };
  });
}

function http(connections: number): Scenario {
  const id = `net/http-200-c${connections}`;
  const title = `HTTP 200 OK under wrk -t1 -c${connections} (requests per server CPU-second, median of rounds)`;
  return {
    id,
    group: 'net',
    title,
    async run(ctx) {
      if (!(await hasWrk())) throw new Error(`${id} needs wrk (apt-get install wrk)`);
      const list = contenders('http');
      const seconds = ctx.quick ? 1 : 5;
      const samples = await rotate(
        ctx,
        list,
        ctx.quick ? 1 : 5,
        (server) => runWrk(server.port, connections, 1),
        async (server) => {
          const figures = await runWrk(server.port, connections, seconds);
          return {
            work: figures.requests,
            seconds,
            p50Ms: figures.p50Ms,
            p99Ms: figures.p99Ms,
            loadCores: figures.loadCores,
          };
        },
        'req',
      );
      return result(
        id,
        title,
        false,
        measurementsOf(list, samples, 'req'),
        forBothHandlers([
          { baseline: 'node:net', target: { min: 1, text: 'at least 1.0× plain node:net' } },
          { baseline: 'node:http', target: { min: 2, text: 'at least 2× node:http' } },
          {
            baseline: 'libcoro',
            target: { min: 0.8, text: "at least 0.8× libcoro's http_200_ok_server" },
          },
        ]),
      );
    },
  };
}

const echo: Scenario = {
  id: 'net/tcp-echo',
  group: 'net',
  title:
    'TCP echo, bench.cpp shape: 100 connections × 1,000 messages of 36 B (messages per server CPU-second)',
  async run(ctx) {
    const list = contenders('echo');
    const connections = 100;
    const messages = ctx.smoke ? 20 : ctx.quick ? 100 : 1000;
    const batches = ctx.smoke || ctx.quick ? 1 : 4;
    const samples = await rotate(
      ctx,
      list,
      ctx.quick ? 1 : 5,
      (server) => echoLoad(server.port, connections, 50),
      async (server) => {
        // The shape several times over in one measurement: one run of it is ~0.5 s of server
        // CPU, and /proc counts CPU time in 10 ms ticks (user and system each), so a single
        // run's figure would carry up to ±4 % of rounding alone.
        let ms = 0;
        for (let batch = 0; batch < batches; batch++) {
          ms += await echoLoad(server.port, connections, messages);
        }
        return { work: batches * connections * messages, seconds: ms / 1000 };
      },
      'msg',
    );
    return result(
      echo.id,
      echo.title,
      false,
      measurementsOf(list, samples, 'msg'),
      forBothHandlers([
        { baseline: 'node:net', target: { min: 1, text: 'at least 1.0× a node:net echo server' } },
        {
          baseline: 'libcoro',
          target: { min: 0.7, text: "at least 0.7× libcoro's tcp_echo_server" },
        },
      ]),
    );
  },
};

const bulk: Scenario = {
  id: 'net/bulk-256mib',
  group: 'net',
  title:
    "256 MiB through an echo server's accepted socket: readSome/writeAll vs 'data' + write() (MB per server CPU-second)",
  async run(ctx) {
    const list = contenders('echo').filter((c) => c.name !== 'libcoro');
    const total = (ctx.smoke ? 8 : ctx.quick ? 32 : 256) << 20;
    const samples = await rotate(
      ctx,
      list,
      ctx.quick ? 1 : 5,
      (server) => bulkLoad(server.port, 16 << 20),
      async (server) => {
        const ms = await bulkLoad(server.port, total);
        return { work: total / 1e6, seconds: ms / 1000 };
      },
      'MB',
    );
    return result(bulk.id, bulk.title, false, measurementsOf(list, samples, 'MB'), [
      {
        subject: '@coro/net',
        baseline: 'node:net',
        target: { min: 1, text: "at least 1.0× 'data' events + write()" },
      },
    ]);
  },
};

function slowReaderRun(mode: 'coro' | 'net', total: number): Promise<number> {
  const file = fileURLToPath(new URL('./net/slow-reader.ts', import.meta.url));
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['--expose-gc', '--conditions=@coro/source', file, mode, String(total)],
      { timeout: 300_000 },
      (error, stdout) => {
        if (error) return reject(error);
        resolve(
          (JSON.parse(stdout.trim().split('\n').at(-1)!) as { peakRssGrowth: number })
            .peakRssGrowth,
        );
      },
    ),
  );
}

const slowReader: Scenario = {
  id: 'net/slow-reader-rss',
  group: 'net',
  title: 'a fast writer pushing 1 GiB to a slow reader: peak RSS growth (MiB, lower is better)',
  async run(ctx) {
    const total = (ctx.smoke ? 32 : ctx.quick ? 64 : 1024) << 20;
    const names = ['@coro/net', 'node:net'] as const;
    const samples: number[][] = [[], []];
    const rounds = ctx.quick ? 1 : 3;
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < 2; k++) {
        const index = (k + round) % 2;
        const growth = await slowReaderRun(index === 0 ? 'coro' : 'net', total);
        samples[index]!.push(growth / 2 ** 20);
        ctx.progress(`${names[index]}: +${(growth / 2 ** 20).toFixed(1)} MiB`);
      }
    }
    const measurements = names.map((name, i) => ({
      name,
      value: median(samples[i]!),
      unit: 'MiB',
    }));
    return result(slowReader.id, slowReader.title, true, measurements, [
      {
        subject: '@coro/net',
        baseline: 'node:net',
        target: { max: 1.5, text: 'about what node:net with backpressure holds' },
      },
    ]);
  },
};

export default [http(100), http(1000), echo, bulk, slowReader];
