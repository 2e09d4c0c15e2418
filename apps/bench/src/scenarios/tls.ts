// @coro/tls against plain node:tls, both as TLS echo servers in child processes of their own,
// under the same node:tls clients: full handshakes per second, 64 MiB of bulk data echoed, and
// libcoro bench.cpp's echo shape (36-byte messages, one at a time) over TLS.
//
// As in the net group, the figure compared is work per second of the server's own CPU time
// (from /proc): wall-clock rates swing by several times on a shared machine, while the CPU a
// server spends per handshake or per byte hardly moves. Wall-clock rates are in each detail.
import { makeTestCertificates, type TestCertificates } from '@coro/test-certs';
import type { Measurement, RunContext, Scenario, ScenarioResult } from '../harness.ts';
import { compare, median } from '../harness.ts';
import { settled } from './common/settled.ts';
import { bulkLoad, echoLoad, handshakeLoad } from './tls/clients.ts';
import { startTlsServer } from './tls/process.ts';

const contenders = [
  { name: '@coro/tls', server: 'coro-tls-echo' },
  { name: 'node:tls', server: 'node-tls-echo' },
] as const;

let certificates: TestCertificates | undefined;
function certs(): TestCertificates {
  if (certificates === undefined) {
    certificates = makeTestCertificates();
    process.once('exit', () => certificates?.cleanup());
  }
  return certificates;
}

interface Sample {
  perCpuSecond: number;
  perSecond: number;
}

/**
 * Runs `load` against a fresh server of each contender, `rounds` times in rotating order; each
 * sample is `work` units per server CPU second and per wall-clock second. Each server is
 * warmed up first with `warm` (a smaller load), so that a sample measures optimised code
 * rather than the JIT compiling it.
 */
async function measure(
  ctx: RunContext,
  rounds: number,
  work: number,
  load: (port: number, ca: string) => Promise<number>,
  warm: (port: number, ca: string) => Promise<number>,
): Promise<Sample[][]> {
  const { server, ca } = certs();
  const samples = contenders.map(() => [] as Sample[]);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const index = (k + round) % contenders.length;
      const running = await startTlsServer(
        contenders[index]!.server,
        server.certPath,
        server.keyPath,
      );
      try {
        // The smoke run checks that the scenario works, not its figures: no warm-up, no
        // waiting for the server to go quiet.
        if (!ctx.smoke) {
          await warm(running.port, ca.cert);
          await settled(running);
        }
        const cpuBefore = running.cpuSeconds();
        const ms = await load(running.port, ca.cert);
        if (!ctx.smoke) await settled(running);
        const cpu = running.cpuSeconds() - cpuBefore;
        samples[index]!.push({
          perCpuSecond: work / Math.max(cpu, 0.01),
          perSecond: work / (ms / 1000),
        });
      } finally {
        await running.stop();
      }
    }
    ctx.progress(`round ${round + 1}/${rounds}`);
  }
  return samples;
}

function result(
  id: string,
  title: string,
  unit: string,
  samples: Sample[][],
  target: { min: number; text: string },
): ScenarioResult {
  const measurements: Measurement[] = contenders.map((c, i) => ({
    name: c.name,
    value: median(samples[i]!.map((s) => s.perCpuSecond)),
    unit,
    detail: { [`${unit} (wall clock)`]: median(samples[i]!.map((s) => s.perSecond)) },
  }));
  return {
    id,
    group: 'tls',
    title,
    lowerIsBetter: false,
    measurements,
    comparisons: compare(measurements, [{ subject: '@coro/tls', baseline: 'node:tls', target }]),
  };
}

const handshakes: Scenario = {
  id: 'tls/handshakes',
  group: 'tls',
  title:
    'full TLS 1.3 handshakes (P-256), 16 in flight, each echoing 1 byte (handshakes per server CPU s)',
  async run(ctx) {
    // 2,000 handshakes are ~3 s of a server's CPU: /proc counts CPU in 10 ms ticks, and 500
    // (what this measured before) left a tick's error plus whatever JIT tier-up the 50-handshake
    // warm-up had not finished inside the sample (rounds of one run ranged 0.81–0.99×).
    const total = ctx.smoke ? 32 : ctx.quick ? 100 : 2000;
    const samples = await measure(
      ctx,
      ctx.quick ? 1 : 5,
      total,
      (port, ca) => handshakeLoad(port, ca, total, 16),
      (port, ca) => handshakeLoad(port, ca, ctx.quick ? 50 : 300, 16),
    );
    return result(handshakes.id, handshakes.title, 'handshakes/s', samples, {
      min: 0.9,
      text: 'at least 0.9× plain node:tls',
    });
  },
};

const bulk: Scenario = {
  id: 'tls/bulk-64mib',
  group: 'tls',
  title:
    '64 MiB echoed through a TLS server: readSome/writeAll vs data events + write() (MB per server CPU s)',
  async run(ctx) {
    const total = (ctx.smoke ? 4 : ctx.quick ? 16 : 64) << 20;
    const samples = await measure(
      ctx,
      ctx.quick ? 1 : 5,
      (2 * total) / 1e6,
      (port, ca) => bulkLoad(port, ca, total),
      (port, ca) => bulkLoad(port, ca, 16 << 20),
    );
    return result(bulk.id, bulk.title, 'MB/s', samples, {
      min: 0.9,
      text: 'at least 0.9× plain node:tls',
    });
  },
};

const echo: Scenario = {
  id: 'tls/echo',
  group: 'tls',
  title:
    "bench.cpp's echo over TLS: 100 connections × 1,000 messages of 36 bytes (messages per server CPU s; libcoro's TLS echo did 27–40k/s on this machine kind)",
  async run(ctx) {
    const messages = ctx.smoke ? 20 : ctx.quick ? 100 : 1000;
    const samples = await measure(
      ctx,
      ctx.quick ? 1 : 5,
      100 * messages,
      (port, ca) => echoLoad(port, ca, 100, messages),
      (port, ca) => echoLoad(port, ca, 20, 200),
    );
    return result(echo.id, echo.title, 'messages/s', samples, {
      min: 0.9,
      text: 'at least 0.9× plain node:tls',
    });
  },
};

export default [handshakes, bulk, echo];
