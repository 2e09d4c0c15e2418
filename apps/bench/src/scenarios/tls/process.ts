// A TLS echo server in a child process of its own, with the CPU time it has used (from /proc),
// as the net group measures its servers.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A running server: its port, its CPU seconds so far, and how to stop it. */
export interface TlsServerProcess {
  readonly port: number;
  cpuSeconds(): number;
  stop(): Promise<void>;
}

// Linux's USER_HZ: /proc reports CPU time in these ticks.
const ticksPerSecond = 100;

function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Starts `servers/<name>.ts PORT CERT KEY`; resolves once it prints "listening PORT". */
export function startTlsServer(name: string, cert: string, key: string): Promise<TlsServerProcess> {
  const file = fileURLToPath(new URL(`./servers/${name}.ts`, import.meta.url));
  const child = spawn(process.execPath, ['--conditions=@coro/source', file, '0', cert, key], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const match = /listening (\d+)/.exec(out);
      if (!match) return;
      resolve({
        port: Number(match[1]),
        cpuSeconds: () => cpuSecondsOf(child.pid!),
        stop: () =>
          new Promise((done) => {
            process.removeListener('exit', kill);
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            kill();
          }),
      });
    });
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}): ${out}`)));
  });
}
