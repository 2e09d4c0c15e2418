// http_200_ok_server_threads in --forever mode against curl, then SIGTERM: the supervisor
// shuts the threads down gracefully and the process exits by itself.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { srcDir } from '../src/catalog.ts';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('curl', ['-sS', '--max-time', '20', ...args], (error, out) =>
      error ? reject(error) : resolve(out),
    ),
  );
}

describe('http_200_ok_server_threads --forever', () => {
  it('answers curl on keep-alive and fresh connections, and exits cleanly on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@coro/source',
        join(srcDir, 'http_200_ok_server_threads.ts'),
        ...['--port', '0', '--forever', '--threads', '2'],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let out = '';
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const match = /listening on 127\.0\.0\.1:(\d+) \(2 threads, (reusePort|handoff)\)/.exec(
          out,
        );
        if (match) resolve(Number(match[1]));
      });
      void exited.then((code) =>
        reject(new Error(`exited (${code}) before listening: ${out}${err}`)),
      );
    });
    const url = `http://127.0.0.1:${port}/`;
    // Three URLs in one curl: one keep-alive connection, three requests.
    const stdout = await curl(['-i', url, url, url]);
    const statusLines = stdout.split('\r\n').filter((line) => line.startsWith('HTTP/'));
    expect(statusLines).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
    // Separate connections, spread over the threads by the kernel.
    for (let i = 0; i < 10; i++) {
      expect(await curl(['-o', '/dev/null', '-w', '%{http_code}', url])).toBe('200');
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err).toBe('');
  });
});
