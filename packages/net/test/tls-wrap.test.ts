// Client.from over a tls.TLSSocket: the data path is an adapter over any net.Socket, which is
// what @coro/tls builds on. The certificate is made with openssl for the test.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConnectionOptions, connect, createServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tcp } from '../src/index.ts';
import { echo, makeScheduler, pattern, readAll, track } from './utils/net.ts';

let dir = '';
let key: Buffer;
let cert: Buffer;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'coro-net-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-days',
      '1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  key = readFileSync(join(dir, 'key.pem'));
  cert = readFileSync(join(dir, 'cert.pem'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tcp.Client.from over TLS sockets', () => {
  it('reads, writes, half-closes and reports end of stream over TLS, both ends wrapped', async () => {
    const scheduler = makeScheduler();
    const accepted: tcp.Client[] = [];
    const server = createServer({ key, cert, allowHalfOpen: true }, (socket) => {
      accepted.push(track(tcp.Client.from(scheduler, socket)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    track({ close: () => server.close() });
    const port = (server.address() as { port: number }).port;
    // allowHalfOpen is a documented tls.connect option that @types/node does not list.
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca: cert,
      servername: 'localhost',
      ...({ allowHalfOpen: true } as ConnectionOptions),
    });
    const client = track(tcp.Client.from(scheduler, socket));
    expect(client.readMode).toBe('readable');
    expect(client.writeMode).toBe('stream');
    // Writes before the handshake completes wait for it.
    const data = pattern(3 << 20, 9);
    const writing = client.writeAll(data, { timeout: 60_000 });
    while (accepted.length === 0) await scheduler.yieldFor(5);
    const serving = echo(accepted[0]!);
    const [[written], got] = await Promise.all([writing, readAll(client, data.length)]);
    expect(written.isOk()).toBe(true);
    expect(got.bytes.equals(data)).toBe(true);
    expect(client.peerAddress?.port).toBe(port);
    client.shutdown();
    await serving;
    const [end] = await client.readSome(Buffer.alloc(8), { timeout: 30_000 });
    expect(end.kind).toBe('closed');
    await client[Symbol.asyncDispose]();
    expect(socket.destroyed).toBe(true);
  });

  it('turns a failed handshake into a status, never an uncaught error', async () => {
    const scheduler = makeScheduler();
    const server = createServer({ key, cert }, () => {});
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    track({ close: () => server.close() });
    const port = (server.address() as { port: number }).port;
    // No CA given: the self-signed certificate fails verification.
    const client = track(
      tcp.Client.from(scheduler, connect({ host: '127.0.0.1', port, servername: 'localhost' })),
    );
    const [status] = await client.readSome(Buffer.alloc(8), { timeout: 30_000 });
    expect(status.isOk()).toBe(false);
    expect(status.kind).not.toBe('timeout');
    expect(status.errno ?? '').toMatch(/CERT|SELF_SIGNED|DEPTH/);
  });
});
