// The program every thread of a ThreadPerCore server runs: its own IoScheduler, the user's
// server module, and either its own reusePort listener or the sockets the main thread hands
// it. It counts connections and bytes in the shared stats, drains on request, and reports
// through a handful of messages. Its own build entry; started by ThreadPerCore, never imported.
import type { Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { IoScheduler } from '@coro/io';
import { type Client, wrapChannel } from '../tcp/client.ts';
import { Server } from '../tcp/server.ts';
import type { ThreadContext } from '../thread-per-core-types.ts';
import { acceptedChannel } from './accepted.ts';
import {
  type FromThread,
  serializeError,
  type ThreadBootData,
  type ToThread,
} from './thread-per-core-protocol.ts';
import { ACCEPTED, BYTES_READ, BYTES_WRITTEN, OPEN, SharedStats } from './thread-per-core-stats.ts';

type Handler = (client: Client, context: ThreadContext) => unknown;

/** One open connection and the bytes of it already published. */
interface Connection {
  readonly client: Client;
  read: number;
  written: number;
}

const boot = workerData as ThreadBootData;
const port = parentPort!;
const me = boot.threadIndex;
const stats = new SharedStats(boot.threadCount, boot.stats);
const scheduler = new IoScheduler();
const closing = new AbortController();
const stopping = new AbortController();
const context: ThreadContext = {
  scheduler,
  threadIndex: me,
  threadCount: boot.threadCount,
  data: boot.data,
  closing: closing.signal,
  signal: stopping.signal,
};
const open = new Set<Connection>();
let handler: Handler;
let onThreadStop: ((context: ThreadContext) => unknown) | undefined;
let server: Server | undefined;
let draining = false;
let finished = false;
/** Connections handed over before the module was loaded (handoff mode). */
const early: Socket[] = [];
let loaded = false;

function send(message: FromThread): void {
  port.postMessage(message);
}

/** Adds what every open connection moved since the last call to the shared byte counters. */
function publishBytes(connection?: Connection): void {
  const publish = (c: Connection): void => {
    const socket = c.client.socket;
    if (socket === undefined) return;
    const read = socket.bytesRead;
    const written = socket.bytesWritten;
    if (read !== c.read) stats.add(me, BYTES_READ, BigInt(read - c.read));
    if (written !== c.written) stats.add(me, BYTES_WRITTEN, BigInt(written - c.written));
    c.read = read;
    c.written = written;
  };
  if (connection !== undefined) publish(connection);
  else for (const c of open) publish(c);
}

const sampler = setInterval(publishBytes, boot.statsInterval);
sampler.unref();

async function run(connection: Connection): Promise<void> {
  const client = connection.client;
  try {
    await handler(client, context);
  } catch (error) {
    send({ t: 'error', error: serializeError(error) });
  } finally {
    client.close();
    publishBytes(connection);
    open.delete(connection);
    stats.add(me, OPEN, -1n);
    if (draining) void checkDrained();
  }
}

function serve(client: Client): void {
  if (boot.noDelay) client.setNoDelay(true);
  const connection: Connection = { client, read: 0, written: 0 };
  open.add(connection);
  stats.add(me, ACCEPTED, 1n);
  stats.add(me, OPEN, 1n);
  scheduler.spawnDetached(run(connection));
}

/** A socket the main thread accepted and moved here. */
function adopt(socket: Socket): void {
  if (draining) {
    socket.destroy();
    return;
  }
  serve(wrapChannel(scheduler, acceptedChannel(scheduler, socket)));
}

async function checkDrained(): Promise<void> {
  if (finished || open.size !== 0) return;
  finished = true;
  clearInterval(sampler);
  try {
    await onThreadStop?.(context);
  } catch (error) {
    send({ t: 'error', error: serializeError(error) });
  }
  send({ t: 'drained' });
}

function drain(): void {
  if (draining) return;
  draining = true;
  server?.shutdown();
  for (const socket of early.splice(0)) socket.destroy();
  closing.abort();
  if (loaded) void checkDrained();
}

function stop(): void {
  drain();
  stopping.abort();
  send({ t: 'stopped', forced: open.size });
  for (const connection of open) connection.client.reset();
  if (loaded) void checkDrained();
}

port.on('message', (message: ToThread) => {
  if (message.t === 'conn') {
    if (loaded) adopt(message.socket);
    else early.push(message.socket);
  } else if (message.t === 'drain') drain();
  else stop();
});

async function load(): Promise<boolean> {
  let module: Record<string, unknown>;
  try {
    module = (await import(boot.module)) as Record<string, unknown>;
  } catch (error) {
    send({ t: 'failed', kind: 'module', errno: undefined, error: serializeError(error) });
    return false;
  }
  if (typeof module.onConnection !== 'function') {
    const names = Object.keys(module).join(', ') || 'nothing';
    const error = new Error(
      `the server module does not export an onConnection function (it exports ${names})`,
    );
    send({ t: 'failed', kind: 'module', errno: undefined, error: serializeError(error) });
    return false;
  }
  handler = module.onConnection as Handler;
  if (typeof module.onThreadStop === 'function') {
    onThreadStop = module.onThreadStop as (context: ThreadContext) => unknown;
  }
  if (typeof module.onThreadStart === 'function') {
    try {
      await module.onThreadStart(context);
    } catch (error) {
      send({ t: 'failed', kind: 'module', errno: undefined, error: serializeError(error) });
      return false;
    }
  }
  return true;
}

async function main(): Promise<void> {
  if (!(await load())) return;
  if (boot.mode === 'handoff') {
    loaded = true;
    send({ t: 'ready', port: boot.port });
    for (const socket of early.splice(0)) adopt(socket);
    if (draining) void checkDrained();
    return;
  }
  const listener = new Server(scheduler, {
    address: boot.address,
    port: boot.port,
    backlog: boot.backlog,
    reusePort: true,
    acceptors: boot.acceptors,
  });
  server = listener;
  const status = await listener.ready();
  if (!status.isOk()) {
    const error = status.cause ?? new Error(`listen failed: ${status.toString()}`);
    send({ t: 'failed', kind: 'listen', errno: status.errno, error: serializeError(error) });
    return;
  }
  loaded = true;
  send({ t: 'ready', port: listener.port });
  if (draining) {
    void checkDrained();
    return;
  }
  for (;;) {
    const accepted = await listener.accept();
    if (!accepted.ok) {
      if (draining) return;
      // The listening socket failed under us: let the supervisor start a fresh thread.
      throw new Error(`accept failed: ${accepted.error.toString()}`);
    }
    serve(accepted.value);
  }
}

main().catch((error: unknown) => {
  // An uncaught error ends the thread; the main thread sees it and restarts the thread.
  setImmediate(() => {
    throw error;
  });
});
