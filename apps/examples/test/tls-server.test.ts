// The TLS echo example in `--forever` mode, against a plain node:tls client that trusts the
// CA the example printed. The server is killed at the end (SIGTERM: it removes its keys).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { connect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { srcDir } from '../src/catalog.ts';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

describe('coro_tls_echo_server --forever', () => {
  it('echoes for a node:tls client that trusts the printed CA', async () => {
    const child = spawn(
      process.execPath,
      ['--conditions=@coro/source', join(srcDir, 'tls_echo_server.ts'), '--port', '0', '--forever'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(child);
    const { port, ca } = await new Promise<{ port: number; ca: string }>((resolve, reject) => {
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const match = /listening on 127\.0\.0\.1:(\d+) \(CA: (.+)\)/.exec(out);
        if (match) resolve({ port: Number(match[1]), ca: match[2]! });
      });
      child.once('exit', (code) => reject(new Error(`exited (${code}) before listening: ${out}`)));
    });
    const socket = connect({
      port,
      host: '127.0.0.1',
      ca: readFileSync(ca),
      servername: 'localhost',
      ALPNProtocols: ['coro-echo'],
    });
    await once(socket, 'secureConnect');
    expect(socket.alpnProtocol).toBe('coro-echo');
    socket.write('over tls');
    let got = '';
    for await (const chunk of socket) {
      got += chunk.toString();
      if (got.length >= 8) break;
    }
    expect(got).toBe('over tls');
    socket.destroy();
    // Killed as a user stops it, it takes its certificates and private keys with it.
    expect(existsSync(dirname(ca))).toBe(true);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [, signal] = await exited;
    expect(signal).toBe('SIGTERM');
    expect(existsSync(dirname(ca))).toBe(false);
  });
});
