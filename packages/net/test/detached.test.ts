// A caller's buffer detached (ArrayBuffer.prototype.transfer, postMessage with a transfer list)
// while a call that holds it is pending: the call fails with InvalidArgumentError — never an
// exception thrown from a socket callback, never a call that does not settle — and nothing that
// arrived meanwhile is lost: the next call gets it.
import { InvalidArgumentError, task } from '@coro/task';
import { describe, expect, it } from 'vitest';
import { IoStatus, type tcp, udp } from '../src/index.ts';
import { connectPair, listen, makeScheduler, track } from './utils/net.ts';

const readModes: tcp.ServerOptions['readMode'][] = ['auto', 'readable'];

describe('a buffer detached while its call is pending', () => {
  for (const readMode of readModes) {
    it(`readSome fails when bytes arrive, and the next read gets them (readMode ${readMode})`, async () => {
      const scheduler = makeScheduler();
      const server = await listen(scheduler, { readMode });
      const { client, peer } = await connectPair(scheduler, server);
      const memory = new ArrayBuffer(64);
      const pending = peer.readSome(new Uint8Array(memory), { timeout: 5000 });
      memory.transfer();
      expect((await client.writeAll(Buffer.from('hello')))[0]).toBe(IoStatus.ok);
      await expect(pending).rejects.toThrow(InvalidArgumentError);
      await expect(pending).rejects.toThrow(/detached/);
      const [status, view] = await peer.readSome(Buffer.alloc(64), { timeout: 5000 });
      expect(status).toBe(IoStatus.ok);
      expect(Buffer.from(view).toString()).toBe('hello');
    });

    it(`readExact detached half-way fails, keeping what arrives after (readMode ${readMode})`, async () => {
      const scheduler = makeScheduler();
      const server = await listen(scheduler, { readMode });
      const { client, peer } = await connectPair(scheduler, server);
      const memory = new ArrayBuffer(8);
      const pending = peer.readExact(new Uint8Array(memory), { timeout: 5000 });
      await client.writeAll(Buffer.from('abc'));
      // The first bytes landed in the caller's buffer before it was detached: they are its.
      await new Promise((resolve) => setTimeout(resolve, 50));
      memory.transfer();
      await client.writeAll(Buffer.from('defgh'));
      await expect(pending).rejects.toThrow(InvalidArgumentError);
      const [status, view] = await peer.readSome(Buffer.alloc(64), { timeout: 5000 });
      expect(status).toBe(IoStatus.ok);
      expect(Buffer.from(view).toString()).toBe('defgh');
    });
  }

  it('a read whose deadline comes after the detach fails instead of throwing in the timer', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { peer } = await connectPair(scheduler, server);
    const memory = new ArrayBuffer(16);
    const pending = peer.readSome(new Uint8Array(memory), { timeout: 30 });
    memory.transfer();
    await expect(pending).rejects.toThrow(InvalidArgumentError);
    // The client is usable: another read starts (no SocketBusyError) and times out normally.
    const [status] = await peer.readSome(Buffer.alloc(4), { timeout: 30 });
    expect(status).toBe(IoStatus.timeout);
  });

  it('client.co: the detach is thrown at the yield*', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    const memory = new ArrayBuffer(32);
    const reader = task(function* () {
      try {
        yield* peer.co.readSome(new Uint8Array(memory), { timeout: 5000 });
        return 'no error';
      } catch (error) {
        return error instanceof InvalidArgumentError ? 'InvalidArgumentError' : String(error);
      }
    });
    const outcome = reader().start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    memory.transfer();
    await client.writeAll(Buffer.from('co'));
    expect(await outcome).toBe('InvalidArgumentError');
    const [, view] = await peer.readSome(Buffer.alloc(8), { timeout: 5000 });
    expect(Buffer.from(view).toString()).toBe('co');
  });

  it('writeAll of bytes detached while in flight fails, and the client writes on', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    // More than the kernel takes at once while nobody reads: the write waits, a chunk in flight.
    const memory = new ArrayBuffer(32 << 20);
    const pending = client.writeAll(new Uint8Array(memory), { timeout: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The write waits: a second one is refused as busy.
    expect(() => client.writeAll(Buffer.from('x'))).toThrow(/pending/);
    memory.transfer();
    const drain = (async () => {
      const buffer = Buffer.alloc(1 << 20);
      let total = 0;
      for (;;) {
        const [status, view] = await peer.readSome(buffer, { timeout: 2000 });
        if (!status.isOk()) return total;
        total += view.length;
      }
    })();
    await expect(pending).rejects.toThrow(InvalidArgumentError);
    await expect(pending).rejects.toThrow(/detached/);
    expect((await client.writeAll(Buffer.from('after')))[0]).toBe(IoStatus.ok);
    client.shutdown();
    const total = await drain;
    // What was handed to the kernel before the detach arrived, then 'after'; never all of it.
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThan(32 << 20);
  });

  it('udp recvFrom fails, and the datagram waits for the next recvFrom', async () => {
    const scheduler = makeScheduler();
    const peer = track(new udp.Peer(scheduler, { address: '127.0.0.1', port: 0 }));
    expect(await peer.ready()).toBe(IoStatus.ok);
    const memory = new ArrayBuffer(64);
    const pending = peer.recvFrom(new Uint8Array(memory), { timeout: 5000 });
    memory.transfer();
    expect(await peer.sendTo(peer.localAddress!, Buffer.from('dgram'))).toBe(IoStatus.ok);
    await expect(pending).rejects.toThrow(InvalidArgumentError);
    const [status, , view] = await peer.recvFrom(Buffer.alloc(64), { timeout: 5000 });
    expect(status).toBe(IoStatus.ok);
    expect(Buffer.from(view).toString()).toBe('dgram');
  });
});
