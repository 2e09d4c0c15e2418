// tcp.Server's `acceptors`: several listening sockets on one port in this thread.
//
// Why it exists: libuv (since 1.45, libuv/libuv#3696) accepts one connection per listening
// socket per turn of the event loop. A server busy with many connections has long turns, so a
// burst of new connections waits in the kernel's accept queue for as many turns as there are
// connections: at `wrk -c1000` the last connections waited 1–2 s for their first byte. With k
// listeners sharing the port (SO_REUSEPORT) the kernel spreads the burst over k queues and a
// turn accepts up to k.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { InvalidArgumentError } from '@coro/task';
import { describe, expect, it } from 'vitest';
import { Listeners, tcp } from '../src/index.ts';
import { freePort, listen, makeScheduler, track } from './utils/net.ts';

const burst = 64;

// Connects `count` sockets to 127.0.0.1:`port` from a worker thread while this thread is
// blocked, so that every connection is complete and waiting in the kernel's accept queue
// before this thread's event loop runs again. Returns the worker's sockets' closer.
async function queueConnections(port: number, count: number): Promise<() => Promise<void>> {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `
    const { connect } = require('node:net');
    const { workerData, parentPort } = require('node:worker_threads');
    const { port, count, flag } = workerData;
    const sockets = [];
    let connected = 0;
    let failed = 0;
    const done = () => {
      if (connected + failed < count) return;
      Atomics.store(flag, 0, failed > 0 ? 2 : 1);
      Atomics.notify(flag, 0);
    };
    for (let i = 0; i < count; i++) {
      const socket = connect(port, '127.0.0.1');
      sockets.push(socket);
      socket.on('connect', () => { connected++; done(); });
      socket.on('error', () => { failed++; done(); });
    }
    parentPort.on('message', () => {
      for (const socket of sockets) socket.destroy();
      parentPort.close();
    });
    `,
    { eval: true, workerData: { port, count, flag } },
  );
  // Blocks this thread (and so its event loop: nothing is accepted meanwhile) until the
  // kernel has completed every handshake. Bounded: a worker that cannot connect fails the test.
  const waited = Atomics.wait(flag, 0, 0, 30_000);
  if (waited === 'timed-out') throw new Error('the worker did not connect its sockets in 30 s');
  if (flag[0] !== 1) throw new Error('the worker could not connect every socket');
  return async () => {
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage('close');
    await exited;
  };
}

// Accepts `count` connections and returns how many turns of the event loop that took (a
// setImmediate chain counts the turns: it runs once per turn, in the check phase).
async function turnsToAccept(server: tcp.Server, count: number): Promise<number> {
  let turn = 0;
  let counting = true;
  const tick = (): void => {
    turn++;
    if (counting) setImmediate(tick);
  };
  setImmediate(tick);
  const turns = new Set<number>();
  for (let i = 0; i < count; i++) {
    const accepted = await server.accept({ timeout: 30_000 });
    if (!accepted.ok) throw new Error(`accept ${i} failed: ${accepted.error}`);
    track(accepted.value);
    turns.add(turn);
  }
  counting = false;
  return turns.size;
}

describe('tcp.Server acceptors', () => {
  it(`accepts a burst of ${burst} queued connections in fewer turns with 4 acceptors than with 1`, async () => {
    const scheduler = makeScheduler();
    const single = await listen(scheduler);
    expect(single.acceptors).toBe(1);
    const closeSingle = await queueConnections(single.port, burst);
    const singleTurns = await turnsToAccept(single, burst);
    await closeSingle();

    const four = await listen(scheduler, { acceptors: 4 });
    expect(four.acceptors).toBe(4);
    const closeFour = await queueConnections(four.port, burst);
    const fourTurns = await turnsToAccept(four, burst);
    await closeFour();

    // libuv accepts one connection per listener per turn: one listener needs a turn per
    // connection; four need about as many turns as the fullest of their four queues (the
    // kernel hashes connections over them: ~22 of 64 at worst, in practice). Were libuv ever to
    // accept in a loop again (a single turn), there would be nothing left to gain.
    if (singleTurns > 2) expect(fourTurns * 2).toBeLessThanOrEqual(singleTurns);
    expect(fourTurns).toBeLessThanOrEqual(Math.max(2, burst * 0.6));
  });

  it('binds every acceptor to one port, also for port 0, and shutdown closes them all', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler, { acceptors: 3 });
    expect(server.acceptors).toBe(3);
    const port = server.port;
    expect(port).toBeGreaterThan(0);
    // Every connection is served, whichever listener the kernel gave it to.
    const clients: Socket[] = [];
    for (let i = 0; i < 30; i++) {
      clients.push(createConnection(port, '127.0.0.1'));
    }
    for (let i = 0; i < 30; i++) {
      const accepted = await server.accept({ timeout: 10_000 });
      expect(accepted.ok).toBe(true);
      if (accepted.ok) track(accepted.value);
    }
    for (const client of clients) client.destroy();
    server.shutdown();
    await new Promise((resolve) => setImmediate(resolve));
    // No listener is left on the port: a connection is refused.
    const refused = await new Promise<string>((resolve) => {
      const socket = createConnection(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    expect(server.acceptors).toBe(0);
  });

  it('counts no acceptor when the port could not be bound', async () => {
    const scheduler = makeScheduler();
    const taken = await listen(scheduler);
    const server = track(
      new tcp.Server(scheduler, {
        address: '127.0.0.1',
        port: taken.port,
        acceptors: 3,
        reusePort: true,
      }),
    );
    const status = await server.ready();
    expect(status.errno).toBe('EADDRINUSE');
    // Before, 1: as if the failed listener were listening.
    expect(server.acceptors).toBe(0);
  });

  it('shutdown before the extra acceptors are listening leaves nothing listening', async () => {
    const scheduler = makeScheduler();
    const port = await freePort(scheduler);
    const server = new tcp.Server(scheduler, { address: '127.0.0.1', port, acceptors: 4 });
    server.shutdown();
    // Shut down before it listened: ready() still settles (it used to hang forever).
    const status = await server.ready();
    expect(status.kind).toBe('closed');
    // Nothing is listening for it (this read 1 before: the count ignored the close).
    expect(server.acceptors).toBe(0);
    // The port is free again: the bind that was under way was closed once it completed, and
    // no extra acceptor was opened (a listener without reusePort could not bind otherwise).
    await new Promise((resolve) => setTimeout(resolve, 50));
    const again = await listen(scheduler, { port });
    expect(again.port).toBe(port);
  });

  it('runs with the acceptors it could bind: one that cannot listen is left out', async () => {
    // What a Node.js older than 22.12 does (it ignores reusePort, so a second bind of the port
    // fails with EADDRINUSE), made here by a create() whose later servers fail to listen.
    let made = 0;
    const servers: Server[] = [];
    const listeners = new Listeners({
      create: () => {
        const server = createServer();
        servers.push(server);
        if (made++ > 0) {
          server.listen = (() => {
            const error = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
            process.nextTick(() => server.emit('error', error));
            return server;
          }) as never;
        }
        return server;
      },
      listen: { address: '127.0.0.1', port: 0, acceptors: 3 },
    });
    const status = await listeners.ready();
    expect(status.kind).toBe('ok');
    expect(made).toBe(3);
    expect(listeners.count).toBe(1);
    // The acceptor that bound still serves the port.
    const accepted = new Promise((resolve) => servers[0]!.once('connection', resolve));
    const client = createConnection(listeners.localAddress!.port, '127.0.0.1');
    await accepted;
    client.destroy();
    listeners.close();
    expect(servers[0]!.listening).toBe(false);
  });

  it('rejects bad acceptor counts and acceptors with reusePort: false', () => {
    const scheduler = makeScheduler();
    for (const acceptors of [0, -1, 1.5, 65, Number.NaN, '2' as never, null as never]) {
      expect(() => new tcp.Server(scheduler, { acceptors }), String(acceptors)).toThrow(
        InvalidArgumentError,
      );
    }
    expect(() => new tcp.Server(scheduler, { acceptors: 2, reusePort: false })).toThrow(
      /acceptors > 1 share the port with SO_REUSEPORT/,
    );
  });
});
