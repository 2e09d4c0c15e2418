// The same situations through the three ways to wait — yield* on client.co, a plain yield,
// the promise methods — which must agree: in-flight writes ended by close, reset, a peer reset
// or a stop; socket.write / cork / end / destroy on the handle path; readExact over bytes
// already here; one buffer read into with varying lengths. Run with CORO_NET_HANDLE_IO=off for
// the direct path; HOW=yield* (or yield, promise) runs one way only.
import { createConnection } from 'node:net';
import { task } from '@coro/task';
import { describe, expect, it } from 'vitest';
import { IoStatus, type tcp } from '../src/index.ts';
import { connectPair, listen, makeScheduler, pattern, readAll, track } from './utils/net.ts';

type How = 'yield*' | 'yield' | 'promise';
const ways: readonly How[] = process.env.HOW
  ? [process.env.HOW as How]
  : ['yield*', 'yield', 'promise'];

/** `peer.writeAll(data, options)` the way `how` says. */
function writeAllVia(
  how: How,
  peer: tcp.Client,
  data: Uint8Array,
  options?: { timeout?: number; signal?: AbortSignal },
): Promise<tcp.WriteResult> {
  if (how === 'promise') return peer.writeAll(data, options);
  if (how === 'yield') {
    return task(function* () {
      return (yield peer.co.writeAll(data, options)) as tcp.WriteResult;
    })().start();
  }
  return task(function* () {
    return yield* peer.co.writeAll(data, options);
  })().start();
}

async function rawPeer(scheduler: ReturnType<typeof makeScheduler>) {
  const server = await listen(scheduler);
  const raw = createConnection({ port: server.port, host: '127.0.0.1' });
  raw.pause();
  const accepted = await server.accept({ timeout: 10_000 });
  if (!accepted.ok) throw new Error(String(accepted.error));
  return { raw, peer: track(accepted.value) };
}

describe('yield*, yield and the promise methods agree on writes in flight', () => {
  for (const how of ways) {
    const run = (
      peer: tcp.Client,
      data: Uint8Array,
      options?: { timeout?: number; signal?: AbortSignal },
    ) => writeAllVia(how, peer, data, options);

    it(`close() during a big write in flight (${how})`, async () => {
      const scheduler = makeScheduler();
      const { raw, peer } = await rawPeer(scheduler);
      expect(peer.writeMode).toBe(process.env.CORO_NET_HANDLE_IO === 'off' ? 'direct' : 'handle');
      const data = Buffer.alloc(32 << 20, 1);
      const p = run(peer, data);
      await scheduler.yieldFor(50);
      peer.close();
      const [status, rest] = await p;
      expect(status).toBe(IoStatus.closed);
      expect(rest.length).toBeGreaterThan(0);
      raw.destroy();
    });

    it(`reset() during a big write in flight (${how})`, async () => {
      const scheduler = makeScheduler();
      const { raw, peer } = await rawPeer(scheduler);
      const data = Buffer.alloc(32 << 20, 1);
      const p = run(peer, data);
      await scheduler.yieldFor(50);
      peer.reset();
      const [status, rest] = await p;
      expect(status).toBe(IoStatus.closed);
      expect(rest.length).toBeGreaterThan(0);
      raw.destroy();
    });

    it(`peer reset during a big write in flight (${how})`, async () => {
      const scheduler = makeScheduler();
      const { raw, peer } = await rawPeer(scheduler);
      const data = Buffer.alloc(32 << 20, 1);
      const p = run(peer, data, { timeout: 10_000 });
      await scheduler.yieldFor(50);
      raw.resetAndDestroy();
      const [status, rest] = await p;
      expect(status.isOk()).toBe(false);
      expect(rest.length).toBeGreaterThan(0);
      const [again] = await peer.writeAll(Buffer.from('x'));
      expect(again.isOk()).toBe(false);
    });

    it(`signal stop during a big write in flight (${how})`, async () => {
      const scheduler = makeScheduler();
      const { raw, peer } = await rawPeer(scheduler);
      const data = Buffer.alloc(32 << 20, 1);
      const c = new AbortController();
      const p = run(peer, data, { signal: c.signal });
      await scheduler.yieldFor(50);
      c.abort();
      const [status, rest] = await p;
      expect(status).toBe(IoStatus.cancelled);
      expect(rest.length).toBeGreaterThan(0);
      raw.destroy();
    });

    it(`socket.write during a big write in flight keeps bytes in order (${how})`, async () => {
      const scheduler = makeScheduler();
      const server = await listen(scheduler);
      const { client, peer } = await connectPair(scheduler, server);
      const data = pattern(8 << 20, 3);
      const reading = readAll(client);
      const p = run(peer, data, { timeout: 10_000 });
      peer.socket!.write(Buffer.from('TAIL'));
      const [status] = await p;
      const [after] = await peer.writeAll(Buffer.from('END'));
      expect(after).toBe(IoStatus.ok);
      peer.shutdown();
      const got = await reading;
      expect(status).toBe(IoStatus.ok);
      expect(got.bytes.length).toBe(data.length + 7);
      expect(got.bytes.subarray(got.bytes.length - 3).toString()).toBe('END');
      const tail = got.bytes.indexOf('TAIL');
      expect(tail).toBeGreaterThanOrEqual(0);
      expect(
        Buffer.concat([
          got.bytes.subarray(0, tail),
          got.bytes.subarray(tail + 4, got.bytes.length - 3),
        ]).equals(data),
      ).toBe(true);
    });
  }
});

describe('yield*, yield and the promise methods agree on reads', () => {
  for (const how of ways) {
    const read = (
      peer: tcp.Client,
      buf: Uint8Array,
      exact: boolean,
      options?: { timeout?: number; signal?: AbortSignal },
    ) =>
      how === 'promise'
        ? exact
          ? peer.readExact(buf, options)
          : peer.readSome(buf, options)
        : how === 'yield'
          ? task(function* () {
              return (yield exact
                ? peer.co.readExact(buf, options)
                : peer.co.readSome(buf, options)) as tcp.ReadResult;
            })().start()
          : task(function* () {
              return yield* exact
                ? peer.co.readExact(buf, options)
                : peer.co.readSome(buf, options);
            })().start();

    it(`readExact with partial data aside, then more (${how})`, async () => {
      const scheduler = makeScheduler();
      const server = await listen(scheduler);
      const { client, peer } = await connectPair(scheduler, server);
      const data = pattern(300, 5);
      await client.writeAll(data.subarray(0, 150));
      await scheduler.yieldFor(20);
      const first = Buffer.alloc(100);
      const [s1, v1] = await read(peer, first, true, { timeout: 5000 });
      expect(s1).toBe(IoStatus.ok);
      expect(Buffer.from(v1).equals(data.subarray(0, 100))).toBe(true);
      const second = Buffer.alloc(150);
      const p = read(peer, second, true, { timeout: 5000 });
      await scheduler.yieldFor(20);
      await client.writeAll(data.subarray(150, 200));
      await scheduler.yieldFor(20);
      await client.writeAll(data.subarray(200));
      const [s2, v2] = await p;
      expect(s2).toBe(IoStatus.ok);
      expect(v2.length).toBe(150);
      expect(Buffer.from(v2).equals(data.subarray(100, 250))).toBe(true);
      const rest = Buffer.alloc(100);
      const [s3, v3] = await read(peer, rest, false, { timeout: 5000 });
      expect(s3).toBe(IoStatus.ok);
      expect(Buffer.from(v3).equals(data.subarray(250))).toBe(true);
    });

    it(`the same buffer with different lengths gives right views (${how})`, async () => {
      const scheduler = makeScheduler();
      const server = await listen(scheduler);
      const { client, peer } = await connectPair(scheduler, server);
      const buf = Buffer.alloc(64);
      const seen: Uint8Array[] = [];
      for (const [i, n] of [5, 5, 7, 5, 64, 3, 3].entries()) {
        const p = read(peer, buf.subarray(0, 64), false, { timeout: 5000 });
        const bytes = pattern(n, i + 1);
        await client.writeAll(bytes);
        const [s, v] = await p;
        expect(s).toBe(IoStatus.ok);
        expect(v.length).toBe(n);
        expect(Buffer.from(v).equals(bytes)).toBe(true);
        seen.push(v);
      }
      // now reuse exactly the same buffer object
      const lens = [5, 5, 9, 5];
      for (const [i, n] of lens.entries()) {
        const p = read(peer, buf, false, { timeout: 5000 });
        const bytes = pattern(n, 50 + i);
        await client.writeAll(bytes);
        const [s, v] = await p;
        expect(s).toBe(IoStatus.ok);
        expect(v.length).toBe(n);
        expect(Buffer.from(v).equals(bytes)).toBe(true);
      }
    });

    it(`deadline and stop on a read that waits, then data (${how})`, async () => {
      const scheduler = makeScheduler();
      const server = await listen(scheduler);
      const { client, peer } = await connectPair(scheduler, server);
      const buf = Buffer.alloc(16);
      const [t, tv] = await read(peer, buf, false, { timeout: 30 });
      expect(t).toBe(IoStatus.timeout);
      expect(tv.length).toBe(0);
      const c = new AbortController();
      const p = read(peer, buf, true, { signal: c.signal });
      await client.writeAll(Buffer.from('abc'));
      await scheduler.yieldFor(20);
      c.abort();
      const [s, v] = await p;
      expect(s).toBe(IoStatus.cancelled);
      expect(Buffer.from(v).toString()).toBe('abc');
      const c2 = new AbortController();
      c2.abort();
      await client.writeAll(Buffer.from('xyz'));
      await scheduler.yieldFor(20);
      const [s2, v2] = await read(peer, buf, false, { signal: c2.signal, timeout: 0 });
      expect(s2).toBe(IoStatus.ok);
      expect(Buffer.from(v2).toString()).toBe('xyz');
      const [s3, v3] = await read(peer, buf, false, { signal: c2.signal });
      expect(s3).toBe(IoStatus.cancelled);
      expect(v3.length).toBe(0);
      const [s4] = await read(peer, buf, false, { timeout: 0 });
      expect(s4).toBe(IoStatus.timeout);
    });
  }
});

describe('yield*, yield and the promise methods agree on writes through client.socket', () => {
  for (const how of ways) {
    const run = (peer: tcp.Client, data: Uint8Array) => writeAllVia(how, peer, data);
    it(`cork + socket.write + writeAll + uncork keeps order; destroy then write is closed (${how})`, async () => {
      const scheduler = makeScheduler();
      const server = await listen(scheduler);
      const { client, peer } = await connectPair(scheduler, server);
      const reading = readAll(client);
      const s = peer.socket!;
      s.cork();
      const [a] = await run(peer, Buffer.from('A'));
      s.write('B');
      const p = run(peer, Buffer.from('C'));
      s.uncork();
      const [c] = await p;
      const [d] = await run(peer, Buffer.from('D'));
      expect([a, c, d]).toEqual([IoStatus.ok, IoStatus.ok, IoStatus.ok]);
      s.end();
      const [e] = await run(peer, Buffer.from('E'));
      expect(e).toBe(IoStatus.closed);
      const got = await reading;
      expect(got.bytes.toString()).toBe('ABCD');
    });
    it(`socket.destroy() on the handle path: next write is closed (${how})`, async () => {
      const scheduler = makeScheduler();
      const server = await listen(scheduler);
      const { peer } = await connectPair(scheduler, server);
      const [a] = await run(peer, Buffer.from('A'));
      expect(a).toBe(IoStatus.ok);
      peer.socket!.destroy();
      const [b] = await run(peer, Buffer.from('B'));
      expect(b).toBe(IoStatus.closed);
    });
  }
});
