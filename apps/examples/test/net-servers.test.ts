// The network servers in `--forever` mode, against real clients: curl for the HTTP server
// (as the issue asks), a raw node:net client for the echo server. Both are killed at the end.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { srcDir } from '../src/catalog.ts';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** Starts an example with `--port 0 --forever` and returns the port it printed. */
function startForever(name: string): Promise<number> {
  const child = spawn(
    process.execPath,
    ['--conditions=@coro/source', join(srcDir, `${name}.ts`), '--port', '0', '--forever'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) =>
      reject(new Error(`${name} exited (${code}) before listening: ${out}`)),
    );
  });
}

describe('network examples in --forever mode', () => {
  it('coro_http_200_ok_server answers curl, keep-alive and pipelined', async () => {
    const port = await startForever('http_200_ok_server');
    const url = `http://127.0.0.1:${port}/`;
    // Three URLs in one curl: one keep-alive connection, three requests.
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile('curl', ['-sS', '-i', '--max-time', '20', url, url, url], (error, out) =>
        error ? reject(error) : resolve(out),
      ),
    );
    const statusLines = stdout.split('\r\n').filter((line) => line.startsWith('HTTP/'));
    expect(statusLines).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
    expect(stdout).toContain('Content-Length: 0');
    // Two requests in one segment get two responses.
    const socket = connect(port, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: b\r\n\r\n');
    let got = '';
    await new Promise<void>((resolve, reject) => {
      socket.on('data', (d) => {
        got += d.toString();
        if (got.split('HTTP/1.1 200 OK').length === 3) resolve();
      });
      socket.on('error', reject);
    });
    socket.destroy();
  });

  it('coro_tcp_echo_server echoes for any client', async () => {
    const port = await startForever('tcp_echo_server');
    const socket = connect(port, '127.0.0.1');
    const message = Buffer.alloc(100_000, 'e');
    socket.end(message);
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      socket.on('data', (d) => chunks.push(d));
      socket.on('end', () => resolve());
      socket.on('error', reject);
    });
    expect(Buffer.concat(chunks).equals(message)).toBe(true);
  });
});
