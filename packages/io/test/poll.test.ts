import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { PassThrough, Readable, Writable } from 'node:stream';
import { InvalidArgumentError, StopSource } from '@coro/task';
import { afterEach, describe, expect, it } from 'vitest';
import { IoScheduler } from '../src/index.ts';

const pollEvents = ['readable', 'end', 'drain', 'connect', 'finish', 'error', 'close'];
function listeners(stream: NodeJS.EventEmitter): number {
  return pollEvents.reduce((n, e) => n + stream.listenerCount(e), 0);
}

const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** A connected pair of loopback TCP sockets. */
async function socketPair(): Promise<{ client: Socket; peer: Socket; server: Server }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const accepted = once(server, 'connection');
  const client = connect(port, '127.0.0.1');
  const [peer] = (await accepted) as [Socket];
  if (client.connecting) await once(client, 'connect');
  cleanups.push(() => {
    client.destroy();
    peer.destroy();
    server.close();
  });
  return { client, peer, server };
}

describe('poll on loopback TCP sockets', () => {
  it("resolves 'read' when data arrives and leaves the data to read", async () => {
    const s = new IoScheduler();
    const { client, peer } = await socketPair();
    const baseline = listeners(client);
    const polled = s.poll(client, 'read', { timeout: 10_000 });
    expect(s.size).toBe(1);
    peer.write('ping');
    expect(await polled).toBe('read');
    expect(client.read()?.toString()).toBe('ping');
    expect(listeners(client)).toBe(baseline);
    expect(s.isEmpty).toBe(true);
  });

  it("resolves 'write' at once on a connected socket, and after 'drain' when full", async () => {
    const s = new IoScheduler();
    const { client, peer } = await socketPair();
    const baseline = listeners(client);
    expect(await s.poll(client, 'write')).toBe('write');
    peer.pause();
    const chunk = Buffer.alloc(1 << 20);
    let writes = 0;
    while (client.write(chunk) && writes < 1000) writes++;
    expect(client.writableNeedDrain).toBe(true);
    const polled = s.poll(client, 'write', { timeout: 10_000 });
    peer.resume(); // the peer reads, the kernel drains, 'drain' fires
    expect(await polled).toBe('write');
    expect(listeners(client)).toBe(baseline);
  });

  it("waits for 'connect' before reporting a connecting socket writable", async () => {
    const s = new IoScheduler();
    const server = createServer((sock) => sock.end());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const client = connect(port, '127.0.0.1');
    cleanups.push(() => {
      client.destroy();
      server.close();
    });
    expect(client.connecting).toBe(true);
    expect(await s.poll(client, 'write', { timeout: 10_000 })).toBe('write');
    expect(client.connecting).toBe(false);
  });

  it("resolves 'closed' when the peer ends, after the buffered data was reported", async () => {
    const s = new IoScheduler();
    const { client, peer } = await socketPair();
    const baseline = listeners(client);
    peer.end('last words');
    expect(await s.poll(client, 'read', { timeout: 10_000 })).toBe('read');
    // Read everything; the end of stream comes next.
    let text = '';
    for (;;) {
      const status = await s.poll(client, 'read', { timeout: 10_000 });
      if (status !== 'read') {
        expect(status).toBe('closed');
        break;
      }
      text += client.read()?.toString() ?? '';
    }
    expect(text).toBe('last words');
    expect(listeners(client)).toBe(baseline);
  });

  it("resolves 'closed' when the socket is destroyed while polling", async () => {
    const s = new IoScheduler();
    const { client } = await socketPair();
    const polled = s.poll(client, 'read');
    client.destroy();
    expect(await polled).toBe('closed');
    expect(await s.poll(client, 'read')).toBe('closed');
    expect(await s.poll(client, 'write')).toBe('closed');
  });

  it("resolves 'error' when the socket fails", async () => {
    const s = new IoScheduler();
    const { client } = await socketPair();
    const baseline = listeners(client);
    const polled = s.poll(client, 'read');
    client.on('error', () => {}); // the test's own handler, as an application would have
    client.destroy(new Error('reset by test'));
    expect(await polled).toBe('error');
    expect((client.errored as Error).message).toBe('reset by test');
    expect(listeners(client)).toBe(baseline + 1);
  });

  it("resolves 'timeout' and 'cancelled', removing every listener and timer", async () => {
    const s = new IoScheduler();
    const { client } = await socketPair();
    const baseline = listeners(client);
    const timeoutsBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(await s.poll(client, 'read', { timeout: 20 })).toBe('timeout');
    expect(listeners(client)).toBe(baseline);
    const source = new StopSource();
    const polled = s.poll(client, 'read', { signal: source.token, timeout: 60_000 });
    source.requestStop();
    expect(await polled).toBe('cancelled');
    expect(listeners(client)).toBe(baseline);
    // The process-wide count also holds timers of other code, which may end meanwhile: the
    // poll must not have added one (the scheduler's own timer state is checked by isEmpty).
    const timeoutsAfter = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(timeoutsAfter).toBeLessThanOrEqual(timeoutsBefore);
    expect(s._timerArmed).toBe(false);
    expect(s.size).toBe(0);
    expect(await s.poll(client, 'read', { signal: source.token })).toBe('cancelled');
    expect(await s.poll(client, 'read', { timeout: 0 })).toBe('timeout');
    expect(s.isEmpty).toBe(true);
  });

  it("readWrite reports whichever is ready: 'write' on an idle socket, 'read' when data waits", async () => {
    const s = new IoScheduler();
    const { client, peer } = await socketPair();
    expect(await s.poll(client, 'readWrite')).toBe('write');
    peer.write('x');
    expect(await s.poll(client, 'read', { timeout: 10_000 })).toBe('read');
    expect(await s.poll(client, 'readWrite')).toBe('read');
  });

  it('an echo exchange driven only by poll, like libcoro', async () => {
    const s = new IoScheduler();
    const { client, peer } = await socketPair();
    const server = (async () => {
      let got = '';
      while (got.length < 5) {
        if ((await s.poll(peer, 'read', { timeout: 10_000 })) !== 'read') return 'failed';
        got += peer.read().toString();
      }
      if ((await s.poll(peer, 'write', { timeout: 10_000 })) !== 'write') return 'failed';
      peer.write(got.toUpperCase());
      return got;
    })();
    await s.poll(client, 'write');
    client.write('hello');
    expect(await s.poll(client, 'read', { timeout: 10_000 })).toBe('read');
    let reply = client.read().toString();
    while (reply.length < 5) {
      await s.poll(client, 'read', { timeout: 10_000 });
      reply += client.read().toString();
    }
    expect(reply).toBe('HELLO');
    expect(await server).toBe('hello');
  });
});

describe('poll on streams and pipes', () => {
  it('works on a PassThrough: read, end of stream, write', async () => {
    const s = new IoScheduler();
    const pipe = new PassThrough();
    const polled = s.poll(pipe, 'read');
    pipe.write('data');
    expect(await polled).toBe('read');
    expect(pipe.read().toString()).toBe('data');
    expect(await s.poll(pipe, 'write')).toBe('write');
    const ended = s.poll(pipe, 'read');
    pipe.end();
    expect(await ended).toBe('closed');
    expect(listeners(pipe)).toBe(0);
  });

  it('works on a child process pipe', async () => {
    const { spawn } = await import('node:child_process');
    const s = new IoScheduler();
    const child = spawn(process.execPath, ['-e', 'process.stdout.write("from child")'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let text = '';
    for (;;) {
      const status = await s.poll(child.stdout, 'read', { timeout: 20_000 });
      if (status !== 'read') {
        expect(status).toBe('closed');
        break;
      }
      text += child.stdout.read().toString();
    }
    expect(text).toBe('from child');
    await once(child, 'close');
  });

  it('a writable with backpressure reports write once drained', async () => {
    const s = new IoScheduler();
    let release: (() => void) | undefined;
    const slow = new Writable({
      highWaterMark: 4,
      write(_chunk, _enc, cb) {
        release = cb;
      },
    });
    slow.write('12345678');
    expect(slow.writableNeedDrain).toBe(true);
    const polled = s.poll(slow, 'write');
    release!();
    expect(await polled).toBe('write');
  });

  it('rejects targets and ops that do not fit, at the call', () => {
    const s = new IoScheduler();
    const readOnly = new Readable({ read() {} });
    const writeOnly = new Writable({
      write(_c, _e, cb) {
        cb();
      },
    });
    expect(() => s.poll(readOnly, 'write')).toThrow(InvalidArgumentError);
    expect(() => s.poll(writeOnly, 'read')).toThrow(InvalidArgumentError);
    expect(() => s.poll({} as Readable, 'read')).toThrow(InvalidArgumentError);
    expect(() => s.poll(readOnly, 'sideways' as 'read')).toThrow(InvalidArgumentError);
    expect(() => s.poll(readOnly, 'read', { timeout: -1 })).toThrow(InvalidArgumentError);
    readOnly.destroy();
    writeOnly.destroy();
  });
});
