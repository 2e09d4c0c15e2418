import { existsSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { IoScheduler } from '@coro/io';
import { afterEach } from 'vitest';
import { tcp } from '../../src/index.ts';

/** Everything a test opened, closed after it. */
const opened: { close(): void }[] = [];
const schedulers: IoScheduler[] = [];

afterEach(async () => {
  for (const item of opened.splice(0)) item.close();
  for (const scheduler of schedulers.splice(0)) await scheduler.shutdown();
});

/** A scheduler shut down after the test. */
export function makeScheduler(): IoScheduler {
  const scheduler = new IoScheduler();
  schedulers.push(scheduler);
  return scheduler;
}

/** Closes `item` after the test. */
export function track<T extends { close(): void }>(item: T): T {
  opened.push(item);
  return item;
}

/** A listening server on `address`, closed after the test. */
export async function listen(
  scheduler: IoScheduler,
  options: tcp.ServerOptions = {},
): Promise<tcp.Server> {
  const server = track(new tcp.Server(scheduler, { address: '127.0.0.1', ...options }));
  const status = await server.ready();
  if (!status.isOk()) throw new Error(`listen failed: ${status}`);
  return server;
}

/** A port on 127.0.0.1 that was free a moment ago (a listener opened there and closed). */
export async function freePort(scheduler: IoScheduler): Promise<number> {
  const probe = await listen(scheduler);
  const port = probe.port;
  probe.shutdown();
  await new Promise((resolve) => setImmediate(resolve));
  return port;
}

/** A connected client/server-side pair over `server`. */
export async function connectPair(
  scheduler: IoScheduler,
  server: tcp.Server,
): Promise<{ client: tcp.Client; peer: tcp.Client }> {
  const client = track(
    new tcp.Client(scheduler, { address: server.localAddress!.ip, port: server.port }),
  );
  const [status, accepted] = await Promise.all([
    client.connect({ timeout: 10_000 }),
    server.accept({ timeout: 10_000 }),
  ]);
  if (status !== 'connected') throw new Error(`connect failed: ${status} ${client.connectError}`);
  if (!accepted.ok) throw new Error(`accept failed: ${accepted.error}`);
  return { client, peer: track(accepted.value) };
}

/** Deterministic pseudo-random bytes. */
export function pattern(size: number, seed = 1): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** Reads until end of stream (or `limit` bytes); returns the bytes and the final status. */
export async function readAll(
  client: tcp.Client,
  limit = Number.POSITIVE_INFINITY,
  chunk = 64 * 1024,
) {
  const parts: Buffer[] = [];
  let total = 0;
  const buffer = Buffer.allocUnsafe(chunk);
  for (;;) {
    const [status, view] = await client.readSome(buffer, { timeout: 30_000 });
    if (!status.isOk()) return { bytes: Buffer.concat(parts), status };
    parts.push(Buffer.from(view));
    total += view.length;
    if (total >= limit) return { bytes: Buffer.concat(parts), status };
  }
}

/** Echoes until the peer closes, then closes. */
export async function echo(client: tcp.Client, chunk = 64 * 1024): Promise<void> {
  const buffer = Buffer.allocUnsafe(chunk);
  for (;;) {
    const [status, view] = await client.readSome(buffer, { timeout: 30_000 });
    if (!status.isOk()) break;
    const [written] = await client.writeAll(view, { timeout: 30_000 });
    if (!written.isOk()) break;
  }
  client.shutdown();
}

/**
 * The zones that name the interface holding ::1 on this host: its name, and its index where
 * Linux publishes it (a zone may be either). Throws if no interface has ::1.
 */
export function loopbackZones(): string[] {
  const name = Object.entries(networkInterfaces()).find(([, entries]) =>
    entries?.some((e) => e.address === '::1'),
  )?.[0];
  if (name === undefined) throw new Error('no interface of this host has ::1');
  const zones = [name];
  const index = `/sys/class/net/${name}/ifindex`;
  if (existsSync(index)) zones.push(readFileSync(index, 'utf8').trim());
  return zones;
}
