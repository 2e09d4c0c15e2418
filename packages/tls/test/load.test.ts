// Many handshakes at once, with hostile clients holding connections open without a word.
import { once } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import { IoScheduler } from '@coro/io';
import { makeTestCertificates, type TestCertificates } from '@coro/test-certs';
import { task, whenAll } from '@coro/task';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Context, type HandshakeFailure, tls } from '../src/index.ts';

let certs: TestCertificates;
const scheduler = new IoScheduler();
const cleanups: (() => void)[] = [];
beforeAll(() => {
  certs = makeTestCertificates();
});
afterAll(() => certs.cleanup());
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

describe('tls.Server under load', () => {
  it('200 concurrent handshakes all complete and echo, while 20 silent clients are timed out', {
    timeout: 120_000,
  }, async () => {
    const failures: HandshakeFailure[] = [];
    const server = new tls.Server(scheduler, {
      address: '127.0.0.1',
      backlog: 1024,
      context: new Context({ cert: certs.server.cert, key: certs.server.key }),
      // Generous: 200 handshakes take a few seconds on a loaded 2-core machine, and every one
      // of them must finish inside it; the silent clients are dropped when it runs out.
      handshakeTimeout: 15_000,
      onHandshakeFailure: (f) => failures.push(f),
    });
    cleanups.push(() => server.close());
    await server.ready();

    const silent: Socket[] = [];
    for (let i = 0; i < 20; i++) {
      const s = tcpConnect(server.port, '127.0.0.1');
      s.on('error', () => {});
      s.resume();
      silent.push(s);
      cleanups.push(() => s.destroy());
    }
    await Promise.all(silent.map((s) => once(s, 'connect')));

    let served = 0;
    // Tasks are lazy: the scheduler starts this one and owns it.
    const serving = scheduler.spawnJoinable(
      task(async () => {
        for await (const peer of server) {
          scheduler.spawnDetached(
            task(async () => {
              const buffer = Buffer.alloc(64);
              const [status, view] = await peer.readSome(buffer, { timeout: 60_000 });
              if (status.isOk()) await peer.writeAll(view);
              served++;
              peer.close();
            })(),
          );
        }
      })(),
    );

    const context = new Context({ ca: certs.ca.cert });
    const one = task(async (i: number) => {
      const client = new tls.Client(
        scheduler,
        { address: '127.0.0.1', port: server.port },
        context,
      );
      try {
        const status = await client.connect({ timeout: 60_000 });
        if (status !== 'connected') return `${i}: ${status} ${client.failure?.code}`;
        const message = Buffer.from(`client ${i}`);
        await client.writeAll(message);
        const [read, view] = await client.readExact(Buffer.alloc(message.length), {
          timeout: 60_000,
        });
        return read.isOk() && Buffer.from(view).equals(message) ? 'ok' : `${i}: read ${read}`;
      } finally {
        client.close();
      }
    });
    const results = await whenAll(Array.from({ length: 200 }, (_, i) => one(i)));
    expect(results.filter((r) => r !== 'ok')).toEqual([]);
    expect(server.handshakes).toBe(200);

    // The silent clients are dropped by the handshake deadline, each reported as a timeout.
    await Promise.all(silent.map((s) => (s.destroyed ? undefined : once(s, 'close'))));
    for (let i = 0; i < 200 && failures.length < 20; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(failures.map((f) => f.status)).toEqual(Array(20).fill('timeout'));
    server.shutdown();
    await serving;
    expect(served).toBe(200);
  });
});
