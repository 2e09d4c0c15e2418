// The data path of tls.Client (and of accepted clients): the tcp.Client surface over TLS.
import { createHash, randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { IoScheduler, SchedulerShutdownError } from '@coro/io';
import { makeTestCertificates, type TestCertificates } from '@coro/test-certs';
import { InvalidArgumentError, StopSource, task } from '@coro/task';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Context, tls } from '../src/index.ts';
import { closeAll, nodeTlsServer } from './utils/peers.ts';

let certs: TestCertificates;
let serverContext: Context;
let trusting: Context;
const scheduler = new IoScheduler();
const cleanups: (() => void)[] = [];
beforeAll(() => {
  certs = makeTestCertificates();
  serverContext = new Context({ cert: certs.server.cert, key: certs.server.key });
  trusting = new Context({ ca: certs.ca.cert });
});
afterAll(() => certs.cleanup());
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
  closeAll();
});

/** A connected coro client and the coro server's side of the same connection. */
async function pair(clientContext = trusting, serverOptions: Partial<tls.ServerOptions> = {}) {
  const server = new tls.Server(scheduler, {
    address: '127.0.0.1',
    context: serverContext,
    ...serverOptions,
  });
  cleanups.push(() => server.close());
  expect((await server.ready()).kind).toBe('ok');
  const client = new tls.Client(
    scheduler,
    { address: '127.0.0.1', port: server.port },
    clientContext,
  );
  cleanups.push(() => client.close());
  const [status, accepted] = await Promise.all([
    client.connect({ timeout: 15_000 }),
    server.accept({ timeout: 15_000 }),
  ]);
  expect(status).toBe('connected');
  if (!accepted.ok) throw new Error(`accept failed: ${accepted.error}`);
  const peer = accepted.value;
  cleanups.push(() => peer.close());
  return { client, peer, server };
}

const text = (view: Uint8Array) => Buffer.from(view).toString();

describe('tls.Client data path', () => {
  it('refuses a bad poll op before connecting, as after', () => {
    const client = new tls.Client(scheduler, { address: '127.0.0.1', port: 9 }, trusting);
    cleanups.push(() => client.close());
    for (const op of ['sideways', '', undefined]) {
      expect(() => client.poll(op as never)).toThrow(InvalidArgumentError);
    }
  });

  it('connect() after close(), reset() or dispose resolves cancelled and opens no socket', async () => {
    let connections = 0;
    const { createServer } = await import('node:net');
    const listener = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => listener.close());
    const port = (listener.address() as { port: number }).port;
    const ends: [string, (c: tls.Client) => unknown][] = [
      ['close', (c) => c.close()],
      ['reset', (c) => c.reset()],
      ['dispose', (c) => c[Symbol.asyncDispose]()],
    ];
    for (const [name, end] of ends) {
      const client = new tls.Client(scheduler, { address: '127.0.0.1', port }, trusting);
      cleanups.push(() => client.close());
      await end(client);
      expect(await client.connect({ timeout: 2000 }), name).toBe('cancelled');
      expect(client.failure?.status, name).toBe('cancelled');
      expect(client.isConnected, name).toBe(false);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(connections).toBe(0);
  });

  it('connect() with a timeout on a scheduler that is shut down throws at the call, opening nothing', async () => {
    const stopped = new IoScheduler();
    await stopped.shutdown();
    const client = new tls.Client(stopped, { address: '127.0.0.1', port: 9 }, trusting);
    cleanups.push(() => client.close());
    expect(() => client.connect({ timeout: 100 })).toThrow(SchedulerShutdownError);
    // Nothing was left pending: a second call is no TlsBusyError.
    expect(() => client.connect({ timeout: 100 })).toThrow(SchedulerShutdownError);
    expect(client.socket).toBeUndefined();
  });

  it('echoes 1 byte to 1 MiB both ways with readExact/writeAll', async () => {
    const { client, peer } = await pair();
    for (const size of [1, 100, 16_384, 16_385, 1 << 20]) {
      const data = randomBytes(size);
      const [[w], [r, got]] = await Promise.all([
        client.writeAll(data, { timeout: 30_000 }),
        peer.readExact(Buffer.alloc(size), { timeout: 30_000 }),
      ]);
      expect(w.kind).toBe('ok');
      expect(r.kind).toBe('ok');
      expect(Buffer.compare(got, data)).toBe(0);
      const [[w2], [r2, back]] = await Promise.all([
        peer.writeAll(got, { timeout: 30_000 }),
        client.readExact(Buffer.alloc(size), { timeout: 30_000 }),
      ]);
      expect([w2.kind, r2.kind]).toEqual(['ok', 'ok']);
      expect(Buffer.compare(back, data)).toBe(0);
    }
  });

  it('close() right after writeAll delivers every byte writeAll accepted (TLS flushes first)', async () => {
    // Sizes the kernel's buffers do not take whole with nobody reading yet (writeAll resolves
    // with the encrypted rest still in Node.js), under what backpressure lets through.
    for (const size of [256 << 10, 1 << 20]) {
      const { client, peer } = await pair();
      const data = randomBytes(size);
      const [written] = await client.writeAll(data, { timeout: 30_000 });
      expect(written.kind).toBe('ok');
      client.close();
      // Calls after close() say so at once, whatever is still being flushed.
      expect((await client.readSome(Buffer.alloc(1)))[0].kind).toBe('closed');
      const [read, got] = await peer.readExact(Buffer.alloc(size), { timeout: 30_000 });
      expect(read.kind).toBe('ok');
      expect(Buffer.compare(got, data)).toBe(0);
      expect((await peer.readSome(Buffer.alloc(1), { timeout: 30_000 }))[0].kind).toBe('closed');
      // The peer's close ends the linger: the client's socket is released promptly.
      peer.close();
      const started = performance.now();
      await client[Symbol.asyncDispose]();
      expect(client.socket?.destroyed).toBe(true);
      expect(performance.now() - started).toBeLessThan(5_000);
    }
  });

  it('client.co serves a coroutine task over TLS, as over TCP', async () => {
    const { client, peer } = await pair();
    const echo = task(function* (connection: tls.Client) {
      const io = connection.co;
      const buffer = Buffer.alloc(64);
      let total = 0;
      for (;;) {
        const [status, bytes] = yield* io.readSome(buffer, { timeout: 15_000 });
        if (!status.isOk()) return total;
        total += bytes.length;
        const [written] = yield* io.writeAll(bytes);
        if (!written.isOk()) return total;
      }
    });
    const serving = (async () => await echo(peer))(); // a task starts once awaited
    for (const message of ['ping', 'a longer message', 'x'.repeat(200)]) {
      const [written] = await client.writeAll(Buffer.from(message));
      expect(written.kind).toBe('ok');
      const [read, back] = await client.readExact(Buffer.alloc(message.length), {
        timeout: 15_000,
      });
      expect([read.kind, text(back)]).toEqual(['ok', message]);
    }
    expect(client.shutdown().kind).toBe('ok');
    expect(await serving).toBe(4 + 16 + 200);
    // Before a connect, co answers with the not-connected status, as tcp.Client.co does.
    const unconnected = new tls.Client(scheduler, { address: '127.0.0.1', port: 1 }, trusting);
    const early = task(function* () {
      return yield* unconnected.co.readSome(Buffer.alloc(4));
    });
    const [status] = await early();
    expect(status.kind).not.toBe('ok');
    expect(status.isOk()).toBe(false);
  });

  it('moves 64 MiB from client to server intact (readSome into one reused buffer)', async () => {
    const { client, peer } = await pair();
    const total = 64 << 20;
    const chunk = randomBytes(1 << 20);
    const sent = createHash('sha256');
    const writing = (async () => {
      for (let offset = 0; offset < total; offset += chunk.length) {
        chunk[0] = offset >>> 20; // every MiB differs
        sent.update(chunk);
        const [status] = await client.writeAll(chunk, { timeout: 60_000 });
        expect(status.kind).toBe('ok');
      }
      expect(client.shutdown().kind).toBe('ok');
    })();
    const received = createHash('sha256');
    const buffer = Buffer.alloc(256 << 10);
    let count = 0;
    for (;;) {
      const [status, view] = await peer.readSome(buffer, { timeout: 60_000 });
      if (status.kind === 'closed') break;
      expect(status.kind).toBe('ok');
      received.update(view);
      count += view.length;
    }
    await writing;
    expect(count).toBe(total);
    expect(received.digest('hex')).toBe(sent.digest('hex'));
  });

  it('writeAll resolves once TLS has encrypted the bytes: a buffer overwritten at once arrives as it was', async () => {
    const { client, peer } = await pair();
    const message = Buffer.alloc(36);
    const received = Buffer.alloc(36 * 200);
    const reading = peer.readExact(received, { timeout: 30_000 });
    for (let i = 0; i < 200; i++) {
      message.fill(i);
      // Nothing is queued before each write, so it takes the path that resolves without
      // waiting for the stream's callback: it has settled after a few microtasks, before any
      // I/O callback could have run. Node.js's TLS layer encrypts (or copies) the bytes inside
      // write(); should that ever change, this test fails, not silently the data.
      let settled = false;
      const writing = client.writeAll(message).then((result) => {
        settled = true;
        return result;
      });
      for (let k = 0; k < 5; k++) await Promise.resolve();
      expect(settled).toBe(true);
      expect((await writing)[0].kind).toBe('ok');
      message.fill(0xff);
      // Let the previous write's callback run before the next one (a turn or two).
      for (let turn = 0; turn < 100 && client.socket!.writableLength > 0; turn++) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(client.socket!.writableLength).toBe(0);
    }
    const [status, view] = await reading;
    expect(status.kind).toBe('ok');
    for (let i = 0; i < 200; i++) {
      expect(view.subarray(i * 36, i * 36 + 36).every((byte) => byte === i)).toBe(true);
    }
    // Back to back (the second write is queued behind the first): both arrive intact too.
    const first = Buffer.alloc(1 << 16, 1);
    const second = Buffer.alloc(1 << 16, 2);
    const back = Buffer.alloc(2 << 16);
    const both = peer.readExact(back, { timeout: 30_000 });
    const [a] = await client.writeAll(first);
    first.fill(9);
    // The first is still in flight for Node.js's stream: this one waits for its callback.
    const [c] = await client.writeAll(second);
    second.fill(9);
    expect([a.kind, c.kind]).toEqual(['ok', 'ok']);
    const [r, got] = await both;
    expect(r.kind).toBe('ok');
    expect(got.subarray(0, 1 << 16).every((byte) => byte === 1)).toBe(true);
    expect(got.subarray(1 << 16).every((byte) => byte === 2)).toBe(true);
  });

  it('readExact gathers many small writes; its deadline covers the whole call', async () => {
    const { client, peer } = await pair();
    const reading = peer.readExact(Buffer.alloc(1000), { timeout: 30_000 });
    for (let i = 0; i < 100; i++) await client.writeAll(Buffer.from('0123456789'));
    const [status, view] = await reading;
    expect(status.kind).toBe('ok');
    expect(text(view)).toBe('0123456789'.repeat(100));
    // 5 bytes arrive, then nothing: the status says timeout and the view holds the 5.
    await client.writeAll(Buffer.from('abcde'));
    const [late, part] = await peer.readExact(Buffer.alloc(10), { timeout: 100 });
    expect(late.kind).toBe('timeout');
    expect(text(part)).toBe('abcde');
  });

  it('decrypted data left over by a short read is visible to poll and recv at once', async () => {
    // libcoro issues #94 / #100: OpenSSL held decrypted bytes that poll could not see, and the
    // reader hung. Here one TLS record carries 12 bytes; a 4-byte read leaves 8 decrypted.
    const { client, peer } = await pair();
    await peer.writeAll(Buffer.from('abcdefghijkl'));
    const [first, head] = await client.readSome(Buffer.alloc(4), { timeout: 15_000 });
    expect(first.kind).toBe('ok');
    expect(text(head)).toBe('abcd');
    expect(await client.poll('read', { timeout: 0 })).toBe('read');
    const [now, rest] = client.recv(Buffer.alloc(64));
    expect(now.kind).toBe('ok');
    expect(text(rest)).toBe('efghijkl');
    const [empty] = client.recv(Buffer.alloc(64));
    expect(empty.kind).toBe('wouldBlock');
    expect(await client.poll('read', { timeout: 0 })).toBe('timeout');
    expect(await client.poll('write', { timeout: 1000 })).toBe('write');
  });

  it('send() makes one immediate attempt; poll(read) wakes for data', async () => {
    const { client, peer } = await pair();
    const polling = peer.poll('read', { timeout: 15_000 });
    const [status, rest] = client.send(Buffer.from('now'));
    expect(status.kind).toBe('ok');
    expect(rest.length).toBe(0);
    expect(await polling).toBe('read');
    const [r, view] = peer.recv(Buffer.alloc(8));
    expect(r.kind).toBe('ok');
    expect(text(view)).toBe('now');
  });

  it('half-closes both ways: shutdown() ends our side, reading goes on', async () => {
    const { client, peer } = await pair();
    await client.writeAll(Buffer.from('last words'));
    expect(client.shutdown().kind).toBe('ok');
    const [r1, v1] = await peer.readExact(Buffer.alloc(10), { timeout: 15_000 });
    expect([r1.kind, text(v1)]).toEqual(['ok', 'last words']);
    const [end] = await peer.readSome(Buffer.alloc(10), { timeout: 15_000 });
    expect(end.kind).toBe('closed');
    // The server can still answer on its open half, then close its side too.
    await peer.writeAll(Buffer.from('reply'));
    expect(peer.shutdown().kind).toBe('ok');
    const [r2, v2] = await client.readExact(Buffer.alloc(5), { timeout: 15_000 });
    expect([r2.kind, text(v2)]).toEqual(['ok', 'reply']);
    const [end2] = await client.readSome(Buffer.alloc(5), { timeout: 15_000 });
    expect(end2.kind).toBe('closed');
  });

  it('reads and writes at the same time on one client', async () => {
    const { client, peer } = await pair();
    const size = 4 << 20;
    const up = randomBytes(size);
    const down = randomBytes(size);
    const [[w1], [r1, gotUp], [w2], [r2, gotDown]] = await Promise.all([
      client.writeAll(up, { timeout: 60_000 }),
      peer.readExact(Buffer.alloc(size), { timeout: 60_000 }),
      peer.writeAll(down, { timeout: 60_000 }),
      client.readExact(Buffer.alloc(size), { timeout: 60_000 }),
    ]);
    expect([w1.kind, r1.kind, w2.kind, r2.kind]).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(Buffer.compare(gotUp, up)).toBe(0);
    expect(Buffer.compare(gotDown, down)).toBe(0);
  });

  it('a peer whose TCP connection is reset gives connectionReset on the next read', async () => {
    // A node:tls server that aborts the TCP socket under its TLS socket (a real RST).
    const { server, port } = await nodeTlsServer(
      { key: certs.server.key, cert: certs.server.cert },
      () => {},
    );
    server.on('connection', (raw: Socket) =>
      server.once('secureConnection', () => raw.resetAndDestroy()),
    );
    const client = new tls.Client(scheduler, { address: '127.0.0.1', port }, trusting);
    cleanups.push(() => client.close());
    expect(await client.connect({ timeout: 15_000 })).toBe('connected');
    const [status] = await client.readSome(Buffer.alloc(10), { timeout: 15_000 });
    expect(status.kind).toBe('connectionReset');
    expect(client.failure?.code).toBe('ECONNRESET');
    expect(client.failure?.status).toBe('unexpectedClose');
  });

  it('reset() drops the connection at once: the peer sees it end, nothing hangs', async () => {
    const { client, peer } = await pair();
    const reading = client.readSome(Buffer.alloc(10), { timeout: 15_000 });
    peer.reset();
    const [mine] = await reading;
    expect(mine.kind).not.toBe('ok');
    expect(mine.kind).not.toBe('timeout');
    expect(peer.isConnected).toBe(false);
  });

  it('close() ends pending calls with closed; Symbol.asyncDispose releases the socket', async () => {
    const { client } = await pair();
    const reading = client.readSome(Buffer.alloc(10));
    client.close();
    const [status] = await reading;
    expect(status.kind).toBe('closed');
    expect(client.isConnected).toBe(false);
    await client[Symbol.asyncDispose]();
    expect(client.socket?.destroyed).toBe(true);
  });

  it('reads and writes take timeout and signal', async () => {
    const { client } = await pair();
    const [t] = await client.readSome(Buffer.alloc(4), { timeout: 20 });
    expect(t.kind).toBe('timeout');
    const stop = new StopSource();
    const pending = client.readSome(Buffer.alloc(4), { signal: stop.token });
    stop.requestStop();
    expect((await pending)[0].kind).toBe('cancelled');
    expect(await client.poll('read', { timeout: 10 })).toBe('timeout');
    expect(() => client.readSome(Buffer.alloc(4), { timeout: -5 })).toThrow(InvalidArgumentError);
    expect(() => client.readSome('x' as never)).toThrow(InvalidArgumentError);
  });

  it('before connect(): every call answers with a status, as tcp.Client does', async () => {
    const client = new tls.Client(scheduler, { address: '127.0.0.1', port: 1 }, trusting);
    const [r] = await client.readSome(Buffer.alloc(1));
    expect(r.kind).not.toBe('ok');
    const [w, rest] = await client.writeAll(Buffer.from('x'));
    expect(w.kind).not.toBe('ok');
    expect(rest.length).toBe(1);
    expect(client.recv(Buffer.alloc(1))[0].kind).not.toBe('ok');
    expect(await client.poll('read')).toBe('closed');
    expect(client.isConnected).toBe(false);
    expect(client.protocol).toBeUndefined();
  });

  it('talks to a plain node:tls echo server', async () => {
    const { port } = await nodeTlsServer({ key: certs.server.key, cert: certs.server.cert });
    const client = new tls.Client(scheduler, { address: '127.0.0.1', port }, trusting);
    cleanups.push(() => client.close());
    expect(await client.connect({ timeout: 15_000 })).toBe('connected');
    await client.writeAll(Buffer.from('echo me'));
    const [status, view] = await client.readExact(Buffer.alloc(7), { timeout: 15_000 });
    expect([status.kind, text(view)]).toEqual(['ok', 'echo me']);
  });

  it('ALPN: the server picks from the client list; both sides see it', async () => {
    const { client, peer } = await pair(
      new Context({ ca: certs.ca.cert, alpn: ['coro/2', 'coro/1'] }),
      {
        context: new Context({ cert: certs.server.cert, key: certs.server.key, alpn: ['coro/1'] }),
      },
    );
    expect(client.alpnProtocol).toBe('coro/1');
    expect(peer.alpnProtocol).toBe('coro/1');
  });

  it('TLS 1.2 works when asked for, with the cipher named', async () => {
    const { client, peer } = await pair(new Context({ ca: certs.ca.cert, maxVersion: 'TLSv1.2' }));
    expect(client.protocol).toBe('TLSv1.2');
    expect(peer.protocol).toBe('TLSv1.2');
    expect(client.cipher?.name).toMatch(/ECDHE/);
    await client.writeAll(Buffer.from('12'));
    const [status, view] = await peer.readExact(Buffer.alloc(2), { timeout: 15_000 });
    expect([status.kind, text(view)]).toEqual(['ok', '12']);
  });
});
