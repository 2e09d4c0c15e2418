import { InvalidArgumentError } from '@coro/task';
import { describe, expect, it } from 'vitest';
import { InvalidAddressError, IoStatus, SocketAddress, udp } from '../src/index.ts';
import { makeScheduler, track, loopbackZones } from './utils/net.ts';

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

async function boundPeer(scheduler: ReturnType<typeof makeScheduler>, address = '127.0.0.1') {
  const peer = track(new udp.Peer(scheduler, { address, port: 0 }));
  expect((await peer.ready()).isOk()).toBe(true);
  return peer;
}

describe('udp.Peer', () => {
  it('round-trips datagrams between two bound peers (127.0.0.1 and ::1)', async () => {
    const scheduler = makeScheduler();
    for (const address of ['127.0.0.1', '::1']) {
      const a = await boundPeer(scheduler, address);
      const b = await boundPeer(scheduler, address);
      expect(await a.sendTo(b.localAddress!, Buffer.from('ping'))).toBe(IoStatus.ok);
      const [status, from, view] = await b.recvFrom(Buffer.alloc(100), { timeout: 10_000 });
      expect(status.isOk()).toBe(true);
      expect(from?.equals(a.localAddress!)).toBe(true);
      expect(Buffer.from(view).toString()).toBe('ping');
      expect(await b.sendTo(from!, Buffer.from('pong'))).toBe(IoStatus.ok);
      const [back, , reply] = await a.recvFrom(Buffer.alloc(100), { timeout: 10_000 });
      expect(back.isOk() && Buffer.from(reply).toString()).toBe('pong');
    }
  });

  it('sends from an unbound peer, which cannot receive', async () => {
    const scheduler = makeScheduler();
    const server = await boundPeer(scheduler);
    const client = track(new udp.Peer(scheduler));
    expect(client.isBound).toBe(false);
    const [notBound] = await client.recvFrom(Buffer.alloc(10));
    expect(notBound.kind).toBe('udpNotBound');
    expect(await client.sendTo(server.localAddress!, Buffer.from('hello'))).toBe(IoStatus.ok);
    const [status, from, view] = await server.recvFrom(Buffer.alloc(10), { timeout: 10_000 });
    expect(status.isOk() && Buffer.from(view).toString()).toBe('hello');
    expect(from?.port).toBeGreaterThan(0);
  });

  it('refuses oversize datagrams whole, and flags truncated receives', async () => {
    const scheduler = makeScheduler();
    const a = await boundPeer(scheduler);
    const b = await boundPeer(scheduler);
    const tooBig = await a.sendTo(b.localAddress!, Buffer.alloc(70_000));
    expect(tooBig.kind).toBe('messageTooBig');
    expect(tooBig.errno).toBe('EMSGSIZE');
    expect(await a.sendTo(b.localAddress!, Buffer.from('0123456789'))).toBe(IoStatus.ok);
    const [status, , view] = await b.recvFrom(Buffer.alloc(4), { timeout: 10_000 });
    expect(status.kind).toBe('messageTooBig');
    expect(Buffer.from(view).toString()).toBe('0123');
    // The datagram after it is whole.
    expect(await a.sendTo(b.localAddress!, Buffer.from('ok'))).toBe(IoStatus.ok);
    const [next, , rest] = await b.recvFrom(Buffer.alloc(4), { timeout: 10_000 });
    expect(next.isOk() && Buffer.from(rest).toString()).toBe('ok');
  });

  it('polls, times out, cancels, iterates and closes', async () => {
    const scheduler = makeScheduler();
    const a = await boundPeer(scheduler);
    const b = await boundPeer(scheduler);
    expect(await b.poll('read', { timeout: 20 })).toBe('timeout');
    expect(await b.poll('write')).toBe('write');
    expect((await b.recvFrom(Buffer.alloc(1), { timeout: 20 }))[0].kind).toBe('timeout');
    expect((await b.recvFrom(Buffer.alloc(1), { timeout: 0 }))[0].kind).toBe('timeout');
    const controller = new AbortController();
    const receiving = b.recvFrom(Buffer.alloc(1), { signal: controller.signal });
    controller.abort();
    expect((await receiving)[0].kind).toBe('cancelled');
    expect(scheduler.isEmpty).toBe(true);
    const polling = b.poll('read', { timeout: 10_000 });
    await a.sendTo(b.localAddress!, Buffer.from('one'));
    expect(await polling).toBe('read');
    await a.sendTo(b.localAddress!, Buffer.from('two'));
    const seen: string[] = [];
    for await (const datagram of b) {
      seen.push(datagram.data.toString());
      expect(datagram.from.equals(a.localAddress!)).toBe(true);
      if (seen.length === 2) b.close();
    }
    expect(seen).toEqual(['one', 'two']);
    expect((await b.recvFrom(Buffer.alloc(1)))[0].kind).toBe('closed');
    expect((await b.sendTo(a.localAddress!, Buffer.from('x'))).kind).toBe('closed');
    expect(await b.poll('read')).toBe('closed');
  });

  it('reports a bind error, and bad input at the call', async () => {
    const scheduler = makeScheduler();
    const a = await boundPeer(scheduler);
    const clash = track(new udp.Peer(scheduler, a.localAddress!));
    const status = await clash.ready();
    expect(status.errno).toBe('EADDRINUSE');
    expect(() => new udp.Peer(scheduler, { address: 'nope', port: 1 })).toThrow(
      InvalidAddressError,
    );
    expect(() => new udp.Peer(scheduler, { port: 70_000 })).toThrow(InvalidAddressError);
    expect(() => new udp.Peer(scheduler, { maxQueued: 0 })).toThrow(/maxQueued/);
    expect(() => a.sendTo({ address: '1.2.3', port: 1 }, Buffer.alloc(1))).toThrow(
      InvalidAddressError,
    );
    expect(() => a.sendTo(new SocketAddress('127.0.0.1', 1), 'x' as never)).toThrow(/Uint8Array/);
    expect(() => a.recvFrom(Buffer.alloc(1), { timeout: -1 })).toThrow(/timeout/);
    expect(() => a.poll('up' as never)).toThrow(/poll op/);
    const pending = a.recvFrom(Buffer.alloc(1));
    expect(() => a.recvFrom(Buffer.alloc(1))).toThrow(/pending/);
    a.close();
    expect((await pending)[0].kind).toBe('closed');
  });

  it('drops datagrams beyond maxQueued instead of buffering without bound', async () => {
    const scheduler = makeScheduler();
    const a = await boundPeer(scheduler);
    const b = track(new udp.Peer(scheduler, { address: '127.0.0.1', port: 0, maxQueued: 4 }));
    await b.ready();
    for (let i = 0; i < 10; i++) await a.sendTo(b.localAddress!, Buffer.from([i]));
    // Wait until all ten have been seen (queued or dropped).
    for (let i = 0; i < 1000 && b.dropped < 6; i++) await scheduler.yieldFor(5);
    expect(b.dropped).toBe(6);
    const got: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [status, , view] = await b.recvFrom(Buffer.alloc(1), { timeout: 0 });
      expect(status.isOk()).toBe(true);
      got.push(view[0]!);
    }
    expect(got).toEqual([0, 1, 2, 3]);
  });

  it('a sendTo made while the bind fails, or before close(), resolves instead of hanging', async () => {
    const scheduler = makeScheduler();
    const a = await boundPeer(scheduler);
    const b = await boundPeer(scheduler);
    // node:dgram queues a send made while the socket binds, and forgets the queue (callbacks
    // included) when the bind fails.
    const clash = track(new udp.Peer(scheduler, a.localAddress!));
    const whileBinding = clash.sendTo(b.localAddress!, Buffer.from('x'));
    expect((await clash.ready()).errno).toBe('EADDRINUSE');
    const status = await within(whileBinding);
    expect(status !== 'hung' && status.errno).toBe('EADDRINUSE');
    // close() ends a send still waiting for the bind with `closed`.
    const closing = track(new udp.Peer(scheduler, { address: '127.0.0.1', port: 0 }));
    const beforeClose = closing.sendTo(b.localAddress!, Buffer.from('y'));
    closing.close();
    expect(await within(beforeClose)).toBe(IoStatus.closed);
  });

  it('a peer whose bind failed sends nothing from another port', async () => {
    const scheduler = makeScheduler();
    const a = await boundPeer(scheduler);
    const b = await boundPeer(scheduler);
    const clash = track(new udp.Peer(scheduler, a.localAddress!));
    expect((await clash.ready()).errno).toBe('EADDRINUSE');
    // node:dgram would bind the socket again, to an ephemeral port, for this send.
    const status = await within(clash.sendTo(b.localAddress!, Buffer.from('stray')));
    expect(status !== 'hung' && status.errno).toBe('EADDRINUSE');
    expect((await b.recvFrom(Buffer.alloc(8), { timeout: 200 }))[0].kind).toBe('timeout');
  });

  it('ready() resolves closed when close() comes before the bind completes', async () => {
    const scheduler = makeScheduler();
    // node:dgram drops a bind whose socket closed meanwhile: no 'listening', no 'error'.
    const peer = track(new udp.Peer(scheduler, { address: '127.0.0.1', port: 0 }));
    peer.close();
    expect(await within(peer.ready())).toBe(IoStatus.closed);
    expect(peer.localAddress).toBeUndefined();
  });

  it('sendTo an IPv6 zone that names no interface is EINVAL, as for tcp connect; a known zone sends', async () => {
    const scheduler = makeScheduler();
    const receiver = await boundPeer(scheduler, '::1');
    const port = receiver.localAddress!.port;
    // libuv alone would drop a zone it cannot resolve (a numeric one on Linux too) and send
    // through whichever interface it picks: the datagram would arrive, and sendTo say ok.
    for (const sender of [await boundPeer(scheduler, '::1'), track(new udp.Peer(scheduler))]) {
      for (const address of ['::1%nosuchif0', '::1%4000000000']) {
        const status = await sender.sendTo({ address, port }, Buffer.from('stray'));
        expect(status.kind, address).toBe('native');
        expect(status.errno, address).toBe('EINVAL');
      }
    }
    expect((await receiver.recvFrom(Buffer.alloc(8), { timeout: 200 }))[0].kind).toBe('timeout');
    // A zone that names an interface of this host, by name or by index, is passed on.
    const zones = loopbackZones();
    const sender = await boundPeer(scheduler, '::1');
    for (const zone of zones) {
      const address = `::1%${zone}`;
      expect(await sender.sendTo({ address, port }, Buffer.from(zone)), address).toBe(IoStatus.ok);
      const [status, , view] = await receiver.recvFrom(Buffer.alloc(16), { timeout: 10_000 });
      expect(status.isOk() && Buffer.from(view).toString(), address).toBe(zone);
    }
  });

  it('a peer bound to an IPv6 zone that names no interface fails with EINVAL, binding nothing', async () => {
    const scheduler = makeScheduler();
    for (const address of ['::1%nosuchif0', '::1%4000000000']) {
      const peer = track(new udp.Peer(scheduler, { address, port: 0 }));
      const status = await peer.ready();
      expect(status.kind, address).toBe('native');
      expect(status.errno, address).toBe('EINVAL');
      expect(peer.localAddress, address).toBeUndefined();
      const [received] = await peer.recvFrom(Buffer.alloc(8), { timeout: 1000 });
      expect(received.errno, address).toBe('EINVAL');
      const sent = await peer.sendTo({ address: '::1', port: 9 }, Buffer.from('x'));
      expect(sent.errno, address).toBe('EINVAL');
    }
  });

  it("a peer bound to '::' sends to IPv4 addresses from its own port", async () => {
    const scheduler = makeScheduler();
    const dual = await boundPeer(scheduler, '::');
    const v4 = await boundPeer(scheduler);
    expect(
      await v4.sendTo({ address: '127.0.0.1', port: dual.localAddress!.port }, Buffer.from('a')),
    ).toBe(IoStatus.ok);
    const [got, from] = await dual.recvFrom(Buffer.alloc(8), { timeout: 10_000 });
    expect(got.isOk() && String(from)).toBe(`[::ffff:127.0.0.1]:${v4.localAddress!.port}`);
    // The reply goes to the address as IPv4 text, not the mapped one it came from.
    expect(await dual.sendTo(v4.localAddress!, Buffer.from('b'))).toBe(IoStatus.ok);
    const [status, replyFrom] = await v4.recvFrom(Buffer.alloc(8), { timeout: 10_000 });
    expect(status.isOk()).toBe(true);
    expect(replyFrom?.port).toBe(dual.localAddress!.port);
  });

  it('a sendTo that says cancelled or timeout sent nothing; one handed to Node.js resolves once Node.js is done with the bytes', async () => {
    const scheduler = makeScheduler();
    const receiver = await boundPeer(scheduler);
    const to = receiver.localAddress!;
    /** The datagrams that arrive until none has come for `ms`. */
    const arrivals = async (ms = 200): Promise<string[]> => {
      const got: string[] = [];
      for (;;) {
        const [status, , view] = await receiver.recvFrom(Buffer.alloc(64), { timeout: ms });
        if (!status.isOk()) return got;
        got.push(Buffer.from(view).toString());
      }
    };
    /** Sends ORIGINAL, stops the signal right after the call, overwrites the bytes once it settled. */
    const stoppedSend = async (peer: udp.Peer): Promise<IoStatus> => {
      const controller = new AbortController();
      const bytes = Buffer.from('ORIGINAL');
      const sending = peer.sendTo(to, bytes, { signal: controller.signal });
      controller.abort();
      const status = await sending;
      bytes.write('MODIFIED'); // the call has settled: the buffer is the caller's again
      return status;
    };
    // An unbound peer's first send waits for its socket's bind, and so does one made while a
    // bound peer still binds: the stop ends that wait, and nothing is sent, then or later.
    const unbound = track(new udp.Peer(scheduler));
    expect(await stoppedSend(unbound)).toBe(IoStatus.cancelled);
    const binding = track(new udp.Peer(scheduler, { address: '127.0.0.1', port: 0 }));
    expect(await stoppedSend(binding)).toBe(IoStatus.cancelled);
    expect(await binding.ready()).toBe(IoStatus.ok);
    expect(await arrivals()).toEqual([]);
    // Once the socket is bound, the datagram is handed to Node.js at the call and cannot be
    // taken back: a stop after the call no longer ends it, and it resolves ok once Node.js is
    // done with the bytes — which are the ones given, never those written after.
    for (const peer of [unbound, binding]) {
      expect(await stoppedSend(peer)).toBe(IoStatus.ok);
      expect(await arrivals()).toEqual(['ORIGINAL']);
    }
    // A deadline, too, only ends the wait for the bind. `timeout: 0` takes no wait at all.
    const fresh = track(new udp.Peer(scheduler));
    expect(await fresh.sendTo(to, Buffer.from('never'), { timeout: 0 })).toBe(IoStatus.timeout);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await fresh.sendTo(to, Buffer.from('now'), { timeout: 0 })).toBe(IoStatus.ok);
    expect(await arrivals()).toEqual(['now']);
    for (const timeout of [1, 2, 5, 10]) {
      const bytes = Buffer.from('ORIGINAL');
      const status = await track(new udp.Peer(scheduler)).sendTo(to, bytes, { timeout });
      bytes.write('MODIFIED');
      expect(['ok', 'timeout'], String(timeout)).toContain(status.kind);
      expect(await arrivals(), String(timeout)).toEqual(status.isOk() ? ['ORIGINAL'] : []);
    }
    // close() ends a send still waiting for the bind with `closed`, and it is not sent after.
    const closing = track(new udp.Peer(scheduler, { address: '127.0.0.1', port: 0 }));
    const beforeClose = closing.sendTo(to, Buffer.from('closed'));
    closing.close();
    expect(await within(beforeClose)).toBe(IoStatus.closed);
    expect(await arrivals()).toEqual([]);
    // No deadline or stop registration is left behind.
    expect(scheduler.isEmpty).toBe(true);
  });

  it('a sendTo whose buffer is detached while it waits for the bind rejects, sending nothing', async () => {
    const scheduler = makeScheduler();
    const receiver = await boundPeer(scheduler);
    const memory = new ArrayBuffer(8);
    const bytes = new Uint8Array(memory);
    bytes.set(Buffer.from('detached'));
    const peer = track(new udp.Peer(scheduler));
    const sending = peer.sendTo(receiver.localAddress!, bytes);
    memory.transfer();
    await expect(sending).rejects.toThrow(InvalidArgumentError);
    await expect(sending).rejects.toThrow(/detached/);
    expect((await receiver.recvFrom(Buffer.alloc(16), { timeout: 200 }))[0]).toBe(IoStatus.timeout);
    // The peer is as it was: the next send goes out.
    expect(await peer.sendTo(receiver.localAddress!, Buffer.from('next'))).toBe(IoStatus.ok);
    const [status, , view] = await receiver.recvFrom(Buffer.alloc(16), { timeout: 10_000 });
    expect(status.isOk() && Buffer.from(view).toString()).toBe('next');
  });

  it('a bound sendTo reads its bytes in the call: a buffer detached right after sends no empty datagram', async () => {
    const scheduler = makeScheduler();
    const receiver = await boundPeer(scheduler);
    const sender = await boundPeer(scheduler);
    for (let round = 0; round < 3; round++) {
      const memory = new ArrayBuffer(4);
      const bytes = new Uint8Array(memory);
      bytes.set(Buffer.from('ABCD'));
      const sending = sender.sendTo(receiver.localAddress!, bytes);
      memory.transfer();
      // The call may report the detach (its buffer was taken while pending) ...
      await sending.catch((error: unknown) => expect(error).toBeInstanceOf(InvalidArgumentError));
      // ... but what went out are the bytes given at the call. Before, node:dgram read the
      // buffer a tick later (its address lookup) and sent a 0-byte datagram.
      const [status, , view] = await receiver.recvFrom(Buffer.alloc(16), { timeout: 10_000 });
      expect(status.isOk() && Buffer.from(view).toString()).toBe('ABCD');
    }
  });

  it('refuses port 0 as a destination at the call', async () => {
    const scheduler = makeScheduler();
    const peer = await boundPeer(scheduler);
    // Before, the status unknown(ERR_SOCKET_BAD_PORT), from inside node:dgram.
    expect(() => peer.sendTo(new SocketAddress('127.0.0.1', 0), Buffer.from('x'))).toThrow(
      InvalidAddressError,
    );
    expect(() => peer.sendTo({ address: '::1', port: 0 }, Buffer.from('x'))).toThrow(/port 0/);
  });

  it('await using waits until every socket of the peer is released', async () => {
    const scheduler = makeScheduler();
    const udpHandles = () => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
    const v6 = await boundPeer(scheduler, '::1');
    // Handles closed before this test was run are released at the end of a turn of the loop.
    await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
    const before = udpHandles();
    for (const bound of [true, false]) {
      const peer = bound
        ? new udp.Peer(scheduler, { address: '127.0.0.1', port: 0 })
        : new udp.Peer(scheduler);
      await peer.ready();
      // A second socket, for the other address family.
      expect(await peer.sendTo(v6.localAddress!, Buffer.from('x'))).toBe(IoStatus.ok);
      expect(udpHandles()).toBe(before + (bound ? 2 : 1));
      expect(await within(peer[Symbol.asyncDispose]())).toBeUndefined();
      expect(udpHandles()).toBe(before);
      // Closed already: it resolves at once.
      expect(await within(peer[Symbol.asyncDispose]())).toBeUndefined();
    }
    // A peer that never bound anything, and one whose bind failed.
    expect(await within(new udp.Peer(scheduler)[Symbol.asyncDispose]())).toBeUndefined();
    const clash = new udp.Peer(scheduler, v6.localAddress!);
    expect((await clash.ready()).errno).toBe('EADDRINUSE');
    expect(await within(clash[Symbol.asyncDispose]())).toBeUndefined();
    expect(udpHandles()).toBe(before);
  });
});
