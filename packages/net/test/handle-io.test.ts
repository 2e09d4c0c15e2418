import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IoStatus } from '../src/index.ts';
import { connectPair, listen, makeScheduler } from './utils/net.ts';

const fixture = fileURLToPath(new URL('./fixtures/write-mode.ts', import.meta.url));

/** Runs the fixture in a fresh Node.js with `flags` and `env`; returns what it printed. */
function writeMode(flags: string[], env: Record<string, string> = {}) {
  const out = execFileSync(process.execPath, ['--conditions=@coro/source', ...flags, fixture], {
    env: { ...process.env, CORO_NET_HANDLE_IO: '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return JSON.parse(out) as { client: string; peer: string; echoed: boolean; warnings: string[] };
}

describe('the handle path', () => {
  it('is taken by default, and echoes', () => {
    expect(writeMode([])).toEqual({
      client: 'handle',
      peer: 'handle',
      echoed: true,
      warnings: [],
    });
  });

  it('is never taken under --pending-deprecation: no warning, writes go to _write', () => {
    for (const run of [
      writeMode(['--pending-deprecation']),
      writeMode([], { NODE_PENDING_DEPRECATION: '1' }),
    ]) {
      expect(run).toEqual({ client: 'direct', peer: 'direct', echoed: true, warnings: [] });
    }
  });

  it('is off with CORO_NET_HANDLE_IO=off', () => {
    expect(writeMode([], { CORO_NET_HANDLE_IO: 'off' })).toMatchObject({
      client: 'direct',
      peer: 'direct',
      echoed: true,
    });
  });

  it("ends when the socket gets a timeout: the stream's timer sees every read and write", async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    expect(client.writeMode).toBe('handle');
    let timedOut = false;
    client.socket?.setTimeout(150, () => {
      timedOut = true;
    });
    expect(client.writeMode).toBe('direct');
    // Traffic every 30 ms for 600 ms: the idle timeout must never fire.
    const buffer = Buffer.alloc(16);
    for (let i = 0; i < 20; i++) {
      await peer.writeAll(Buffer.from('ping'));
      const [status, view] = await client.readSome(buffer, { timeout: 10_000 });
      expect(status.isOk() && Buffer.from(view).toString()).toBe('ping');
      expect((await client.writeAll(Buffer.from('pong')))[0]).toBe(IoStatus.ok);
      await peer.readExact(Buffer.alloc(4), { timeout: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    expect(timedOut).toBe(false);
    // Idle now: it fires.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(timedOut).toBe(true);
  });

  it('ends when the socket is written or ended directly: bytes keep their order, writes after end say closed', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client, peer } = await connectPair(scheduler, server);
    expect(client.writeMode).toBe('handle');
    expect((await client.writeAll(Buffer.from('a')))[0]).toBe(IoStatus.ok);
    // Queued in the stream behind nothing; what writeAll sends next must follow it.
    client.socket?.cork();
    client.socket?.write('b');
    expect(client.writeMode).toBe('direct');
    const corked = client.writeAll(Buffer.from('c'));
    client.socket?.uncork();
    expect((await corked)[0]).toBe(IoStatus.ok);
    const got = Buffer.alloc(3);
    const [read] = await peer.readExact(got, { timeout: 10_000 });
    expect(read.isOk() && got.toString()).toBe('abc');

    const { client: ended } = await connectPair(scheduler, server);
    expect(ended.writeMode).toBe('handle');
    ended.socket?.end();
    expect(ended.writeMode).toBe('direct');
    expect((await ended.writeAll(Buffer.from('x')))[0]).toBe(IoStatus.closed);
  });

  it('a socket destroyed directly makes the next write say closed, on the handle path too', async () => {
    const scheduler = makeScheduler();
    const server = await listen(scheduler);
    const { client } = await connectPair(scheduler, server);
    expect(client.writeMode).toBe('handle');
    client.socket?.destroy();
    const [status, rest] = await client.writeAll(Buffer.from('gone'));
    expect(status).toBe(IoStatus.closed);
    expect(Buffer.from(rest).toString()).toBe('gone');
    const [again] = await client.co.writeAll(Buffer.from('x'));
    expect(again).toBe(IoStatus.closed);
  });
});
