import { createServer, Socket } from 'node:net';
import { SchedulerShutdownError } from '@coro/io';
import { InvalidArgumentError } from '@coro/task';
import { describe, expect, it } from 'vitest';
import {
  dns,
  InvalidAddressError,
  IoStatus,
  Listeners,
  SocketAddress,
  SocketBusyError,
  tcp,
  udp,
} from '../src/index.ts';
import { connectPair, listen, makeScheduler, track } from './utils/net.ts';

const badDurations = [-1, Number.NaN, '10', null, {}];

describe('bad input fails at the call', () => {
  it('tcp.Client and tcp.Server constructors', () => {
    const scheduler = makeScheduler();
    expect(() => new tcp.Client({} as never, { address: '127.0.0.1', port: 1 })).toThrow(
      InvalidArgumentError,
    );
    for (const port of [-1, 65536, 1.5, Number.NaN, '80']) {
      expect(
        () => new tcp.Client(scheduler, { address: '127.0.0.1', port: port as number }),
      ).toThrow(InvalidAddressError);
      expect(
        () => new tcp.Server(scheduler, { address: '127.0.0.1', port: port as number }),
      ).toThrow(InvalidAddressError);
    }
    for (const address of ['localhost', '999.1.1.1', '', 12]) {
      expect(() => new tcp.Client(scheduler, { address: address as string, port: 1 })).toThrow(
        InvalidAddressError,
      );
      expect(() => new tcp.Server(scheduler, { address: address as string })).toThrow(
        InvalidAddressError,
      );
    }
    expect(() => new tcp.Client(scheduler, null as never)).toThrow(InvalidAddressError);
    for (const backlog of [-1, 1.5, '5']) {
      expect(() => new tcp.Server(scheduler, { backlog: backlog as number })).toThrow(
        InvalidArgumentError,
      );
    }
    expect(() => new tcp.Server(scheduler, { reusePort: 'yes' as never })).toThrow(
      InvalidArgumentError,
    );
    expect(() => new tcp.Server(scheduler, { ipv6Only: 1 as never })).toThrow(InvalidArgumentError);
    expect(() => new tcp.Server(scheduler, { readMode: 'fast' as never })).toThrow(
      InvalidArgumentError,
    );
    expect(() => new tcp.Server(scheduler, 5 as never)).toThrow(InvalidArgumentError);
    expect(() => tcp.Client.from(scheduler, {} as never)).toThrow(InvalidArgumentError);
    expect(() => tcp.Server.from(scheduler, {} as never)).toThrow(InvalidArgumentError);
  });

  it('tcp.Server refuses an address it would not listen on as given', () => {
    const scheduler = makeScheduler();
    const given = new SocketAddress('127.0.0.1', 0);
    // A SocketAddress as the address option: its port would be lost (pass it as the options).
    expect(() => new tcp.Server(scheduler, { address: given as never })).toThrow(
      InvalidAddressError,
    );
    expect(() => new tcp.Server(scheduler, { address: given as never })).toThrow(/SocketAddress/);
    // Something shaped like a SocketAddress that is not one (another copy of this package,
    // a plain object): `ip` is no option, and leaving it out would listen on 0.0.0.0.
    for (const lookalike of [
      { ip: given.ip, port: 0 },
      { ip: '127.0.0.1', port: 0 },
    ]) {
      expect(() => new tcp.Server(scheduler, lookalike as never)).toThrow(InvalidAddressError);
      expect(() => new tcp.Server(scheduler, lookalike as never)).toThrow(/ip/);
    }
  });

  it('a client that never connected refuses a bad poll op as a connected one does', () => {
    const scheduler = makeScheduler();
    const client = track(new tcp.Client(scheduler, { address: '127.0.0.1', port: 9 }));
    for (const op of ['sideways', '', undefined, 1]) {
      expect(() => client.poll(op as never)).toThrow(InvalidArgumentError);
    }
    client.close();
    expect(() => client.poll('sideways' as never)).toThrow(InvalidArgumentError);
  });

  it('says what a bad argument was: a string port is quoted, a typed array named', () => {
    const scheduler = makeScheduler();
    expect(() => new tcp.Client(scheduler, { address: '127.0.0.1', port: '80' as never })).toThrow(
      /got "80" \(a string\)/,
    );
    const client = track(new tcp.Client(scheduler, { address: '127.0.0.1', port: 9 }));
    expect(() => client.readSome(new Uint16Array(4) as never)).toThrow(/got a Uint16Array/);
    expect(() => client.writeAll(new DataView(new ArrayBuffer(2)) as never)).toThrow(
      /got a DataView/,
    );
    expect(() => client.poll('sideways' as never)).toThrow(/got "sideways" \(a string\)/);
  });

  it('Listeners refuses listening options given outside `listen` (they would be ignored)', () => {
    // Read as documented before: this listened on 0.0.0.0 with one acceptor, throwing nothing.
    const create = () => createServer();
    for (const key of ['address', 'port', 'backlog', 'ipv6Only', 'reusePort', 'acceptors']) {
      expect(() => new Listeners({ create, [key]: 1 } as never), key).toThrow(InvalidArgumentError);
      expect(() => new Listeners({ create, [key]: 1 } as never), key).toThrow(/listen: \{/);
    }
  });

  it('refuses an option it does not take (a misspelt one would be ignored)', () => {
    const scheduler = makeScheduler();
    const create = () => createServer();
    const sockets = () => process.getActiveResourcesInfo().filter((r) => /TCP|UDP/.test(r));
    const before = sockets().length;
    const calls: [string, () => unknown][] = [
      ['tcp.Server', () => new tcp.Server(scheduler, { port: 0, bcklog: 1 } as never)],
      // noDelay is tcp.Server's, not a listening option.
      ['listen', () => new Listeners({ create, listen: { port: 0, noDelay: true } as never })],
      ['udp.Peer', () => new udp.Peer(scheduler, { port: 0, maxQueue: 1 } as never)],
      ['dns.Resolver', () => new dns.Resolver({ timout: 10 } as never)],
    ];
    for (const [where, call] of calls) {
      expect(call, where).toThrow(InvalidArgumentError);
      expect(call, where).toThrow(new RegExp(`^${where}: unknown option "\\w+" \\(it takes `));
    }
    // Nothing was left listening or bound by the refused calls.
    expect(sockets()).toHaveLength(before);
    // The options each one takes are still taken.
    const server = new tcp.Server(scheduler, {
      address: '127.0.0.1',
      port: 0,
      backlog: 8,
      reusePort: false,
      acceptors: 1,
      noDelay: true,
      readMode: 'readable',
    });
    server.close();
    new udp.Peer(scheduler, { address: '127.0.0.1', port: 0, maxQueued: 4 }).close();
    new dns.Resolver({ servers: ['127.0.0.1'], timeout: 10, attemptTimeout: 5, tries: 1 });
  });

  it('udp.Peer refuses an address it would not bind as given', () => {
    const scheduler = makeScheduler();
    const given = new SocketAddress('127.0.0.1', 0);
    expect(() => new udp.Peer(scheduler, { address: given as never })).toThrow(InvalidAddressError);
    // Shaped like a SocketAddress but not one: leaving `ip` out would bind 0.0.0.0.
    for (const lookalike of [
      { ip: given.ip, port: 0 },
      { ip: '127.0.0.1', port: 0 },
    ]) {
      expect(() => new udp.Peer(scheduler, lookalike as never)).toThrow(InvalidAddressError);
      expect(() => new udp.Peer(scheduler, lookalike as never)).toThrow(/ip/);
    }
  });

  it('Client.from a socket that decodes what it reads (setEncoding)', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const socket = new Socket({ allowHalfOpen: true });
    track({ close: () => socket.destroy() });
    socket.setEncoding('utf8');
    socket.connect(server.port, '127.0.0.1');
    // Its 'data' would be strings, which no read can copy into a buffer: refused at the call
    // (wrapped, the first chunk threw inside the socket's 'data' event, an uncaught exception).
    expect(() => tcp.Client.from(scheduler, socket)).toThrow(InvalidArgumentError);
    const accepted = await server.accept({ timeout: 10_000 });
    expect(accepted.ok).toBe(true);
    if (!accepted.ok) return;
    expect((await track(accepted.value).writeAll(Buffer.from('hello')))[0].isOk()).toBe(true);
    // Left as it was: still the caller's to read.
    const data = await new Promise((resolve) => socket.once('data', resolve));
    expect(data).toBe('hello');
  });

  it('reads, writes, polls and options on a client', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client } = await connectPair(scheduler, server);
    const buffer = Buffer.alloc(4);
    for (const timeout of badDurations) {
      const options = { timeout: timeout as number };
      expect(() => client.readSome(buffer, options)).toThrow(InvalidArgumentError);
      expect(() => client.readExact(buffer, options)).toThrow(InvalidArgumentError);
      expect(() => client.writeSome(buffer, options)).toThrow(InvalidArgumentError);
      expect(() => client.writeAll(buffer, options)).toThrow(InvalidArgumentError);
      expect(() => client.poll('read', options)).toThrow(InvalidArgumentError);
      expect(() => client.connect(options)).toThrow(InvalidArgumentError);
      expect(() => server.accept(options)).toThrow(InvalidArgumentError);
    }
    expect(() => client.readSome(buffer, { signal: 'stop' as never })).toThrow(
      InvalidArgumentError,
    );
    expect(() => client.readSome(buffer, 5 as never)).toThrow(InvalidArgumentError);
    for (const bad of ['text', [1, 2], null, 5]) {
      expect(() => client.readSome(bad as never)).toThrow(InvalidArgumentError);
      expect(() => client.readExact(bad as never)).toThrow(InvalidArgumentError);
      expect(() => client.writeAll(bad as never)).toThrow(InvalidArgumentError);
      expect(() => client.writeSome(bad as never)).toThrow(InvalidArgumentError);
      expect(() => client.recv(bad as never)).toThrow(InvalidArgumentError);
      expect(() => client.send(bad as never)).toThrow(InvalidArgumentError);
    }
    expect(() => client.poll('sideways' as never)).toThrow(InvalidArgumentError);
    expect(() => client.setNoDelay('yes' as never)).toThrow(InvalidArgumentError);
    expect(() => client.setKeepAlive(true, -5)).toThrow(InvalidArgumentError);
    expect(() => client.setKeepAlive(1 as never)).toThrow(InvalidArgumentError);
    // Infinity is no timeout, and a huge finite timeout is fine.
    const reading = client.readSome(buffer, { timeout: Number.POSITIVE_INFINITY });
    // One read at a time, one write at a time: a second one is a SocketBusyError.
    expect(() => client.readSome(buffer, { timeout: 2 ** 40 })).toThrow(SocketBusyError);
    expect(() => client.recv(buffer)).toThrow(SocketBusyError);
    client.close();
    expect((await reading)[0].kind).toBe('closed');
    // Nothing was started by the calls that threw.
    expect(scheduler.isEmpty).toBe(true);
  });

  it('connect twice at once, or on a wrapped client', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const client = track(new tcp.Client(scheduler, { address: '127.0.0.1', port: server.port }));
    const connecting = client.connect();
    expect(() => client.connect()).toThrow(SocketBusyError);
    expect(await connecting).toBe('connected');
    expect(await client.connect()).toBe('connected');
    const accepted = await server.accept();
    expect(accepted.ok).toBe(true);
    if (accepted.ok) {
      track(accepted.value);
      expect(() => accepted.value.connect()).toThrow(InvalidArgumentError);
    }
  });
});

/** Waits (by real time, the scheduler being stopped) until `check` holds, for up to 10 s. */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1000 && !(await check()); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(await check()).toBe(true);
}

describe('a call with a timeout on a scheduler that is shut down', () => {
  it('throws SchedulerShutdownError at the call and leaves the socket as it was', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    const datagrams = track(new udp.Peer(scheduler, { address: '127.0.0.1', port: 0 }));
    await datagrams.ready();
    await scheduler.shutdown();
    const buffer = Buffer.alloc(8);
    // callAfter() throws on a stopped scheduler: the calls that need a deadline throw first,
    // before they start anything (a read that stayed pending with nobody to resolve it made
    // the next read a SocketBusyError and close() crash).
    expect(() => client.readSome(buffer, { timeout: 10 })).toThrow(SchedulerShutdownError);
    expect(() => client.readExact(buffer, { timeout: 10 })).toThrow(SchedulerShutdownError);
    expect(() => client.writeAll(Buffer.alloc(1 << 24), { timeout: 10 })).toThrow(
      SchedulerShutdownError,
    );
    expect(() => client.poll('read', { timeout: 10 })).toThrow(SchedulerShutdownError);
    expect(() => server.accept({ timeout: 10 })).toThrow(SchedulerShutdownError);
    expect(() => datagrams.recvFrom(buffer, { timeout: 10 })).toThrow(SchedulerShutdownError);
    expect(() => datagrams.poll('read', { timeout: 10 })).toThrow(SchedulerShutdownError);
    const another = track(new tcp.Client(scheduler, { address: '127.0.0.1', port: server.port }));
    expect(() => another.connect({ timeout: 10 })).toThrow(SchedulerShutdownError);
    expect(another.socket).toBeUndefined();
    // What is answered at once needs no deadline, and is still answered.
    expect((await client.readSome(buffer, { timeout: 0 }))[0]).toBe(IoStatus.timeout);
    expect((await datagrams.recvFrom(buffer, { timeout: 0 }))[0]).toBe(IoStatus.timeout);
    const early = track(new tcp.Client(scheduler, { address: '127.0.0.1', port: server.port }));
    expect(await early.connect()).toBe('connected');
    await until(async () => server.pending > 0);
    const queued = await server.accept({ timeout: 10 });
    expect(queued.ok).toBe(true);
    if (queued.ok) track(queued.value);
    expect((await peer.writeAll(Buffer.from('here')))[0]).toBe(IoStatus.ok);
    await until(async () => (await client.poll('read', { timeout: 0 })) === 'read');
    const [hereStatus, here] = await client.readSome(buffer, { timeout: 10 });
    expect(hereStatus).toBe(IoStatus.ok);
    expect(Buffer.from(here).toString()).toBe('here');
    // Nothing was left pending: without a deadline the calls work, and close() is clean.
    const reading = client.readSome(buffer);
    expect((await peer.writeAll(Buffer.from('ok')))[0]).toBe(IoStatus.ok);
    const [status, view] = await reading;
    expect(status).toBe(IoStatus.ok);
    expect(Buffer.from(view).toString()).toBe('ok');
    expect((await client.writeAll(Buffer.from('x')))[0]).toBe(IoStatus.ok);
    client.close();
    peer.close();
    datagrams.close();
  });
});
