// client.co: reads and writes as operations a coroutine task waits on without a promise.
import { createConnection } from 'node:net';
import { InvalidArgumentError, type Suspendable, suspend, task } from '@coro/task';
import { describe, expect, it } from 'vitest';
import { IoStatus, SocketBusyError, tcp } from '../src/index.ts';
import {
  connectPair,
  echo,
  freePort,
  listen,
  makeScheduler,
  pattern,
  readAll,
  track,
} from './utils/net.ts';

/** Echoes with a coroutine until the peer closes; resolves with the bytes echoed. */
const coEcho = task(function* (client: tcp.Client, chunk: number) {
  const buffer = Buffer.allocUnsafe(chunk);
  let total = 0;
  for (;;) {
    const [status, view] = yield* client.co.readSome(buffer, { timeout: 30_000 });
    if (!status.isOk()) break;
    const [written, rest] = yield* client.co.writeAll(view, { timeout: 30_000 });
    if (!written.isOk()) throw new Error(`write failed: ${written} (${rest.length} left)`);
    total += view.length;
  }
  client.shutdown();
  return total;
});

describe('client.co (coroutine reads and writes)', () => {
  for (const mode of ['auto', 'readable'] as const) {
    it(`echoes 1 B to 8 MiB through a coroutine (${mode} read mode)`, async () => {
      const scheduler = makeScheduler();
      const server = await listen(scheduler, { readMode: mode });
      for (const size of [1, 36, 64 * 1024 + 3, 8 * 1024 * 1024]) {
        const { client, peer } = await connectPair(scheduler, server);
        expect(peer.readMode).toBe(mode === 'auto' ? 'onread' : 'readable');
        const serving = coEcho(peer, 16 * 1024).start();
        const data = pattern(size, size);
        const [reading, [sent]] = await Promise.all([
          readAll(client, size),
          client.writeAll(data, { timeout: 30_000 }),
        ]);
        expect(sent).toBe(IoStatus.ok);
        expect(reading.bytes.equals(data)).toBe(true);
        client.shutdown();
        expect(await serving).toBe(size);
        client.close();
      }
    });
  }

  it('reads exactly, many times within one arrival (the rest stays aside in order)', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    const data = pattern(200_003, 7);
    const reader = task(function* () {
      const parts: Buffer[] = [];
      const piece = Buffer.alloc(7);
      let reads = 0;
      for (;;) {
        const [status, view] = yield* peer.co.readExact(piece, { timeout: 30_000 });
        if (view.length > 0) parts.push(Buffer.from(view));
        if (!status.isOk()) return { status, bytes: Buffer.concat(parts), reads };
        reads++;
      }
    })().start();
    // Many small writes and one large one: arrivals hold many pieces, and end mid-piece.
    for (let offset = 0; offset < 100_000; offset += 1000) {
      const [sent] = await client.writeAll(data.subarray(offset, offset + 1000));
      expect(sent).toBe(IoStatus.ok);
    }
    await client.writeAll(data.subarray(100_000));
    client.shutdown();
    const { status, bytes, reads } = await reader;
    expect(status.kind).toBe('closed');
    expect(reads).toBe(Math.floor(data.length / 7));
    // The last partial piece comes with the closed status.
    expect(bytes.equals(data)).toBe(true);
  });

  it('waits with a deadline, then reads on (timeout resumes the coroutine, not the socket)', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    const result = task(function* () {
      const buffer = Buffer.alloc(16);
      const [first, empty] = yield* peer.co.readSome(buffer, { timeout: 30 });
      const [second, view] = yield* peer.co.readSome(buffer, { timeout: 10_000 });
      return { first, empty: empty.length, second, text: Buffer.from(view).toString() };
    })().start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await client.writeAll(Buffer.from('late'));
    const { first, empty, second, text } = await result;
    expect(first).toBe(IoStatus.timeout);
    expect(empty).toBe(0);
    expect(second).toBe(IoStatus.ok);
    expect(text).toBe('late');
    // Both deadlines are gone: the one that fired and the one the data beat.
    expect(scheduler.isEmpty).toBe(true);
  });

  it('ends a read with cancelled when the signal stops, and with closed on close()', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { peer } = await connectPair(scheduler, server);
    const controller = new AbortController();
    const cancelled = task(function* () {
      const [status] = yield* peer.co.readSome(Buffer.alloc(8), { signal: controller.signal });
      return status;
    })().start();
    setTimeout(() => controller.abort(), 20);
    expect(await cancelled).toBe(IoStatus.cancelled);
    expect(scheduler.isEmpty).toBe(true);
    const closed = task(function* () {
      const [status] = yield* peer.co.readSome(Buffer.alloc(8));
      return status;
    })().start();
    setTimeout(() => peer.close(), 20);
    expect((await closed).kind).toBe('closed');
  });

  it('may close its client in the step a read resumed (inside the socket callback)', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    const result = task(function* () {
      const buffer = Buffer.alloc(4);
      // 10 bytes arrive at once: 4 read, 6 left aside, and the client closed right there.
      const [first, view] = yield* peer.co.readSome(buffer, { timeout: 10_000 });
      const text = Buffer.from(view).toString();
      peer.close();
      const [after] = yield* peer.co.readSome(buffer);
      const [written] = yield* peer.co.writeAll(Buffer.from('x'));
      return { first, text, after, written };
    })().start();
    await client.writeAll(Buffer.from('0123456789'));
    const { first, text, after, written } = await result;
    expect(first).toBe(IoStatus.ok);
    expect(text).toBe('0123');
    expect(after.kind).toBe('closed');
    expect(written.kind).toBe('closed');
    const [end] = await client.readSome(Buffer.alloc(4), { timeout: 10_000 });
    expect(end.isOk()).toBe(false);
  });

  it('gives a reset peer as connectionReset, and a write to it as a failure', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    const result = task(function* () {
      const [status] = yield* peer.co.readSome(Buffer.alloc(8), { timeout: 10_000 });
      const [written] = yield* peer.co.writeAll(Buffer.from('x'));
      return { status, written };
    })().start();
    client.reset();
    const { status, written } = await result;
    expect(status.kind).toBe('connectionReset');
    expect(written.isOk()).toBe(false);
  });

  it('times out a write to a peer that does not read, with the unsent rest', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    // A raw peer that never reads: the kernel's buffers fill, then the write waits.
    const port = server.port;
    const raw = createConnection({ port, host: '127.0.0.1' });
    raw.pause();
    const accepted = await server.accept({ timeout: 10_000 });
    if (!accepted.ok) throw new Error(String(accepted.error));
    const peer = track(accepted.value);
    const data = Buffer.alloc(64 * 1024 * 1024, 1);
    const [status, rest] = await task(function* () {
      return yield* peer.co.writeAll(data, { timeout: 200 });
    })();
    expect(status).toBe(IoStatus.timeout);
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.length).toBeLessThan(data.length);
    expect(peer.isConnected).toBe(false);
    raw.destroy();
  });

  it('throws bad input and a busy socket at the yield, where the body can catch it', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { peer } = await connectPair(scheduler, server);
    const errors = await task(function* () {
      const caught: unknown[] = [];
      for (const op of [
        () => peer.co.readSome('text' as never),
        () => peer.co.readSome(Buffer.alloc(4), { timeout: -1 }),
        () => peer.co.writeAll(42 as never),
      ]) {
        try {
          yield* op();
        } catch (error) {
          caught.push(error);
        }
      }
      const pending = peer.readSome(Buffer.alloc(4));
      try {
        yield* peer.co.readSome(Buffer.alloc(4));
      } catch (error) {
        caught.push(error);
      }
      peer.close();
      yield pending;
      return caught;
    })();
    expect(errors).toHaveLength(4);
    expect(errors.slice(0, 3).every((e) => e instanceof InvalidArgumentError)).toBe(true);
    expect(errors[3]).toBeInstanceOf(SocketBusyError);
  });

  it('waits on an operation once; await gets its result through a promise', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    const op = peer.co.readSome(Buffer.alloc(8));
    await client.writeAll(Buffer.from('hi'));
    const [status, view] = await op;
    expect(status).toBe(IoStatus.ok);
    expect(Buffer.from(view).toString()).toBe('hi');
    await expect(Promise.resolve().then(() => op.then())).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    const again = await task(function* () {
      try {
        yield op;
        return 'resumed';
      } catch (error) {
        return error;
      }
    })();
    expect(again).toBeInstanceOf(InvalidArgumentError);
  });

  it('reuses an operation once its call is over, never one whose call is pending', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    const first = Buffer.alloc(2);
    const second = Buffer.alloc(2);
    const result = task(function* () {
      const a = peer.co.readExact(first);
      yield* a;
      // a's call is over: the next read is the same object, reading into its own buffer.
      const b = peer.co.readExact(second);
      const [status] = yield* b;
      // While a call waits, another read is a new operation (and a busy socket).
      const pending = peer.readSome(Buffer.alloc(1));
      const c = peer.co.readSome(Buffer.alloc(1));
      let busy: unknown;
      try {
        yield* c;
      } catch (error) {
        busy = error;
      }
      peer.close();
      yield pending;
      return { same: a === b, fresh: c !== b, status, busy };
    })().start();
    await client.writeAll(Buffer.from('ab'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await client.writeAll(Buffer.from('cd'));
    const { same, fresh, status, busy } = await result;
    expect(same).toBe(true);
    expect(fresh).toBe(true);
    expect(status).toBe(IoStatus.ok);
    expect([first.toString(), second.toString()]).toEqual(['ab', 'cd']);
    expect(busy).toBeInstanceOf(SocketBusyError);
  });

  it('waiting on an operation a second time with yield* throws, as with yield', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    await client.writeAll(Buffer.from('hi'));
    const outcome = await task(function* () {
      const op = peer.co.readSome(Buffer.alloc(8), { timeout: 10_000 });
      const [first] = yield* op;
      try {
        const again = yield* op;
        return { first, again };
      } catch (error) {
        return { first, error };
      }
    })();
    expect(outcome.first.isOk()).toBe(true);
    // Not undefined (which the body's destructuring would meet as a TypeError).
    expect(outcome).not.toHaveProperty('again');
    expect((outcome as { error?: unknown }).error).toBeInstanceOf(InvalidArgumentError);
  });

  it('does not reuse an operation whose yield* has not taken its result yet', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    const mine = Buffer.alloc(8);
    const theirs = Buffer.alloc(8);
    const controller = new AbortController();
    // A reads with yield*; a stop settles the read, and the coroutine resumes after this job.
    const a = task(function* () {
      return yield* peer.co.readSome(mine, { signal: controller.signal });
    })().start();
    await scheduler.yieldFor(10);
    controller.abort();
    // Meanwhile other code makes its own read operation, to wait on later.
    const op = peer.co.readSome(theirs, { timeout: 10_000 });
    const [status, view] = await a;
    // A gets its own call's result, not a second call started with the other operation.
    expect(status.kind).toBe('cancelled');
    expect(view.buffer).toBe(mine.buffer);
    // And the other operation is still there to wait on, once.
    const b = task(function* () {
      return yield* op;
    })().start();
    await client.writeAll(Buffer.from('hi'));
    const [got, bytes] = await b;
    expect(got.isOk()).toBe(true);
    expect(bytes.buffer).toBe(theirs.buffer);
    expect(Buffer.from(bytes).toString()).toBe('hi');
  });

  it('ends a yield* whose call is over at once without suspending; others wait for the runner', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    await client.writeAll(Buffer.from('hi'));
    expect(await peer.poll('read', { timeout: 10_000 })).toBe('read');
    const big = Buffer.alloc(32 << 20, 7);
    const steps: string[] = [];
    const body = function* () {
      const [written] = yield* peer.co.writeAll(Buffer.from('x'));
      steps.push(`write ${written.kind}`);
      const [read, view] = yield* peer.co.readSome(Buffer.alloc(8));
      steps.push(`read ${read.kind} ${Buffer.from(view).toString()}`);
      const [later, bytes] = yield* peer.co.readSome(Buffer.alloc(8), { timeout: 10_000 });
      steps.push(`read ${later.kind} ${Buffer.from(bytes).toString()}`);
      return yield* peer.co.writeAll(big, { timeout: 30_000 });
    };
    /** Gives `op` a continuation (as a runner does); returns what it got at once, if anything. */
    const waitOn = (op: unknown) => {
      let got: unknown;
      (op as Suspendable<unknown>)[suspend]({
        resume: (result) => {
          got = result;
        },
        fail: (error) => {
          throw error;
        },
      });
      return got;
    };
    // Driven by hand, with no runner: the first two calls end inside the first next().
    const gen = body();
    const first = gen.next();
    expect(steps).toEqual(['write ok', 'read ok hi']);
    expect(first.done).toBe(false);
    // The third read waits: it yielded without starting (no read is pending on the socket).
    expect(peer.recv(Buffer.alloc(0))[0]).toBe(IoStatus.ok);
    await client.writeAll(Buffer.from('later'));
    expect(await peer.poll('read', { timeout: 10_000 })).toBe('read');
    // Started by the runner's continuation, it finds the bytes and resumes it at once.
    const got = waitOn(first.value) as tcp.ReadResult;
    expect(got[0]).toBe(IoStatus.ok);
    // The big write starts in the next() and stays in flight: the client reads nothing yet.
    const second = gen.next(got as never);
    expect(steps[2]).toBe('read ok later');
    expect(second.done).toBe(false);
    const sink = Buffer.alloc(1 + big.length);
    const [drained] = await client.readExact(sink, { timeout: 30_000 });
    expect(drained.isOk() && sink[0] === 'x'.charCodeAt(0) && sink.subarray(1).equals(big)).toBe(
      true,
    );
    // Once it is over (a new write no longer finds the socket busy), its result waits for the
    // runner, which gets it as soon as it asks.
    for (let tries = 0; ; tries++) {
      try {
        await peer.writeSome(Buffer.alloc(0));
        break;
      } catch (error) {
        expect(error).toBeInstanceOf(SocketBusyError);
        expect(tries).toBeLessThan(1000);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    const result = waitOn(second.value) as tcp.WriteResult;
    expect(result?.[0]).toBe(IoStatus.ok);
    expect(result?.[1].length).toBe(0);
    expect(gen.next(result as never)).toEqual({ done: true, value: result });
  });

  it('gives a client that is not connected the same status as the promise methods', async () => {
    const scheduler = makeScheduler();
    const client = track(
      new tcp.Client(scheduler, { address: '127.0.0.1', port: await freePort(scheduler) }),
    );
    const [promised] = await client.readSome(Buffer.alloc(4));
    const [read, written] = await task(function* () {
      const [r] = yield* client.co.readSome(Buffer.alloc(4));
      const [w] = yield* client.co.writeAll(Buffer.from('x'));
      return [r, w] as const;
    })();
    expect(read.isOk()).toBe(false);
    expect(read.errno).toBe(promised.errno);
    expect(written.errno).toBe(promised.errno);
  });

  it('runs an operation made before connect() on the connection it is waited on after', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const client = track(new tcp.Client(scheduler, { address: '127.0.0.1', port: server.port }));
    // Made while not connected, waited on once connected, by yield*, yield and await.
    const write = client.co.writeAll(Buffer.from('ping'));
    const read = client.co.readExact(Buffer.alloc(4));
    const written = client.co.writeSome(Buffer.from('!'));
    const [connected, accepted] = await Promise.all([
      client.connect({ timeout: 10_000 }),
      server.accept({ timeout: 10_000 }),
    ]);
    expect(connected).toBe('connected');
    if (!accepted.ok) throw new Error(`accept failed: ${accepted.error}`);
    const peer = track(accepted.value);
    const echoing = echo(peer);
    const result = await task(function* () {
      const [w] = yield* write;
      const [r, view] = (yield read) as tcp.ReadResult;
      return [w, r, Buffer.from(view).toString()] as const;
    })();
    expect(result).toEqual([IoStatus.ok, IoStatus.ok, 'ping']);
    const [last] = await written;
    expect(last).toBe(IoStatus.ok);
    const [got, bang] = await client.readExact(Buffer.alloc(1), { timeout: 10_000 });
    expect(got.isOk() && Buffer.from(bang).toString()).toBe('!');
    client.shutdown();
    await echoing;
  });

  it('works with a plain yield (the suspend protocol) as with yield*', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    const result = task(function* () {
      const [status, view] = (yield peer.co.readExact(Buffer.alloc(5))) as tcp.ReadResult;
      const [written] = (yield peer.co.writeAll(view)) as tcp.WriteResult;
      return { status, written, text: Buffer.from(view).toString() };
    })().start();
    await client.writeAll(Buffer.from('hello'));
    const { status, written, text } = await result;
    expect([status, written, text]).toEqual([IoStatus.ok, IoStatus.ok, 'hello']);
    const [echoed, back] = await client.readExact(Buffer.alloc(5), { timeout: 10_000 });
    expect(echoed.isOk() && Buffer.from(back).toString()).toBe('hello');
  });

  it('serves 500 concurrent connections from coroutine handlers', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler, { backlog: 1024 });
    const served: Promise<number>[] = [];
    const accepting = (async () => {
      for (let i = 0; i < 500; i++) {
        const accepted = await server.accept({ timeout: 30_000 });
        if (!accepted.ok) throw new Error(String(accepted.error));
        served.push(coEcho(track(accepted.value), 1024).start());
      }
    })();
    const clients = await Promise.all(
      Array.from({ length: 500 }, async (_, i) => {
        const client = track(
          new tcp.Client(scheduler, { address: '127.0.0.1', port: server.port }),
        );
        expect(await client.connect({ timeout: 30_000 })).toBe('connected');
        const message = pattern(100 + (i % 50), i + 1);
        await client.writeAll(message);
        const [status, view] = await client.readExact(Buffer.alloc(message.length), {
          timeout: 30_000,
        });
        expect(status.isOk() && Buffer.from(view).equals(message)).toBe(true);
        client.shutdown();
        return message.length;
      }),
    );
    await accepting;
    const totals = await Promise.all(served);
    expect(totals.reduce((a, b) => a + b, 0)).toBe(clients.reduce((a, b) => a + b, 0));
  });
});
