// Two network servers measured at the same time, each under its own wrk, for a ratio that the
// machine's mood does not move: a change is measured against the code before it (or one
// variant of a server against another) while both see the same load on the same caches. The
// bench's own rounds measure one server at a time, which is what a user sees, but on a shared
// machine the same server's figure moves ±10 % between rounds; here the same server against
// itself gave 0.97–1.05× (medians of 6–12 rounds).
//
// Usage (from apps/bench):
//   node --conditions=@coro/source src/side-by-side.ts [--rounds N] [--connections N]
//     [--seconds N] [--a-root DIR] [--b-root DIR] "A" "B"
// where A and B are `[NAME=VALUE ...] SERVER [ARGS...]`: a server of
// src/scenarios/net/servers (without `.ts`), its arguments after the port, and environment
// variables for it (`NODE_FLAGS=--a,--b` are flags for its node). `--a-root` / `--b-root`
// take the server from another checkout (a `git worktree` of the commit before, with its own
// `pnpm install`). Prints each round's requests per server CPU-second and the median of the
// rounds' B/A ratios.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './harness.ts';
import { settled } from './scenarios/common/settled.ts';
import { hasWrk, runWrk, type ServerProcess, startServerIn } from './scenarios/net/processes.ts';

/** One side: the checkout, the server, its arguments and environment. */
export interface ServerSpec {
  readonly root: string;
  readonly server: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

const here = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/** Parses `[NAME=VALUE ...] SERVER [ARGS...]`. */
export function parseSpec(text: string, root = here): ServerSpec {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const env: Record<string, string> = {};
  while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!)) {
    const word = words.shift()!;
    const at = word.indexOf('=');
    env[word.slice(0, at)] = word.slice(at + 1);
  }
  const server = words.shift();
  if (server === undefined || !/^[\w-]+$/.test(server)) {
    throw new Error(`expected "[NAME=VALUE ...] SERVER [ARGS...]", got "${text}"`);
  }
  return { root, server, args: words, env };
}

function start(spec: ServerSpec): Promise<ServerProcess> {
  return startServerIn(join(spec.root, 'apps', 'bench'), spec.env, spec.server, ...spec.args);
}

/** One round: both servers up, warmed and measured at once; requests per CPU-second of each. */
async function round(
  a: ServerSpec,
  b: ServerSpec,
  aFirst: boolean,
  connections: number,
  seconds: number,
): Promise<[number, number]> {
  const [first, second] = aFirst ? [a, b] : [b, a];
  const s1 = await start(first);
  const s2 = await start(second).catch(async (error: unknown) => {
    await s1.stop();
    throw error;
  });
  try {
    await Promise.all([runWrk(s1.port, connections, 1), runWrk(s2.port, connections, 1)]);
    await Promise.all([settled(s1), settled(s2)]);
    const c1 = s1.cpuSeconds();
    const c2 = s2.cpuSeconds();
    const [r1, r2] = await Promise.all([
      runWrk(s1.port, connections, seconds),
      runWrk(s2.port, connections, seconds),
    ]);
    await Promise.all([settled(s1), settled(s2)]);
    const e1 = r1.requests / (s1.cpuSeconds() - c1);
    const e2 = r2.requests / (s2.cpuSeconds() - c2);
    return aFirst ? [e1, e2] : [e2, e1];
  } finally {
    await Promise.all([s1.stop(), s2.stop()]);
  }
}

async function main(argv: string[]): Promise<void> {
  let rounds = 10;
  let connections = 1000;
  let seconds = 3;
  let aRoot = here;
  let bRoot = here;
  const specs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--rounds') rounds = Number(value());
    else if (arg === '--connections') connections = Number(value());
    else if (arg === '--seconds') seconds = Number(value());
    else if (arg === '--a-root') aRoot = resolve(value());
    else if (arg === '--b-root') bRoot = resolve(value());
    else specs.push(arg);
  }
  if (specs.length !== 2) throw new Error('give two servers: "A" "B" (see the usage at the top)');
  for (const n of [rounds, connections, seconds]) {
    if (!Number.isInteger(n) || n < 1)
      throw new Error('--rounds, --connections and --seconds are positive integers');
  }
  if (!(await hasWrk())) throw new Error('side-by-side needs wrk (apt-get install wrk)');
  const a = parseSpec(specs[0]!, aRoot);
  const b = parseSpec(specs[1]!, bRoot);
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const [ea, eb] = await round(a, b, r % 2 === 0, connections, seconds);
    ratios.push(eb / ea);
    console.log(
      `round ${r + 1}: A ${Math.round(ea)} req/CPU-s, B ${Math.round(eb)} req/CPU-s, B/A ${(eb / ea).toFixed(3)}`,
    );
  }
  const low = Math.min(...ratios).toFixed(3);
  const high = Math.max(...ratios).toFixed(3);
  console.log(`B/A median ${median(ratios).toFixed(3)} over ${rounds} rounds (${low}–${high})`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
