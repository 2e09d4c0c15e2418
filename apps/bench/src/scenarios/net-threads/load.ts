// Servers and wrk for the thread-per-core scenario, with the CPU each side used: on a machine
// with few cores the load generator competes with the server, so the figures come with the
// CPU split (server cores, wrk cores) measured from /proc and from the shell's `times`.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';

/** A running server: its port, its process id, and how to stop it. */
export interface ServerProcess {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
}

/** Starts `node file ...args`; resolves once it prints "listening PORT". */
export function startScript(
  file: string,
  args: readonly string[],
  taskset?: string,
): Promise<ServerProcess> {
  const node = [process.execPath, '--conditions=@coro/source', file, ...args];
  const [command, ...rest] = taskset === undefined ? node : ['taskset', '-c', taskset, ...node];
  const child = spawn(command!, rest, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const match = /listening (\d+)/.exec(out);
      if (match) resolve({ port: Number(match[1]), pid: child.pid!, stop: stopper(child) });
    });
    child.once('exit', (code) => reject(new Error(`${file} exited (${code}): ${out}`)));
  });
}

let ticks: number | undefined;
function clockTicks(): number {
  ticks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticks;
}

/** CPU seconds (user + system) used so far by `pid`, its threads and its child processes. */
export function treeCpuSeconds(pid: number): number {
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces), counted from field 3.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / clockTicks();
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        if (children !== '') stack.push(...children.split(' ').map(Number));
      }
    } catch {
      // The process is gone.
    }
  }
  return total;
}

/** One wrk run: requests/s, latency percentiles, and the cores each side kept busy. */
export interface LoadFigures {
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly serverCores: number;
  readonly wrkCores: number;
  /** Cores the whole machine left idle over the run (from /proc/stat): what more threads could still get. */
  readonly idleCores: number;
  /** Cores busy with anything else than the server and wrk (other jobs on a shared machine). */
  readonly otherCores: number;
}

/** The machine's idle and busy CPU seconds so far, over every core (the `cpu` line of /proc/stat). */
function machineCpuSeconds(): { idle: number; busy: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    // user nice system idle iowait irq softirq steal
    const idle = ticks[3]! + ticks[4]!;
    const busy = ticks.reduce((a, b) => a + b, 0) - idle;
    return { idle: idle / clockTicks(), busy: busy / clockTicks() };
  } catch {
    return { idle: Number.NaN, busy: Number.NaN };
  }
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}

function seconds(text: string): number {
  const match = /(\d+)m([\d.]+)s/.exec(text);
  return match === null ? 0 : Number(match[1]) * 60 + Number(match[2]);
}

/**
 * Runs `wrk -t1 -c<connections> -d<duration>s --latency` against the server (through `sh`, whose
 * `times` reports wrk's CPU), sampling the server's CPU from /proc before and after.
 */
export function runWrk(
  server: ServerProcess,
  connections: number,
  duration: number,
  taskset?: string,
): Promise<LoadFigures> {
  const wrk = ['wrk', '-t1', `-c${connections}`, `-d${duration}s`, '--latency'];
  const pinned = taskset === undefined ? wrk : ['taskset', '-c', taskset, ...wrk];
  const script = `${pinned.join(' ')} "$1" && times`;
  const before = treeCpuSeconds(server.pid);
  const machineBefore = machineCpuSeconds();
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      'sh',
      ['-c', script, 'sh', `http://127.0.0.1:${server.port}/`],
      { timeout: (duration + 30) * 1000 },
      (error, stdout) => {
        const wall = (performance.now() - started) / 1000;
        const serverCpu = treeCpuSeconds(server.pid) - before;
        const machineAfter = machineCpuSeconds();
        if (error) return reject(error);
        const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
        const p50 = /\s50%\s+([\d.]+)(us|ms|s)/.exec(stdout);
        const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(stdout);
        if (!rps || !p50 || !p99) return reject(new Error(`cannot read wrk's output:\n${stdout}`));
        const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
        if (non2xx) return reject(new Error(`wrk saw errors: ${non2xx[0]}`));
        // `times` prints the shell's times, then its children's: "0m1.20s 0m0.40s".
        const lines = stdout.trim().split('\n');
        const [user, system] = (lines.at(-1) ?? '').split(/\s+/);
        const wrkCpu = seconds(user ?? '') + seconds(system ?? '');
        const busy = machineAfter.busy - machineBefore.busy;
        resolve({
          requestsPerSec: Number(rps[1]),
          p50Ms: toMs(p50[1]!, p50[2]!),
          p99Ms: toMs(p99[1]!, p99[2]!),
          serverCores: serverCpu / wall,
          wrkCores: wrkCpu / wall,
          idleCores: (machineAfter.idle - machineBefore.idle) / wall,
          otherCores: Math.max(0, busy - serverCpu - wrkCpu) / wall,
        });
      },
    );
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts a libcoro example binary (it listens on a fixed port) and waits until it accepts;
 * `taskset` (a CPU list) pins it.
 */
export async function startBinary(
  path: string,
  port: number,
  taskset?: string,
): Promise<ServerProcess> {
  if (await accepts(port)) throw new Error(`port ${port} is already in use: cannot start ${path}`);
  const child =
    taskset === undefined
      ? spawn(path, [], { stdio: 'ignore' })
      : spawn('taskset', ['-c', taskset, path], { stdio: 'ignore' });
  const stop = stopper(child);
  const deadline = performance.now() + 20_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${path} exited with ${child.exitCode}`);
    if (await accepts(port)) return { port, pid: child.pid!, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`${path} did not listen on ${port} within 20 s`);
}
