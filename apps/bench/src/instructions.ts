// What one HTTP request costs a server in instructions and cache misses, counted by valgrind's
// callgrind with its cache model: the same code under the same load gives the same counts, so a
// change of a few per cent shows, where requests per CPU-second under wrk move ±5–10 % between
// rounds on a shared machine (side-by-side.ts). The model is not the machine (32 KiB I1/D1, a
// 2 MiB last level, no kernel), but at a thousand connections what a request costs beyond the
// kernel is mostly the cold objects and code it touches, which is what it counts.
//
// Usage (from apps/bench; needs valgrind, e.g. `apt-get install valgrind`):
//   node --conditions=@coro/source src/instructions.ts [--connections N] [--warm N]
//     [--requests N] [--a-root DIR] [--b-root DIR] [--keep DIR] "A" ["B"]
// with A and B as in side-by-side.ts (`[NAME=VALUE ...] SERVER [ARGS...]`). Each server runs
// alone under callgrind; this process opens N kept-alive connections to it (1000), sends
// `--warm` requests on each (20: the JIT settles), zeroes the counters, sends `--requests` more
// on each (20), and reads the counters. Prints per request: instructions, I1 misses, D1 misses,
// last-level misses and an estimate of cycles (instructions + 10 per L1 miss + 80 per LL miss),
// and B/A for each. `--keep DIR` keeps each server's dump there (DIR/A.out, DIR/B.out) for
// `callgrind_annotate --auto=no DIR/A.out` (JIT code by name, through the perf maps).
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSpec, type ServerSpec } from './side-by-side.ts';

interface Counts {
  readonly instructions: number;
  readonly i1Misses: number;
  readonly d1Misses: number;
  readonly llMisses: number;
  readonly cycles: number;
}

/** Opens `n` connections to 127.0.0.1:`port`. */
async function open(port: number, n: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  // A few at a time: a server under valgrind accepts slowly.
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(
      Array.from(
        { length: Math.min(50, n - i) },
        () =>
          new Promise<Socket>((resolve, reject) => {
            const socket = connect({ port, host: '127.0.0.1', noDelay: true }, () =>
              resolve(socket),
            );
            socket.once('error', reject);
          }),
      ),
    );
    sockets.push(...batch);
  }
  return sockets;
}

/** Sends `count` requests on every socket, one at a time each, all sockets at once. */
function round(sockets: readonly Socket[], port: number, count: number): Promise<void> {
  const request = Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  return Promise.all(
    sockets.map(
      (socket) =>
        new Promise<void>((resolve, reject) => {
          let left = count;
          let matched = 0;
          const timer = setTimeout(() => reject(new Error('no response within 300 s')), 300_000);
          const onData = (bytes: Buffer): void => {
            for (const byte of bytes) {
              if (byte === (matched % 2 === 0 ? 13 : 10)) matched++;
              else matched = byte === 13 ? 1 : 0;
              if (matched !== 4) continue;
              matched = 0;
              if (--left > 0) {
                socket.write(request);
                continue;
              }
              socket.off('data', onData);
              clearTimeout(timer);
              resolve();
            }
          };
          socket.on('data', onData);
          socket.write(request);
        }),
    ),
  ).then(() => undefined);
}

/** Runs `spec` under callgrind and counts `requests` requests on each of `connections`. */
async function measure(
  spec: ServerSpec,
  connections: number,
  warm: number,
  requests: number,
  keep: string | undefined,
): Promise<Counts> {
  const dir = mkdtempSync(join(tmpdir(), 'coro-callgrind-'));
  const file = join(spec.root, 'apps', 'bench', 'src', 'scenarios', 'net', 'servers');
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--cache-sim=yes',
      '--I1=32768,8,64',
      '--D1=32768,8,64',
      '--LL=2097152,16,64',
      // V8 writes the machine code it runs: valgrind must see every such write.
      '--smc-check=all-non-file',
      `--callgrind-out-file=${join(dir, 'out.%p')}`,
      process.execPath,
      '--conditions=@coro/source',
      join(file, `${spec.server}.ts`),
      '0',
      ...spec.args,
    ],
    {
      cwd: join(spec.root, 'apps', 'bench'),
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const match = /listening (\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`${spec.server} exited (${code}): ${out}`)));
    });
    const sockets = await open(port, connections);
    await round(sockets, port, warm);
    execFileSync('callgrind_control', ['-z', String(child.pid)], { stdio: 'ignore' });
    await round(sockets, port, requests);
    execFileSync('callgrind_control', ['-d', String(child.pid)], { stdio: 'ignore' });
    for (const socket of sockets) socket.destroy();
    // The dump is written by the server's own thread once it sees the request.
    let summary: number[] | undefined;
    for (let tries = 0; tries < 200 && summary === undefined; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (const name of readdirSync(dir).filter((n) => /\.\d+$/.test(n))) {
        const line = /^summary: (.+)$/m.exec(readFileSync(join(dir, name), 'utf8'));
        if (line) {
          summary = line[1]!.trim().split(/\s+/).map(Number);
          if (keep !== undefined) copyFileSync(join(dir, name), keep);
        }
      }
    }
    if (summary === undefined) throw new Error('callgrind wrote no dump');
    // Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw
    const n = connections * requests;
    const [ir = 0, , , i1 = 0, d1r = 0, d1w = 0, ilm = 0, dlr = 0, dlw = 0] = summary;
    const ll = ilm + dlr + dlw;
    return {
      instructions: ir / n,
      i1Misses: i1 / n,
      d1Misses: (d1r + d1w) / n,
      llMisses: ll / n,
      cycles: (ir + 10 * (i1 + d1r + d1w) + 80 * ll) / n,
    };
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

function option(name: string, fallback: number, argv: string[]): number {
  const at = argv.indexOf(name);
  if (at === -1) return fallback;
  const value = Number(argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} needs an integer ≥ 1`);
  argv.splice(at, 2);
  return value;
}

function root(name: string, argv: string[]): string | undefined {
  const at = argv.indexOf(name);
  if (at === -1) return undefined;
  const value = argv[at + 1];
  argv.splice(at, 2);
  return value;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const connections = option('--connections', 1000, argv);
  const warm = option('--warm', 20, argv);
  const requests = option('--requests', 20, argv);
  const aRoot = root('--a-root', argv);
  const bRoot = root('--b-root', argv);
  const keep = root('--keep', argv);
  if (keep !== undefined) mkdirSync(keep, { recursive: true });
  if (argv.length < 1 || argv.length > 2) {
    throw new Error('usage: instructions.ts [options] "A" ["B"] (see the comment at the top)');
  }
  const specs = argv.map((text, i) => {
    const spec = parseSpec(text);
    const other = i === 0 ? aRoot : bRoot;
    return other === undefined ? spec : { ...spec, root: other };
  });
  const results: Counts[] = [];
  for (const [i, spec] of specs.entries()) {
    const counts = await measure(
      spec,
      connections,
      warm,
      requests,
      keep === undefined ? undefined : join(keep, i === 0 ? 'A.out' : 'B.out'),
    );
    results.push(counts);
    console.log(
      `${i === 0 ? 'A' : 'B'} ${argv[i]}: ${counts.instructions.toFixed(0)} instructions, ` +
        `${counts.i1Misses.toFixed(0)} I1 misses, ${counts.d1Misses.toFixed(1)} D1 misses, ` +
        `${counts.llMisses.toFixed(1)} LL misses, ~${counts.cycles.toFixed(0)} cycles per request`,
    );
  }
  const [a, b] = results;
  if (a !== undefined && b !== undefined) {
    const ratio = (key: keyof Counts) => (b[key] / a[key]).toFixed(3);
    console.log(
      `B/A: instructions ${ratio('instructions')}, I1 misses ${ratio('i1Misses')}, ` +
        `D1 misses ${ratio('d1Misses')}, LL misses ${ratio('llMisses')}, cycles ${ratio('cycles')}`,
    );
  }
}

await main();
