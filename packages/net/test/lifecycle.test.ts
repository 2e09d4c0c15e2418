// Closing paths a user reaches without meaning harm: reset() behind a FIN in flight, dispose
// waiting for the handle, the socket destroyed under a pending write, connect()'s immediate
// answers, and poll('readWrite') at the end of the stream.
import { connect, type Socket } from 'node:net';
import { IoScheduler, SchedulerShutdownError } from '@coro/io';
import { describe, expect, it } from 'vitest';
import { tcp } from '../src/index.ts';
import { connectPair, listen, makeScheduler } from './utils/net.ts';

const tcpHandles = () =>
  process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

function closeEvent(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

describe('closing a client', () => {
  it('reset() right behind a shutdown() still releases the handle, and the peer sees the end', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    for (const pending of [false, true]) {
      const { client, peer } = await connectPair(scheduler, server);
      const closed = closeEvent(client.socket!);
      const before = tcpHandles();
      const reading = (async () => {
        const buf = Buffer.alloc(1 << 16);
        for (;;) {
          const [status] = await peer.readSome(buf, { timeout: 5000 });
          if (!status.isOk()) return status.kind;
        }
      })();
      // With a write pending, the FIN goes once it is done; either way, libuv refuses a RST
      // while its shutdown request is in flight, and the handle must still be closed.
      const write = pending ? client.writeAll(Buffer.alloc(8 << 20)) : undefined;
      expect(client.shutdown().isOk()).toBe(true);
      await write;
      client.reset();
      expect(['closed', 'connectionReset']).toContain(await reading);
      await closed;
      expect(tcpHandles()).toBe(before - 1);
      const [read] = await client.readSome(Buffer.alloc(1));
      expect(read.kind).toBe('closed');
    }
  });

  it('await using waits until the handle is released', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client } = await connectPair(scheduler, server);
    const socket = client.socket!;
    let released = false;
    socket.once('close', () => {
      released = true;
    });
    await client[Symbol.asyncDispose]();
    expect(released).toBe(true);
  });

  it('await using on a client wrapped around a socket that has already closed resolves', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    for (const how of ['peer', 'us'] as const) {
      const socket = connect(server.port, '127.0.0.1');
      socket.on('error', () => {});
      const accepted = await server.accept({ timeout: 5000 });
      if (!accepted.ok) throw new Error('accept');
      if (how === 'peer') accepted.value.close();
      else socket.destroy();
      accepted.value.close();
      await closeEvent(socket);
      const client = tcp.Client.from(scheduler, socket);
      // Before, this waited for a 'close' that had already come: it never settled.
      const disposed = await Promise.race([
        client[Symbol.asyncDispose]().then(() => 'disposed'),
        new Promise((resolve) => setTimeout(() => resolve('hung'), 2000)),
      ]);
      expect(disposed, how).toBe('disposed');
    }
  });

  it('await using after a failed connect waits until the attempt is released', async () => {
    const scheduler = makeScheduler();
    const before = tcpHandles();
    const client = new tcp.Client(scheduler, { address: '127.0.0.1', port: 1 });
    expect(await client.connect({ timeout: 5000 })).toBe('refused');
    await client[Symbol.asyncDispose]();
    expect(tcpHandles()).toBe(before);
  });

  it('the socket destroyed under a pending write: closed for every call, not cancelled', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client } = await connectPair(scheduler, server);
    // The peer does not read: the write waits for the kernel to drain.
    const write = client.writeAll(Buffer.alloc(64 << 20));
    const read = client.readSome(Buffer.alloc(8));
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.socket!.destroy();
    expect((await write)[0].kind).toBe('closed');
    expect((await read)[0].kind).toBe('closed');
    expect((await client.readSome(Buffer.alloc(8)))[0].kind).toBe('closed');
    expect((await client.writeAll(Buffer.from('x')))[0].kind).toBe('closed');
    expect(await client.poll('readWrite', { timeout: 100 })).toBe('closed');
  });
});

describe('connect() answered at once', () => {
  it('sets connectError as the same outcome reached while pending does', async () => {
    const scheduler = makeScheduler();
    const client = new tcp.Client(scheduler, { address: '127.0.0.1', port: 1 });
    expect(await client.connect({ timeout: 5000 })).toBe('refused');
    expect(client.connectError?.kind).toBe('connectionRefused');
    expect(await client.connect({ signal: AbortSignal.abort() })).toBe('cancelled');
    expect(client.connectError?.kind).toBe('cancelled');
    expect(await client.connect({ timeout: 0 })).toBe('timeout');
    expect(client.connectError?.kind).toBe('timeout');
    const controller = new AbortController();
    const pending = client.connect({ signal: controller.signal });
    controller.abort();
    expect(await pending).toBe('cancelled');
    expect(client.connectError?.kind).toBe('cancelled');
    client.close();
  });

  it('on a stopped scheduler, answers what it can at once and throws only where it would wait', async () => {
    const scheduler = new IoScheduler();
    const other = makeScheduler();
    const server = await listen(other);
    const client = new tcp.Client(scheduler, { address: '127.0.0.1', port: server.port });
    const [status] = await Promise.all([client.connect(), server.accept({ timeout: 5000 })]);
    expect(status).toBe('connected');
    await scheduler.shutdown();
    expect(await client.connect({ timeout: 100 })).toBe('connected');
    client.close();
    expect(await client.connect({ timeout: 100 })).toBe('cancelled');
    const fresh = new tcp.Client(scheduler, { address: '127.0.0.1', port: server.port });
    expect(await fresh.connect({ timeout: 0 })).toBe('timeout');
    expect(await fresh.connect({ signal: AbortSignal.abort(), timeout: 100 })).toBe('cancelled');
    expect(() => fresh.connect({ timeout: 100 })).toThrow(SchedulerShutdownError);
  });
});

describe("poll('readWrite') at the peer's end of stream", () => {
  it('answers at once even when the write side is full', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    // Fill the write side: the peer never reads.
    while (!client.send(Buffer.alloc(1 << 16))[0].isWouldBlock());
    peer.shutdown();
    expect(await client.poll('read', { timeout: 5000 })).toBe('closed');
    expect(await client.poll('readWrite', { timeout: 5000 })).toBe('closed');
    client.reset();
  });
});
