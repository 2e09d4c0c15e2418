import { describe, expect, it } from 'vitest';
import { tcp } from '../src/index.ts';
import { connectPair, listen, makeScheduler, track } from './utils/net.ts';

describe('tcp under load', () => {
  it('serves 5,000 concurrent connections', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler, { backlog: 4096 });
    const count = 5000;
    let served = 0;
    const serving = (async () => {
      const handlers: Promise<void>[] = [];
      for await (const client of server) {
        track(client);
        handlers.push(
          (async () => {
            const [status, view] = await client.readExact(Buffer.alloc(4), { timeout: 60_000 });
            if (status.isOk()) await client.writeAll(view);
            served++;
          })(),
        );
        if (handlers.length === count) break;
      }
      await Promise.all(handlers);
    })();
    const clients: tcp.Client[] = [];
    // Connect in batches (the SYN queue is finite), keeping every connection open.
    for (let i = 0; i < count; i += 500) {
      const batch = Array.from({ length: Math.min(500, count - i) }, () =>
        track(new tcp.Client(scheduler, { address: '127.0.0.1', port: server.port })),
      );
      const statuses = await Promise.all(batch.map((c) => c.connect({ timeout: 60_000 })));
      expect(statuses.filter((s) => s !== 'connected')).toEqual([]);
      clients.push(...batch);
    }
    expect(clients.every((c) => c.isConnected)).toBe(true);
    const replies = await Promise.all(
      clients.map(async (client, i) => {
        const message = Buffer.alloc(4);
        message.writeUInt32BE(i);
        await client.writeAll(message);
        const [status, view] = await client.readExact(Buffer.alloc(4), { timeout: 60_000 });
        return status.isOk() && Buffer.from(view).readUInt32BE() === i;
      }),
    );
    await serving;
    expect(replies.filter((ok) => !ok).length).toBe(0);
    expect(served).toBe(count);
    for (const client of clients) client.close();
  }, 120_000);

  it('keeps memory bounded for a slow reader under a fast writer', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    const total = 128 << 20;
    const chunk = Buffer.alloc(1 << 20, 1);
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const writing = (async () => {
      for (let sent = 0; sent < total; sent += chunk.length) {
        const [status] = await peer.writeAll(chunk, { timeout: 60_000 });
        if (!status.isOk()) throw new Error(`write failed: ${status}`);
      }
      peer.shutdown();
    })();
    // The reader takes 16 KiB per turn of the event loop: far slower than the writer.
    const buffer = Buffer.alloc(16 * 1024);
    let received = 0;
    for (let reads = 0; ; reads++) {
      const [status, view] = await client.readSome(buffer, { timeout: 60_000 });
      if (!status.isOk()) {
        expect(status.kind).toBe('closed');
        break;
      }
      received += view.length;
      if (reads % 64 === 0) {
        peak = Math.max(peak, process.memoryUsage().rss);
        await scheduler.yield();
      }
    }
    await writing;
    expect(received).toBe(total);
    // Nothing piles up: the writer waits for the kernel, the reader's side stops reading.
    // The bound is generous (allocator noise), and far below the 128 MiB that went through.
    const growth = peak - before;
    if (process.env.CORO_TEST_VERBOSE)
      console.log(`slow reader: RSS growth ${(growth / 2 ** 20).toFixed(1)} MiB`);
    expect(growth, `RSS grew ${(growth / 2 ** 20).toFixed(1)} MiB`).toBeLessThan(48 << 20);
  }, 120_000);

  it('keeps memory bounded for a slow reader in readable mode (flowing, paused when full)', async () => {
    const scheduler = makeScheduler();
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc === undefined) throw new Error('this test needs --expose-gc (see vitest.config.ts)');
    const server = await listen(scheduler, { readMode: 'readable' });
    const { client, peer } = await connectPair(scheduler, server);
    expect(peer.readMode).toBe('readable');
    const total = 128 << 20;
    const chunk = Buffer.alloc(1 << 20, 1);
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const writing = (async () => {
      for (let sent = 0; sent < total; sent += chunk.length) {
        const [status] = await client.writeAll(chunk, { timeout: 60_000 });
        if (!status.isOk()) throw new Error(`write failed: ${status}`);
      }
      client.shutdown();
    })();
    const buffer = Buffer.alloc(16 * 1024);
    let received = 0;
    for (let reads = 0; ; reads++) {
      const [status, view] = await peer.readSome(buffer, { timeout: 60_000 });
      if (!status.isOk()) {
        expect(status.kind).toBe('closed');
        break;
      }
      for (let i = 0; i < view.length; i += 4096) {
        if (view[i] !== 1) throw new Error(`byte ${received + i} is ${view[i]}`);
      }
      received += view.length;
      if (reads % 64 === 0) {
        // Flowing mode makes a Buffer per chunk: 128 MiB of garbage whose collection time
        // varies with the machine's load. Collect it before each sample, so the peak measures
        // what the connection holds (an unbounded stash would hold up to the whole 128 MiB).
        gc();
        peak = Math.max(peak, process.memoryUsage().rss);
        await scheduler.yield();
      }
    }
    await writing;
    expect(received).toBe(total);
    const growth = peak - before;
    expect(growth, `RSS grew ${(growth / 2 ** 20).toFixed(1)} MiB`).toBeLessThan(48 << 20);
  }, 120_000);

  it('an idle connection holds no read buffer of its own', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler, { backlog: 2048 });
    globalThis.gc?.();
    const before = process.memoryUsage().arrayBuffers;
    const pairs = [];
    for (let i = 0; i < 5; i++) {
      pairs.push(
        ...(await Promise.all(Array.from({ length: 200 }, () => connectPair(scheduler, server)))),
      );
    }
    // Every connection has read something, so each has had its read path set up.
    await Promise.all(
      pairs.map(async ({ client, peer }) => {
        await client.writeAll(Buffer.from('hi'));
        const [status] = await peer.readExact(Buffer.alloc(2), { timeout: 60_000 });
        expect(status.isOk()).toBe(true);
      }),
    );
    expect(
      pairs.every(({ client, peer }) => client.readMode === 'onread' && peer.readMode === 'onread'),
    ).toBe(true);
    const growth = process.memoryUsage().arrayBuffers - before;
    // 2,000 sockets with a 64 KiB buffer each would be 125 MiB.
    expect(
      growth,
      `buffers grew ${(growth / 2 ** 20).toFixed(1)} MiB for 2,000 sockets`,
    ).toBeLessThan(16 << 20);
  }, 120_000);

  it('many pairs at once each keep their own bytes', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const pairs = await Promise.all(
      Array.from({ length: 50 }, () => connectPair(scheduler, server)),
    );
    await Promise.all(
      pairs.map(async ({ client, peer }, i) => {
        const data = Buffer.alloc(200_000, i);
        const [[w], [r, view]] = await Promise.all([
          client.writeAll(data),
          peer.readExact(Buffer.alloc(200_000), { timeout: 60_000 }),
        ]);
        expect(w.isOk() && r.isOk()).toBe(true);
        expect(Buffer.from(view).equals(data)).toBe(true);
      }),
    );
  }, 60_000);
});
