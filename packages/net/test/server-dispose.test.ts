// tcp.Server's `await using` / [Symbol.asyncDispose]() waits until its listening handles are
// released, never for the connections it accepted, and never hangs on a listen that did not
// happen.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { tcp } from '../src/index.ts';
import { connectPair, listen, makeScheduler, track } from './utils/net.ts';

const serverHandles = () =>
  process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;

/** Handles closed before now are released at the end of this turn of the event loop. */
const settle = () => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

/**
 * Resolves in a timer callback: from there the turn of the event loop goes on to its check
 * phase (setImmediate) before its close phase, where libuv releases closed handles.
 */
const inTimer = () => new Promise((resolve) => setTimeout(resolve, 1));

/** Disposes `server` from a timer callback. */
async function dispose(server: tcp.Server): Promise<void | 'hung'> {
  await inTimer();
  return within(server[Symbol.asyncDispose]());
}

/** `promise`, or `'hung'` if it has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms = 3000): Promise<T | 'hung'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), ms);
  });
  try {
    return await Promise.race([promise, hung]);
  } finally {
    clearTimeout(timer);
  }
}

describe('tcp.Server dispose', () => {
  it('resolves once every listening handle is released', async () => {
    const scheduler = makeScheduler();
    await settle();
    const before = serverHandles();
    for (const acceptors of [1, 4]) {
      const server = new tcp.Server(scheduler, { address: '127.0.0.1', port: 0, acceptors });
      expect((await server.ready()).isOk()).toBe(true);
      expect(serverHandles()).toBe(before + server.acceptors);
      expect(await dispose(server)).toBeUndefined();
      expect(serverHandles(), `acceptors: ${acceptors}`).toBe(before);
      // Again: at once.
      expect(await dispose(server)).toBeUndefined();
    }
  });

  it('waits for a listen still under way, which is closed when it completes', async () => {
    const scheduler = makeScheduler();
    await settle();
    const before = serverHandles();
    for (const acceptors of [1, 3]) {
      await inTimer();
      const server = new tcp.Server(scheduler, { address: '127.0.0.1', port: 0, acceptors });
      expect(await within(server[Symbol.asyncDispose]())).toBeUndefined();
      expect((await server.ready()).kind).toBe('closed');
      expect(serverHandles(), `acceptors: ${acceptors}`).toBe(before);
    }
    // Closed while the extra acceptors are opening (the primary listens, they do not yet).
    const server = new tcp.Server(scheduler, { address: '127.0.0.1', port: 0, acceptors: 3 });
    const ready = server.ready();
    for (let i = 0; i < 100 && server.localAddress === undefined; i++) {
      await new Promise((resolve) => process.nextTick(resolve));
    }
    expect(server.localAddress).toBeDefined();
    expect(await within(server[Symbol.asyncDispose]())).toBeUndefined();
    await ready;
    expect(serverHandles()).toBe(before);
  });

  it('does not hang on a listener that never listened or failed to', async () => {
    const scheduler = makeScheduler();
    const taken = await listen(scheduler);
    await settle();
    const before = serverHandles();
    const clash = new tcp.Server(scheduler, { address: '127.0.0.1', port: taken.port });
    expect((await clash.ready()).errno).toBe('EADDRINUSE');
    expect(await dispose(clash)).toBeUndefined();
    // An IPv6 zone that names no interface: nothing listens at all.
    for (const first of [true, false]) {
      await inTimer();
      const nowhere = new tcp.Server(scheduler, { address: '::1%nosuchif0', port: 0 });
      if (!first) expect((await nowhere.ready()).errno).toBe('EINVAL');
      expect(await within(nowhere[Symbol.asyncDispose]())).toBeUndefined();
      expect((await nowhere.ready()).kind).toBe(first ? 'closed' : 'native');
    }
    // A net.Server taken over before anyone made it listen.
    const idle = tcp.Server.from(scheduler, createServer({ pauseOnConnect: true }));
    expect(await dispose(idle)).toBeUndefined();
    expect(serverHandles()).toBe(before);
  });

  it('releases the listening handle of a taken-over server, and leaves accepted clients open', async () => {
    const scheduler = makeScheduler();
    await settle();
    const before = serverHandles();
    for (const readMode of ['auto', 'readable'] as const) {
      const netServer = createServer({ allowHalfOpen: true, pauseOnConnect: true });
      const server = track(tcp.Server.from(scheduler, netServer, { readMode }));
      netServer.listen(0, '127.0.0.1');
      expect((await server.ready()).isOk()).toBe(true);
      // node:net's own 'close' waits for every connection the server accepted: dispose must not.
      const { client, peer } = await connectPair(scheduler, server);
      expect(await dispose(server)).toBeUndefined();
      expect(serverHandles(), readMode).toBe(before);
      expect((await peer.writeAll(Buffer.from('still open')))[0].isOk()).toBe(true);
      const [status, view] = await client.readSome(Buffer.alloc(16), { timeout: 10_000 });
      expect(status.isOk() && Buffer.from(view).toString()).toBe('still open');
    }
  });
});
