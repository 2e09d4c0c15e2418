// Thread per core: HTTP 200 OK under wrk -t1 -c100 from @coro/net's serve() (one IoScheduler
// per core, SO_REUSEPORT; and its handoff fallback) against the single-thread coro server, a
// `cluster` node:net server with the same number of workers, and — with `--libcoro BUILD_DIR`
// — libcoro's own examples/coro_http_200_ok_server (one scheduler per core, port 8888).
// Each server runs in a process of its own, contenders take turns round by round, and every
// figure comes with the CPU split: on a 2-core machine wrk takes about one core itself.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, type Measurement, median, type Scenario } from '../harness.ts';
import {
  type LoadFigures,
  runWrk,
  type ServerProcess,
  startBinary,
  startScript,
} from './net-threads/load.ts';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** `--libcoro BUILD_DIR` (or CORO_BENCH_LIBCORO): libcoro's HTTP example in that build. */
function libcoroHttp(argv = process.argv): string | undefined {
  let dir = process.env.CORO_BENCH_LIBCORO || undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--libcoro') dir = argv[i + 1];
    else if (argv[i]!.startsWith('--libcoro=')) dir = argv[i]!.slice('--libcoro='.length);
  }
  if (dir === undefined) return undefined;
  const path = join(dir, 'examples', 'coro_http_200_ok_server');
  if (!existsSync(path)) throw new Error(`--libcoro ${dir}: no ${path}`);
  return path;
}

interface Contender {
  readonly name: string;
  start(): Promise<ServerProcess>;
}

function contenders(threads: number, cpus?: string): Contender[] {
  const tpc = here('./net-threads/tpc-http.ts');
  const list: Contender[] = [
    { name: 'thread-per-core', start: () => startScript(tpc, ['0', String(threads)], cpus) },
    {
      name: 'thread-per-core (handoff)',
      start: () => startScript(tpc, ['0', String(threads), 'handoff'], cpus),
    },
    {
      name: 'coro single-thread',
      start: () => startScript(here('./net/servers/coro-http.ts'), ['0'], cpus),
    },
    {
      name: 'cluster node:net',
      start: () => startScript(here('./net-threads/cluster-http.ts'), ['0', String(threads)], cpus),
    },
  ];
  const libcoro = libcoroHttp();
  if (libcoro !== undefined) {
    list.push({ name: 'libcoro', start: () => startBinary(libcoro, 8888, cpus) });
    // libcoro's own scaling under the same conditions: its example confined to one core.
    if (cpus === undefined && availableParallelism() > 1) {
      list.push({ name: 'libcoro on one core', start: () => startBinary(libcoro, 8888, '0') });
    }
  }
  return list;
}

/**
 * Where wrk and the servers run. Unpinned, the kernel spreads everything (wrk included) over
 * every core. Pinned, wrk gets the last core to itself and every server the others, so a
 * server is measured on a known number of cores (on a 2-core machine: one).
 */
interface Layout {
  readonly suffix: string;
  readonly wrkCpus?: string;
  readonly serverCpus?: string;
  readonly describe: string;
}

function layouts(): Layout[] {
  const n = availableParallelism();
  const unpinned: Layout = { suffix: '', describe: 'unpinned' };
  if (n < 2) return [unpinned];
  return [
    unpinned,
    {
      suffix: '-pinned',
      wrkCpus: String(n - 1),
      serverCpus: n === 2 ? '0' : `0-${n - 2}`,
      describe: `wrk pinned to CPU ${n - 1}, servers to CPU ${n === 2 ? '0' : `0-${n - 2}`}`,
    },
  ];
}

function http(layout: Layout): Scenario {
  const id = `net-threads/http-200-c100${layout.suffix}`;
  const title = `HTTP 200 OK, one thread per core (${availableParallelism()}) under wrk -t1 -c100, ${layout.describe} (requests/s)`;
  return {
    id,
    group: 'net-threads',
    title,
    async run(ctx) {
      const threads = availableParallelism();
      const list = contenders(threads, layout.serverCpus);
      const duration = ctx.quick ? 1 : 5;
      const rounds = ctx.quick ? 1 : 3;
      const samples = list.map(() => [] as LoadFigures[]);
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < list.length; k++) {
          const index = (k + round) % list.length;
          const contender = list[index]!;
          const server = await contender.start();
          try {
            // A short warm-up so the JIT and the connection set-up are out of the figure (not in
            // the smoke run, which checks that the scenario works, not its figures).
            if (!ctx.smoke) await runWrk(server, 100, 1, layout.wrkCpus);
            const figures = await runWrk(server, 100, duration, layout.wrkCpus);
            samples[index]!.push(figures);
            ctx.progress(
              `${contender.name}: ${Math.round(figures.requestsPerSec)} req/s, p99 ${figures.p99Ms} ms, CPU server ${figures.serverCores.toFixed(2)} / wrk ${figures.wrkCores.toFixed(2)} / other jobs ${figures.otherCores.toFixed(2)} / idle ${figures.idleCores.toFixed(2)} cores`,
            );
          } finally {
            await server.stop();
          }
        }
        ctx.progress(`round ${round + 1}/${rounds}`);
      }
      const measurements: Measurement[] = list.map((c, i) => {
        const s = samples[i]!;
        return {
          name: c.name,
          value: median(s.map((f) => f.requestsPerSec)),
          unit: 'req/s',
          detail: {
            p50Ms: median(s.map((f) => f.p50Ms)),
            p99Ms: median(s.map((f) => f.p99Ms)),
            serverCores: median(s.map((f) => f.serverCores)),
            wrkCores: median(s.map((f) => f.wrkCores)),
            otherCores: median(s.map((f) => f.otherCores)),
            idleCores: median(s.map((f) => f.idleCores)),
            // Efficiency, independent of how much CPU the loaded machine gave the server.
            requestsPerCpuSecond: median(s.map((f) => f.requestsPerSec / f.serverCores)),
          },
        };
      });
      const specs = [
        {
          subject: 'thread-per-core',
          baseline: 'coro single-thread',
          target: { min: 1.3, text: "at least 1.3× coro's single-thread server" },
        },
        {
          subject: 'thread-per-core',
          baseline: 'cluster node:net',
          target: { min: 1, text: 'at least the cluster server' },
        },
        { subject: 'thread-per-core (handoff)', baseline: 'thread-per-core' },
        { subject: 'libcoro', baseline: 'libcoro on one core' },
        {
          subject: 'thread-per-core',
          baseline: 'libcoro',
          target: { min: 1, text: "moonshot: parity with libcoro's http_200_ok_server" },
        },
      ].filter((spec) => measurements.some((m) => m.name === spec.baseline));
      return {
        id,
        group: 'net-threads',
        title,
        lowerIsBetter: false,
        measurements,
        comparisons: compare(measurements, specs),
      };
    },
  };
}

export default layouts().map(http);
