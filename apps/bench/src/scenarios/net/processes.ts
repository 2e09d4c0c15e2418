// Server processes for the network scenarios: each server runs in a child process of its own,
// so that the load generator and the server never share a thread.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

/** A running server: its port, the CPU time it used so far, and how to stop it. */
export interface ServerProcess {
  readonly port: number;
  /** User + system CPU seconds of the server process (every thread), from /proc. */
  cpuSeconds(): number;
  /** `cpuSeconds()` in its two parts, from one reading: user and system (kernel) seconds. */
  cpuTimes(): { user: number; system: number };
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

// Linux's USER_HZ: /proc reports CPU time in these ticks.
const ticksPerSecond = 100;

function cpuTimesOf(pid: number | undefined): { user: number; system: number } {
  if (pid === undefined) return { user: Number.NaN, system: Number.NaN };
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 3, utime 14 and stime 15 (1-based, man 5 proc).
  return { user: Number(fields[11]) / ticksPerSecond, system: Number(fields[12]) / ticksPerSecond };
}

function serverProcess(child: ChildProcess, port: number): ServerProcess {
  running.add(child);
  return {
    port,
    cpuSeconds: () => {
      const { user, system } = cpuTimesOf(child.pid);
      return user + system;
    },
    cpuTimes: () => cpuTimesOf(child.pid),
    stop: stopper(child),
  };
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      running.delete(child);
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
}

/**
 * Starts `servers/<name>.ts` on an ephemeral port (`args` follow the port); resolves once it
 * prints "listening PORT".
 */
export function startServer(name: string, ...args: string[]): Promise<ServerProcess> {
  return startServerIn(undefined, {}, name, ...args);
}

/**
 * A server's environment with `NODE_FLAGS` taken out: its comma-separated flags go to the
 * server's `node` itself (for the V8 flags `NODE_OPTIONS` refuses).
 */
export function splitNodeFlags(env: Readonly<Record<string, string>>): {
  flags: string[];
  env: Record<string, string>;
} {
  const { NODE_FLAGS: flags = '', ...rest } = env;
  return { flags: flags.split(/[\s,]+/).filter(Boolean), env: rest };
}

/**
 * `startServer` with the server taken from another checkout's `apps/bench` (`benchDir`;
 * `undefined` for this one) and `env` added to its environment (`NODE_FLAGS` going to its
 * `node` instead: `splitNodeFlags`).
 */
export function startServerIn(
  benchDir: string | undefined,
  env: Readonly<Record<string, string>>,
  name: string,
  ...args: string[]
): Promise<ServerProcess> {
  const file =
    benchDir === undefined
      ? fileURLToPath(new URL(`./servers/${name}.ts`, import.meta.url))
      : join(benchDir, 'src', 'scenarios', 'net', 'servers', `${name}.ts`);
  const { flags: nodeFlags, env: rest } = splitNodeFlags(env);
  const child = spawn(
    process.execPath,
    [...nodeFlags, '--conditions=@coro/source', file, '0', ...args],
    {
      cwd: benchDir,
      env: { ...process.env, ...rest },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const match = /listening (\d+)/.exec(out);
      if (match) resolve(serverProcess(child, Number(match[1])));
    });
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}): ${out}`)));
  });
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts a libcoro example binary (fixed ports) and waits until one of `ports` accepts. */
export async function startBinary(path: string, ports: readonly number[]): Promise<ServerProcess> {
  for (const port of ports) {
    if (await probe(port)) throw new Error(`port ${port} is already in use: cannot start ${path}`);
  }
  const child = spawn(path, [], { stdio: 'ignore' });
  const stop = stopper(child);
  running.add(child);
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${path} exited with ${child.exitCode}`);
    for (const port of ports) if (await probe(port)) return serverProcess(child, port);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`${path} did not listen on ${ports.join(' or ')} within 20 s`);
}

/** wrk's figures for one run. */
export interface WrkResult {
  readonly requests: number;
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /**
   * wrk's own CPU time (user + system) over the run, in cores: 1 means the load generator kept
   * one core busy the whole time, so a faster server could not have been offered more requests.
   */
  readonly loadCores: number;
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}

/**
 * Runs `wrk -t1 -c<connections> -d<seconds>s --latency` against 127.0.0.1:`port`, through bash
 * so that bash's `times` reports wrk's CPU time when it exits (a child's CPU time cannot be read
 * from /proc once it has gone, and Node.js gives no rusage for children).
 */
export function runWrk(port: number, connections: number, seconds: number): Promise<WrkResult> {
  const args = [
    '-t1',
    `-c${connections}`,
    `-d${seconds}s`,
    '--latency',
    `http://127.0.0.1:${port}/`,
  ];
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['-c', 'wrk "$@"; status=$?; times; exit $status', 'wrk', ...args],
      { timeout: (seconds + 30) * 1000 },
      (error, stdout) => {
        if (error) return reject(error);
        const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
        const count = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(stdout);
        const p50 = /\s50%\s+([\d.]+)(us|ms|s)/.exec(stdout);
        const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(stdout);
        const cpu = childCpuSeconds(stdout);
        if (!rps || !count || !p50 || !p99 || cpu === undefined)
          return reject(new Error(`cannot read wrk's output:\n${stdout}`));
        const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(stdout);
        if (errors?.[1]) return reject(new Error(`wrk saw errors: ${errors[0]}`));
        const elapsed =
          count[3] === 'm' ? Number(count[2]) * 60 : toMs(count[2]!, count[3]!) / 1000;
        resolve({
          requests: Number(count[1]),
          requestsPerSec: Number(rps[1]),
          p50Ms: toMs(p50[1]!, p50[2]!),
          p99Ms: toMs(p99[1]!, p99[2]!),
          loadCores: cpu / elapsed,
        });
      },
    );
  });
}

/**
 * The children's user + system seconds from the second line of bash's `times` output
 * (`0m0.420s 0m4.370s`), the last two lines of `stdout`.
 */
export function childCpuSeconds(stdout: string): number | undefined {
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(stdout);
  if (!m) return undefined;
  return Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
}

/** Whether `wrk` can be run. */
export function hasWrk(): Promise<boolean> {
  return new Promise((resolve) =>
    execFile('wrk', ['--version'], (error) => resolve(!error || /wrk/.test(String(error)))),
  );
}
