import { createServer, type Server as NetServer, Socket } from 'node:net';
import { task } from '@coro/task';
import { describe, expect, it, vi } from 'vitest';
import { IoStatus, IpAddress, SocketAddress, tcp } from '../src/index.ts';
import {
  connectPair,
  echo,
  freePort,
  listen,
  loopbackZones,
  makeScheduler,
  pattern,
  readAll,
  track,
} from './utils/net.ts';

// The write path connections should take here: the handle path unless a test file turned it
// off (tcp-fallback.test.ts runs these tests again that way).
const fastWrites = process.env.CORO_NET_HANDLE_IO === 'off' ? 'direct' : 'handle';

describe('tcp.Client and tcp.Server', () => {
  it('connects, echoes and reports both addresses (127.0.0.1)', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    expect(server.port).toBeGreaterThan(0);
    expect(server.localAddress?.toString()).toBe(`127.0.0.1:${server.port}`);
    const { client, peer } = await connectPair(scheduler, server);
    expect(client.readMode).toBe('onread');
    // The guard on the accepted-socket fast path (internal/accepted.ts): if this fails, Node.js
    // changed `socket._handle` or the `handle` + `onread` options, and accepted sockets fell
    // back to paused mode. They still work; they are slower.
    expect(peer.readMode, 'accepted sockets no longer get onread').toBe('onread');
    // The guard on the handle path (internal/handle-io.ts) and, where it is off, on the write
    // fast path (channel.ts, `directWrites`): if this fails, Node.js changed the stream
    // binding or net.Socket's `_write`, and connections fell back to a slower path.
    expect(client.writeMode, 'the handle path (or _write) is no longer taken').toBe(fastWrites);
    expect(peer.writeMode, 'the handle path (or _write) is no longer taken').toBe(fastWrites);
    expect(client.peerAddress?.toString()).toBe(`127.0.0.1:${server.port}`);
    expect(peer.peerAddress?.equals(client.localAddress!)).toBe(true);
    const serving = echo(peer);
    const [sent, rest] = await client.writeAll(Buffer.from('hello'));
    expect(sent).toBe(IoStatus.ok);
    expect(rest.length).toBe(0);
    const [status, view] = await client.readExact(Buffer.alloc(5), { timeout: 10_000 });
    expect(status.isOk()).toBe(true);
    expect(Buffer.from(view).toString()).toBe('hello');
    client.shutdown();
    const [end] = await client.readSome(Buffer.alloc(4), { timeout: 10_000 });
    expect(end.kind).toBe('closed');
    await serving;
  });

  it('close() discards what arrived and was not read: later calls say closed', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    await client.writeAll(Buffer.from('0123456789'));
    const [first, view] = await peer.readSome(Buffer.alloc(4), { timeout: 10_000 });
    expect(first.isOk() && Buffer.from(view).toString()).toBe('0123');
    // Let the rest arrive (it is kept aside, the read buffer being full), then close.
    await new Promise((resolve) => setTimeout(resolve, 50));
    peer.close();
    const [after, rest] = await peer.readSome(Buffer.alloc(16));
    expect(after.kind).toBe('closed');
    expect(rest.length).toBe(0);
    expect(peer.recv(Buffer.alloc(16))[0].kind).toBe('closed');
  });

  it('works over ::1', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler, { address: '::1', ipv6Only: true });
    expect(server.localAddress?.toString()).toBe(`[::1]:${server.port}`);
    const client = track(new tcp.Client(scheduler, SocketAddress.parse(`[::1]:${server.port}`)));
    const [connected, accepted] = await Promise.all([client.connect(), server.accept()]);
    expect(connected).toBe('connected');
    expect(accepted.ok).toBe(true);
    if (!accepted.ok) return;
    const peer = track(accepted.value);
    expect(peer.peerAddress?.family).toBe('ipv6');
    const serving = echo(peer);
    await client.writeAll(Buffer.from('six'));
    const [status, view] = await client.readExact(Buffer.alloc(3));
    expect(status.isOk() && Buffer.from(view).toString()).toBe('six');
    client.close();
    await serving;
  });

  it('echoes 1 B to 64 MiB byte for byte', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    for (const size of [1, 1000, 64 * 1024 + 7, (1 << 20) + 3, 64 << 20]) {
      const { client, peer } = await connectPair(scheduler, server);
      const serving = echo(peer);
      const data = pattern(size, size);
      const [[written], received] = await Promise.all([
        client.writeAll(data, { timeout: 60_000 }).then((r) => {
          client.shutdown();
          return r;
        }),
        readAll(client),
      ]);
      expect(written.isOk(), `write ${size}`).toBe(true);
      expect(received.status.kind, `read ${size}`).toBe('closed');
      expect(received.bytes.length).toBe(size);
      expect(received.bytes.equals(data), `bytes ${size}`).toBe(true);
      await serving;
      client.close();
    }
  }, 120_000);

  it('readExact fills the buffer across many small writes, and says how much arrived on failure', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    const data = pattern(3000);
    const writing = (async () => {
      for (let i = 0; i < data.length; i += 7) {
        await peer.writeAll(data.subarray(i, Math.min(data.length, i + 7)));
        if (i % 70 === 0) await scheduler.yield();
      }
      peer.shutdown();
    })();
    const buffer = Buffer.alloc(2000);
    const [first, view] = await client.readExact(buffer, { timeout: 30_000 });
    expect(first.isOk()).toBe(true);
    expect(view.length).toBe(2000);
    expect(Buffer.from(view).equals(data.subarray(0, 2000))).toBe(true);
    const [second, partial] = await client.readExact(Buffer.alloc(2000), { timeout: 30_000 });
    await writing;
    expect(second.kind).toBe('closed');
    expect(partial.length).toBe(1000);
    expect(Buffer.from(partial).equals(data.subarray(2000))).toBe(true);
  });

  it('half-closes both ways: the other side reads closed and can still write', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    for (const [closer, other] of [
      ['client', 'peer'],
      ['peer', 'client'],
    ] as const) {
      const pair = await connectPair(scheduler, server);
      const a = pair[closer];
      const b = pair[other];
      await a.writeAll(Buffer.from('last words'));
      expect(a.shutdown().isOk()).toBe(true);
      const got = await readAll(b);
      expect(got.status.kind).toBe('closed');
      expect(got.bytes.toString()).toBe('last words');
      // The half that shut down cannot write, the other can; a still reads.
      const [afterShutdown] = await a.writeAll(Buffer.from('x'));
      expect(afterShutdown.kind).toBe('closed');
      const [reply] = await b.writeAll(Buffer.from('reply'));
      expect(reply.isOk()).toBe(true);
      b.shutdown();
      const back = await readAll(a);
      expect(back.bytes.toString()).toBe('reply');
      expect(back.status.kind).toBe('closed');
    }
  });

  it('reset mid-transfer gives the other side connectionReset, never an uncaught error', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    // The peer pushes more than the kernel buffers hold, the client reads a little, then resets.
    const writing = peer.writeAll(pattern(32 << 20), { timeout: 60_000 });
    const [first] = await client.readExact(Buffer.alloc(100_000), { timeout: 30_000 });
    expect(first.isOk()).toBe(true);
    client.reset();
    const [status, remainder] = await writing;
    expect(['connectionReset', 'closed']).toContain(status.kind);
    expect(status.errno).toMatch(/ECONNRESET|EPIPE/);
    expect(remainder.length).toBeGreaterThan(0);
    // And a reader on the other end of a reset sees connectionReset.
    const pair = await connectPair(scheduler, server);
    const reading = pair.client.readSome(Buffer.alloc(10), { timeout: 30_000 });
    pair.peer.reset();
    const [readStatus] = await reading;
    expect(readStatus.kind).toBe('connectionReset');
    expect(readStatus.errno).toBe('ECONNRESET');
    // Every later call says the same.
    const [again] = await pair.client.writeAll(Buffer.from('x'));
    expect(again.kind).toBe('connectionReset');
    expect(pair.client.recv(Buffer.alloc(1))[0].kind).toBe('connectionReset');
  });

  it('reads and writes at the same time on one client', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    const serving = echo(peer);
    // A read is pending before the write starts, and the write is larger than the socket
    // buffers, so both wait on each other's progress.
    const size = 16 << 20;
    const reading = readAll(client, size);
    await scheduler.yield();
    const data = pattern(size, 7);
    const [written] = await client.writeAll(data, { timeout: 60_000 });
    const got = await reading;
    expect(written.isOk()).toBe(true);
    expect(got.bytes.equals(data)).toBe(true);
    client.shutdown();
    await serving;
  });

  it("every result is the caller's own array: changing one changes no other call's", async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    const bytes = Buffer.from('abc');
    const results = [
      await client.writeAll(bytes),
      await client.writeSome(bytes),
      client.send(bytes),
      await client.writeAll(bytes, { timeout: 0 }),
      await task(function* () {
        return yield* client.co.writeAll(bytes);
      })().start(),
    ];
    for (const result of results) {
      expect(Object.isFrozen(result)).toBe(false);
      expect(result[0]).toBe(IoStatus.ok);
      result[0] = IoStatus.closed;
    }
    expect(new Set(results).size).toBe(results.length);
    // None of those changes reached the next write's result.
    const [status, rest] = await client.writeAll(bytes);
    expect(status).toBe(IoStatus.ok);
    expect(rest.length).toBe(0);
    const got = await readAll(peer, bytes.length * 6);
    expect(got.bytes.toString()).toBe('abc'.repeat(6));
  });

  it('close(), reset() and dispose during a pending connect() end it: cancelled, nothing stays open', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    for (const end of ['close', 'reset', 'dispose'] as const) {
      const client = track(new tcp.Client(scheduler, { address: '127.0.0.1', port: server.port }));
      const connecting = client.connect({ timeout: 10_000 });
      if (end === 'dispose') await client[Symbol.asyncDispose]();
      else client[end]();
      expect(await connecting, end).toBe('cancelled');
      expect(client.isConnected, end).toBe(false);
      expect(client.socket, end).toBeUndefined();
      expect(scheduler.isEmpty, end).toBe(true);
      // Whatever reached the listener is gone already.
      const accepted = await server.accept({ timeout: 50 });
      if (accepted.ok) {
        const [status] = await track(accepted.value).readSome(Buffer.alloc(1), { timeout: 5000 });
        expect(['closed', 'connectionReset'], end).toContain(status.kind);
      }
      // The client is closed for good: a later connect() is cancelled too, and reaches nobody
      // (a connect ended by its own signal may be retried: see the test after this one).
      expect(await client.connect({ timeout: 10_000 }), end).toBe('cancelled');
      expect(client.socket, end).toBeUndefined();
      const later = await server.accept({ timeout: 50 });
      expect(!later.ok && later.error.kind, end).toBe('timeout');
    }
  });

  it('connect() after close(), reset() or dispose resolves cancelled at once and opens no socket', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const endpoint = { address: '127.0.0.1', port: server.port };
    const opened = vi.spyOn(Socket.prototype, 'connect');
    try {
      for (const end of ['close', 'reset', 'dispose'] as const) {
        for (const connectedFirst of [false, true]) {
          const where = `${end}, ${connectedFirst ? 'after a connection' : 'never connected'}`;
          const client = track(new tcp.Client(scheduler, endpoint));
          if (connectedFirst) {
            const [connected, accepted] = await Promise.all([
              client.connect({ timeout: 10_000 }),
              server.accept({ timeout: 10_000 }),
            ]);
            expect(connected, where).toBe('connected');
            if (accepted.ok) track(accepted.value);
          }
          const socket = client.socket;
          if (end === 'dispose') await client[Symbol.asyncDispose]();
          else client[end]();
          opened.mockClear();
          expect(await client.connect({ timeout: 10_000 }), where).toBe('cancelled');
          expect(await client.connect(), where).toBe('cancelled');
          expect(client.connectError, where).toBe(IoStatus.closed);
          expect(opened, where).not.toHaveBeenCalled();
          expect(client.isConnected, where).toBe(false);
          expect(client.socket, where).toBe(socket);
          expect(scheduler.isEmpty, where).toBe(true);
          // Nothing reached the listener.
          const accepted = await server.accept({ timeout: 50 });
          expect(!accepted.ok && accepted.error.kind, where).toBe('timeout');
        }
      }
    } finally {
      opened.mockRestore();
    }
    // Bad input still throws first.
    const closed = track(new tcp.Client(scheduler, endpoint));
    closed.close();
    expect(() => closed.connect({ timeout: -1 })).toThrow(/timeout/);
    // A connect that failed or was stopped by its own signal is no close(): it may be retried.
    const stopped = track(new tcp.Client(scheduler, endpoint));
    expect(await stopped.connect({ signal: AbortSignal.abort() })).toBe('cancelled');
    const controller = new AbortController();
    const pending = stopped.connect({ signal: controller.signal, timeout: 10_000 });
    controller.abort();
    expect(await pending).toBe('cancelled');
    expect(await stopped.connect({ timeout: 10_000 })).toBe('connected');
    const peer = await server.accept({ timeout: 10_000 });
    if (peer.ok) track(peer.value);
  });

  it('reports a refused connection', async () => {
    const scheduler = makeScheduler();
    const port = await freePort(scheduler);
    const client = track(new tcp.Client(scheduler, { address: '127.0.0.1', port }));
    expect(await client.connect({ timeout: 10_000 })).toBe('refused');
    expect(client.connectError?.errno).toBe('ECONNREFUSED');
    expect(client.isConnected).toBe(false);
    const [status] = await client.readSome(Buffer.alloc(1));
    expect(status.kind).toBe('closed');
    expect(status.errno).toBe('ENOTCONN');
  });

  it('reports invalidAddress for an unknown IPv6 zone, without trying another interface', async () => {
    const scheduler = makeScheduler();
    // libuv alone would drop a zone it cannot resolve (and a numeric one on Linux) and connect
    // through the first interface with a link-local address: the connect then times out.
    for (const address of ['fe80::1%nosuchif0', 'fe80::1%4000000000']) {
      const client = track(new tcp.Client(scheduler, { address, port: 9 }));
      expect(await client.connect({ timeout: 20_000 }), address).toBe('invalidAddress');
      expect(client.connectError?.errno, address).toBe('EINVAL');
      expect(client.isConnected).toBe(false);
    }
    // A zone that names an interface of this host, by name or by index, is passed on.
    const server = await listen(scheduler, { address: '::1', ipv6Only: true });
    const zones = loopbackZones();
    for (const zone of zones) {
      const address = `::1%${zone}`;
      const client = track(new tcp.Client(scheduler, { address, port: server.port }));
      expect(await client.connect({ timeout: 20_000 }), address).toBe('connected');
      const accepted = await server.accept({ timeout: 20_000 });
      expect(accepted.ok).toBe(true);
      if (accepted.ok) track(accepted.value);
    }
  });

  it('reports invalidAddress for a multicast or broadcast destination', async () => {
    const scheduler = makeScheduler();
    // The kernel refuses a TCP connect to these at once (ENETUNREACH): no packet leaves.
    for (const address of ['224.0.0.1', '255.255.255.255', 'ff02::1']) {
      const client = track(new tcp.Client(scheduler, { address, port: 9 }));
      expect(await client.connect({ timeout: 20_000 }), address).toBe('invalidAddress');
      expect(client.connectError?.errno, address).toBe('ENETUNREACH');
    }
    // A reachable address on the same code path still connects.
    const server = await listen(scheduler);
    const client = track(new tcp.Client(scheduler, { address: '127.0.0.1', port: server.port }));
    expect(await client.connect({ timeout: 20_000 })).toBe('connected');
  });

  it('times a connect out against a listener whose queue is full', async () => {
    const scheduler = makeScheduler();
    // A child process listens with backlog 1 and blocks its event loop: it never accepts.
    const { spawn } = await import('node:child_process');
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const s = require('net').createServer();
         s.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
           require('fs').writeSync(1, String(s.address().port) + '\\n');
           Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120000);
         });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
        child.once('exit', () => reject(new Error('listener child exited')));
      });
      // Fill the queue: every connection that completes takes a slot; the first that does not
      // complete within the timeout proves the SYNs go unanswered.
      let sawTimeout = false;
      for (let i = 0; i < 20 && !sawTimeout; i++) {
        const client = track(new tcp.Client(scheduler, { address: '127.0.0.1', port }));
        const status = await client.connect({ timeout: 500 });
        expect(['connected', 'timeout']).toContain(status);
        if (status === 'timeout') {
          sawTimeout = true;
          expect(client.isConnected).toBe(false);
        }
      }
      expect(sawTimeout, 'no connect timed out against a full accept queue').toBe(true);
      expect(scheduler.isEmpty).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('cancels connect, read, write, accept and poll with a signal and leaves nothing behind', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client } = await connectPair(scheduler, server);
    const controller = new AbortController();
    const reading = client.readSome(Buffer.alloc(10), {
      signal: controller.signal,
      timeout: 60_000,
    });
    const polling = client.poll('read', { signal: controller.signal });
    const accepting = server.accept({ signal: controller.signal });
    controller.abort();
    expect((await reading)[0].kind).toBe('cancelled');
    expect(await polling).toBe('cancelled');
    const accepted = await accepting;
    expect(!accepted.ok && accepted.error.kind).toBe('cancelled');
    expect((await client.readSome(Buffer.alloc(1), { signal: controller.signal }))[0].kind).toBe(
      'cancelled',
    );
    expect((await client.writeAll(Buffer.from('x'), { signal: controller.signal }))[0].kind).toBe(
      'cancelled',
    );
    const fresh = new tcp.Client(scheduler, { address: '127.0.0.1', port: server.port });
    expect(await fresh.connect({ signal: controller.signal })).toBe('cancelled');
    expect(scheduler.isEmpty).toBe(true);
    // The client is still usable.
    const [ok] = await client.writeAll(Buffer.from('y'));
    expect(ok.isOk()).toBe(true);
  });

  it('times out reads, polls and accepts; timeout 0 only takes what is ready', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    expect((await client.readSome(Buffer.alloc(1), { timeout: 20 }))[0].kind).toBe('timeout');
    expect((await client.readSome(Buffer.alloc(1), { timeout: 0 }))[0].kind).toBe('timeout');
    expect(await client.poll('read', { timeout: 20 })).toBe('timeout');
    expect(await client.poll('write', { timeout: 0 })).toBe('write');
    const accepted = await server.accept({ timeout: 20 });
    expect(!accepted.ok && accepted.error.kind).toBe('timeout');
    expect(client.recv(Buffer.alloc(1))[0].kind).toBe('wouldBlock');
    expect(scheduler.isEmpty).toBe(true);
    await peer.writeAll(Buffer.from('abc'));
    expect(await client.poll('read', { timeout: 10_000 })).toBe('read');
    const [status, view] = client.recv(Buffer.alloc(2));
    expect(status.isOk() && Buffer.from(view).toString()).toBe('ab');
    const [rest, tail] = await client.readSome(Buffer.alloc(8), { timeout: 0 });
    expect(rest.isOk() && Buffer.from(tail).toString()).toBe('c');
    // send copies what fits and returns at once.
    const [sent, unsent] = client.send(Buffer.from('xyz'));
    expect(sent.isOk()).toBe(true);
    expect(unsent.length).toBe(0);
    const [got, bytes] = await peer.readExact(Buffer.alloc(3), { timeout: 10_000 });
    expect(got.isOk() && Buffer.from(bytes).toString()).toBe('xyz');
  });

  it("a read's deadline and stop belong to that read alone", async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    const controller = new AbortController();
    // Settled by data before its deadline and its stop: neither may reach the next read.
    const first = client.readSome(Buffer.alloc(4), { timeout: 40, signal: controller.signal });
    await peer.writeAll(Buffer.from('a'));
    const [one, a] = await first;
    expect(one.isOk() && Buffer.from(a).toString()).toBe('a');
    let settled = false;
    const second = client.readSome(Buffer.alloc(4)).then((result) => {
      settled = true;
      return result;
    });
    controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(settled).toBe(false);
    await peer.writeAll(Buffer.from('b'));
    const [two, b] = await second;
    expect(two.isOk() && Buffer.from(b).toString()).toBe('b');
    // Ended by its deadline: the next read waits on, with none of its own.
    expect((await client.readSome(Buffer.alloc(4), { timeout: 20 }))[0].kind).toBe('timeout');
    const fourth = client.readSome(Buffer.alloc(4));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(scheduler.isEmpty).toBe(true);
    await peer.writeAll(Buffer.from('c'));
    const [four, c] = await fourth;
    expect(four.isOk() && Buffer.from(c).toString()).toBe('c');
  });

  it('send says wouldBlock once the socket is full, and writeAll with a timeout resets', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    // Nobody reads the peer: fill the kernel buffers and Node.js's queue.
    const chunk = Buffer.alloc(1 << 20);
    let blocked = false;
    for (let i = 0; i < 512 && !blocked; i++) {
      const [status] = client.send(chunk);
      if (status.kind === 'wouldBlock') blocked = true;
      else expect(status.isOk()).toBe(true);
      await scheduler.yield();
    }
    expect(blocked).toBe(true);
    expect(await client.poll('write', { timeout: 20 })).toBe('timeout');
    const [status, remainder] = await client.writeAll(pattern(4 << 20), { timeout: 50 });
    expect(status.kind).toBe('timeout');
    expect(remainder.length).toBe(4 << 20);
    // Bytes were in flight: the connection was reset, and says so.
    expect(client.isConnected).toBe(false);
    const got = await readAll(peer);
    expect(['connectionReset', 'closed']).toContain(got.status.kind);
  });

  it('timeout 0 writes hand over what the socket takes now: never a reset, never a lost byte', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    // Nobody reads the peer yet. More than the socket takes at once: timeout, with a remainder.
    const data = pattern(32 << 20, 3);
    let offset = 0;
    const [first, rest] = await client.writeAll(data, { timeout: 0 });
    expect(first.kind).toBe('timeout');
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.length).toBeLessThan(data.length);
    offset = data.length - rest.length;
    // writeSome hands over what fits (ok) until nothing does (timeout, nothing taken).
    for (let i = 0; i < 10_000; i++) {
      const [status, left] = await client.writeSome(data.subarray(offset), { timeout: 0 });
      const taken = data.length - offset - left.length;
      if (status.kind === 'timeout') {
        expect(taken).toBe(0);
        break;
      }
      expect(status.isOk() && taken > 0).toBe(true);
      offset += taken;
      await scheduler.yield();
    }
    expect(offset).toBeLessThan(data.length);
    expect(client.isConnected).toBe(true);
    // The rest without a deadline while the peer reads: every byte arrives once, in order.
    const [reading, [done]] = await Promise.all([
      readAll(peer, data.length),
      client.writeAll(data.subarray(offset), { timeout: 30_000 }),
    ]);
    expect(done).toBe(IoStatus.ok);
    expect(reading.bytes.length).toBe(data.length);
    expect(reading.bytes.equals(data)).toBe(true);
    // A small write goes whole at once.
    const [small, none] = await client.writeAll(Buffer.from('tail'), { timeout: 0 });
    expect([small, none.length]).toEqual([IoStatus.ok, 0]);
    const [got, tail] = await peer.readExact(Buffer.alloc(4), { timeout: 10_000 });
    expect(got.isOk() && Buffer.from(tail).toString()).toBe('tail');
  });

  it('bytes keep their order across send (the stream queue) and writeAll (handle or direct writes)', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    expect(client.writeMode).toBe(fastWrites);
    const parts: Uint8Array[] = [];
    let seed = 1;
    const sendSome = (size: number): boolean => {
      const part = pattern(size, seed++);
      const [status, rest] = client.send(part);
      if (status.kind === 'wouldBlock') return false;
      expect(status.isOk()).toBe(true);
      parts.push(part.subarray(0, part.length - rest.length));
      return true;
    };
    // Nobody reads the peer: send() until the kernel is full, one write is in libuv's hands and
    // the stream's queue holds the sends behind it (small ones: each fits under the
    // stream's high-water mark).
    let full = false;
    for (let i = 0; i < 20_000 && !full; i++) {
      full = !sendSome(4096);
      if (i % 8 === 0) await scheduler.yield();
    }
    expect(full).toBe(true);
    // Bytes wait in the stream: this write must go behind them, not around them.
    const behind = pattern(1 << 20, seed++);
    parts.push(behind);
    const writing = client.writeAll(behind, { timeout: 60_000 });
    const reading = readAll(peer);
    const [written] = await writing;
    expect(written.isOk()).toBe(true);
    // Then direct writes and sends taking turns.
    for (let i = 0; i < 16; i++) {
      const part = pattern(100_000 + i, seed++);
      parts.push(part);
      expect((await client.writeAll(part, { timeout: 60_000 }))[0].isOk()).toBe(true);
      sendSome(1000 + i);
    }
    client.shutdown();
    const got = await reading;
    expect(got.status.kind).toBe('closed');
    expect(got.bytes.equals(Buffer.concat(parts))).toBe(true);
  });

  it('a writeAll the kernel cannot take whole resolves only once Node.js is done with the bytes', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    // Nobody reads the peer. Each writeAll of one reused buffer goes out at once until the
    // kernel's buffers are full; the first one they cannot take whole must stay pending.
    const size = 64 * 1024;
    const buffer = Buffer.allocUnsafe(size);
    const expected: Buffer[] = [];
    let pending: Promise<tcp.WriteResult> | undefined;
    for (let i = 0; i < 1024 && pending === undefined; i++) {
      pattern(size, i + 1).copy(buffer);
      expected.push(Buffer.from(buffer));
      const writing = client.writeAll(buffer, { timeout: 60_000 });
      const settled = await Promise.race([
        writing.then(() => true),
        scheduler.yieldFor(100).then(() => false),
      ]);
      if (settled) {
        const [status] = await writing;
        expect(status.isOk()).toBe(true);
      } else pending = writing;
    }
    expect(pending, 'the kernel never filled up').toBeDefined();
    const reading = readAll(peer, expected.length * size);
    const [status, remainder] = await pending!;
    expect(status.isOk()).toBe(true);
    expect(remainder.length).toBe(0);
    // Reused at once: had Node.js still held the bytes, the peer would read these zeros.
    buffer.fill(0);
    const got = await reading;
    expect(got.bytes.length).toBe(expected.length * size);
    expect(got.bytes.equals(Buffer.concat(expected))).toBe(true);
  });

  it("poll('write') waiting behind a pending write wakes when that write is done", async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    // Nobody reads the peer yet: the kernel fills up and the write stays pending. A direct write
    // leaves the stream's queue empty, so no 'drain' will come when it is done.
    const writing = client.writeAll(pattern(16 << 20), { timeout: 60_000 });
    await scheduler.yieldFor(20);
    expect(client.socket?.writableNeedDrain).toBe(false);
    const polling = client.poll('write', { timeout: 10_000 });
    const both = client.poll('readWrite', { timeout: 10_000 });
    const reading = readAll(peer, 16 << 20);
    expect((await writing)[0].isOk()).toBe(true);
    const started = Date.now();
    expect(await polling).toBe('write');
    expect(await both).toBe('write');
    expect(Date.now() - started).toBeLessThan(1000);
    await reading;
    expect(scheduler.isEmpty).toBe(true);
  });

  it('shutdown() during a pending writeAll sends its FIN after every byte of it', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    // Write, then end, without waiting in between (as with socket.write() then end()): the FIN
    // must not cut the write short, or the peer reads a clean end of a truncated stream.
    const data = pattern(16 << 20);
    const writing = client.writeAll(data, { timeout: 60_000 });
    await scheduler.yieldFor(20);
    expect(client.shutdown().isOk()).toBe(true);
    // Shut down from now on: a send and a second shutdown say closed.
    expect(client.send(Buffer.from('x'))[0].kind).toBe('closed');
    expect(client.shutdown().kind).toBe('closed');
    const got = await readAll(peer);
    const [status, remainder] = await writing;
    expect(status.isOk()).toBe(true);
    expect(remainder.length).toBe(0);
    expect((await client.writeSome(Buffer.from('x')))[0].kind).toBe('closed');
    expect(got.status.kind).toBe('closed');
    expect(got.bytes.length).toBe(data.length);
    expect(got.bytes.equals(data)).toBe(true);
    // Half-closed only: the other way still works.
    expect((await peer.writeAll(Buffer.from('back')))[0].isOk()).toBe(true);
    const [read, view] = await client.readExact(Buffer.alloc(4), { timeout: 10_000 });
    expect(read.isOk() && Buffer.from(view).toString()).toBe('back');
  });

  it('shutdown wakes a pending accept with closed; later accepts say closed', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const port = server.port;
    const pending = server.accept();
    const iterated: tcp.Client[] = [];
    const iterating = (async () => {
      for await (const client of server) iterated.push(client);
    })();
    await scheduler.yield();
    server.shutdown();
    const accepted = await pending;
    expect(accepted.ok).toBe(false);
    if (!accepted.ok) expect(accepted.error.kind).toBe('closed');
    await iterating;
    expect(iterated).toEqual([]);
    const again = await server.accept();
    expect(!again.ok && again.error.kind).toBe('closed');
    await new Promise((resolve) => setImmediate(resolve));
    const late = track(new tcp.Client(scheduler, { address: '127.0.0.1', port }));
    expect(await late.connect({ timeout: 10_000 })).toBe('refused');
  });

  it('hands out clients through async iteration', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const clients = [0, 1, 2].map(() =>
      track(new tcp.Client(scheduler, { address: '127.0.0.1', port: server.port })),
    );
    await Promise.all(clients.map((c) => c.connect()));
    const seen: tcp.Client[] = [];
    for await (const client of server) {
      seen.push(track(client));
      if (seen.length === 3) server.shutdown();
    }
    expect(seen.length).toBe(3);
  });

  it('reports a bind error through ready() and accept()', async () => {
    const scheduler = makeScheduler();
    const first = await listen(scheduler);
    const second = track(new tcp.Server(scheduler, { address: '127.0.0.1', port: first.port }));
    const status = await second.ready();
    expect(status.kind).toBe('native');
    expect(status.errno).toBe('EADDRINUSE');
    const accepted = await second.accept();
    expect(!accepted.ok && accepted.error.errno).toBe('EADDRINUSE');
  });

  it('a listener on an IPv6 zone that names no interface fails with EINVAL, binding nothing', async () => {
    const scheduler = makeScheduler();
    // libuv alone would drop the zone and listen on ::1 (a numeric zone on Linux too).
    for (const address of ['::1%nosuchif0', '::1%4000000000']) {
      const server = track(new tcp.Server(scheduler, { address, port: 0 }));
      const status = await server.ready();
      expect(status.kind, address).toBe('native');
      expect(status.errno, address).toBe('EINVAL');
      expect(server.localAddress, address).toBeUndefined();
      const accepted = await server.accept({ timeout: 1000 });
      expect(!accepted.ok && accepted.error.errno, address).toBe('EINVAL');
    }
  });

  it('listens on the address it is given, in every form it takes (127.0.0.1 and ::1)', async () => {
    const scheduler = makeScheduler();
    for (const text of ['127.0.0.1', '::1']) {
      const ip = IpAddress.parse(text);
      const forms: [string, tcp.ServerOptions | SocketAddress][] = [
        ['SocketAddress', new SocketAddress(ip, 0)],
        ['{ address: IpAddress }', { address: ip }],
        ['{ address: text }', { address: text }],
      ];
      for (const [form, options] of forms) {
        const where = `${text}, ${form}`;
        const server = track(new tcp.Server(scheduler, options));
        expect((await server.ready()).isOk(), where).toBe(true);
        expect(server.localAddress?.ip.equals(ip), `${where}: ${server.localAddress}`).toBe(true);
        const client = track(new tcp.Client(scheduler, { address: ip, port: server.port }));
        const [connected, accepted] = await Promise.all([
          client.connect({ timeout: 10_000 }),
          server.accept({ timeout: 10_000 }),
        ]);
        expect(connected, where).toBe('connected');
        if (accepted.ok) track(accepted.value);
        server.close();
      }
    }
    // And the port of a SocketAddress, not an ephemeral one.
    const given = new SocketAddress('127.0.0.1', await freePort(scheduler));
    const server = track(new tcp.Server(scheduler, given));
    expect((await server.ready()).isOk()).toBe(true);
    expect(server.localAddress?.equals(given), String(server.localAddress)).toBe(true);
  });

  it('serves accepted sockets in readable mode on request', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler, { readMode: 'readable', noDelay: true });
    const { client, peer } = await connectPair(scheduler, server);
    expect(peer.readMode).toBe('readable');
    const serving = echo(peer);
    const data = pattern(3 << 20);
    const [[written], got] = await Promise.all([
      client.writeAll(data),
      readAll(client, data.length),
    ]);
    expect(written.isOk()).toBe(true);
    expect(got.bytes.equals(data)).toBe(true);
    client.shutdown();
    await serving;
  });

  it('shares a port with reusePort', async () => {
    const scheduler = makeScheduler();
    const a = await listen(scheduler, { reusePort: true });
    const b = await listen(scheduler, { reusePort: true, port: a.port });
    expect(b.port).toBe(a.port);
  });

  it('wraps a connected net.Socket with Client.from, and a net.Server with Server.from', async () => {
    const scheduler = makeScheduler();
    const netServer: NetServer = createServer({ allowHalfOpen: true, pauseOnConnect: true });
    await new Promise<void>((resolve) => netServer.listen(0, '127.0.0.1', resolve));
    const server = track(tcp.Server.from(scheduler, netServer));
    const port = (netServer.address() as { port: number }).port;
    expect(server.port).toBe(port);
    const socket = new Socket({ allowHalfOpen: true });
    socket.connect(port, '127.0.0.1');
    const client = track(tcp.Client.from(scheduler, socket));
    expect(client.readMode).toBe('readable');
    // A socket belongs to one client: a second wrap would read it twice.
    expect(() => tcp.Client.from(scheduler, socket)).toThrow(/belongs to a client already/);
    const accepted = await server.accept({ timeout: 10_000 });
    expect(accepted.ok).toBe(true);
    if (!accepted.ok) return;
    const serving = echo(track(accepted.value));
    const [written] = await client.writeAll(Buffer.from('wrapped'));
    expect(written.isOk()).toBe(true);
    const [status, view] = await client.readExact(Buffer.alloc(7), { timeout: 10_000 });
    expect(status.isOk() && Buffer.from(view).toString()).toBe('wrapped');
    expect(client.peerAddress?.port).toBe(port);
    client.shutdown();
    await serving;
    await client[Symbol.asyncDispose]();
    expect(socket.destroyed).toBe(true);
  });

  it("wraps a socket that already saw its peer's end: reads say closed at once, writes work", async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const socket = new Socket({ allowHalfOpen: true });
    socket.connect(server.port, '127.0.0.1');
    const accepted = await server.accept({ timeout: 10_000 });
    expect(accepted.ok).toBe(true);
    if (!accepted.ok) return;
    const peer = track(accepted.value);
    peer.shutdown();
    // Read to its end elsewhere before the wrap: 'end' has come and will not come again.
    socket.resume();
    await new Promise((resolve) => socket.once('end', resolve));
    const client = track(tcp.Client.from(scheduler, socket));
    const [status] = await client.readSome(Buffer.alloc(8), { timeout: 2000 });
    expect(status.kind).toBe('closed');
    expect(await client.poll('read', { timeout: 2000 })).toBe('closed');
    expect((await client.writeAll(Buffer.from('still')))[0].isOk()).toBe(true);
    const [read, view] = await peer.readExact(Buffer.alloc(5), { timeout: 10_000 });
    expect(read.isOk() && Buffer.from(view).toString()).toBe('still');
  });

  it('a write stopped on a wrapped socket still connecting lets go of the bytes and the socket', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const socket = new Socket({ allowHalfOpen: true });
    socket.connect(server.port, '127.0.0.1');
    const client = track(tcp.Client.from(scheduler, socket));
    expect(socket.connecting).toBe(true);
    // Handed to the socket while it connects, then stopped: the write gives the bytes back, so
    // nothing may send them later (the caller reuses the buffer at once).
    const bytes = Buffer.from('secret');
    const controller = new AbortController();
    const writing = client.writeAll(bytes, { signal: controller.signal });
    controller.abort();
    const [status, remainder] = await writing;
    expect(status.kind).toBe('cancelled');
    expect(remainder.length).toBe(bytes.length);
    bytes.fill(0x58);
    // Reset while connecting: no connection to abort yet, so the socket goes at once (it does
    // not wait for the connection to come up, which may take the OS's whole connect timeout).
    expect(socket.destroyed).toBe(true);
    const accepted = await server.accept({ timeout: 200 });
    if (accepted.ok) {
      const got = await readAll(track(accepted.value));
      expect(got.bytes.toString()).toBe('');
    }
    // reset() on its own, likewise.
    const other = new Socket({ allowHalfOpen: true });
    other.connect(server.port, '127.0.0.1');
    track(tcp.Client.from(scheduler, other)).reset();
    expect(other.destroyed).toBe(true);
    expect(scheduler.isEmpty).toBe(true);
  });

  it('closes: pending calls resolve closed, later calls say closed, no listeners stay behind', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client } = await connectPair(scheduler, server);
    const reading = client.readSome(Buffer.alloc(1));
    const polling = client.poll('read');
    client.close();
    expect((await reading)[0].kind).toBe('closed');
    expect(await polling).toBe('closed');
    expect((await client.writeAll(Buffer.from('x')))[0].kind).toBe('closed');
    expect(client.send(Buffer.from('x'))[0].kind).toBe('closed');
    expect(client.shutdown().kind).toBe('closed');
    expect(scheduler.isEmpty).toBe(true);
  });
});
