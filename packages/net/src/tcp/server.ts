import { createServer, Server as NetServer, type Socket } from 'node:net';
import type { IoScheduler } from '@coro/io';
import { type Expected, InvalidArgumentError, type WaitOptions } from '@coro/task';
import { AcceptQueue } from '../accept-queue.ts';
import { type AcceptedReadMode, acceptedChannel } from '../internal/accepted.ts';
import type { Channel } from '../internal/channel.ts';
import { checkBoolean, checkScheduler } from '../internal/options.ts';
import { IoStatus } from '../io-status.ts';
import type { IpAddress } from '../ip-address.ts';
import { checkPort, SocketAddress, toIpAddress } from '../socket-address.ts';
import { type Client, wrapChannel } from './client.ts';

/** Options of `tcp.Server` (libcoro's `server::options`). */
export interface ServerOptions {
  /** The address to listen on, default `'0.0.0.0'` (every IPv4 interface); `'::'` for IPv6. */
  readonly address?: string | IpAddress | undefined;
  /** The port, default `0`: an ephemeral port (read it from `server.port`). */
  readonly port?: number | undefined;
  /** The kernel's queue of connections not yet accepted, default 511. */
  readonly backlog?: number | undefined;
  /** `SO_REUSEPORT`: several listeners (threads, processes) share the port. Default `false`. */
  readonly reusePort?: boolean | undefined;
  /** With an IPv6 address: refuse IPv4-mapped connections. Default `false` (dual stack). */
  readonly ipv6Only?: boolean | undefined;
  /** Set `TCP_NODELAY` on every accepted connection. Default `false`. */
  readonly noDelay?: boolean | undefined;
  /**
   * How accepted connections are read: `'auto'` (default) takes the faster `onread` path when
   * this Node.js supports it, `'readable'` always uses paused mode. See the README.
   */
  readonly readMode?: AcceptedReadMode | undefined;
}

// Set by `Server.from` for the constructor it calls.
let adopting: NetServer | undefined;

function optional<T>(value: T | undefined, check: (value: T) => T): T | undefined {
  return value === undefined ? undefined : check(value);
}

function checkBacklog(backlog: number): number {
  if (typeof backlog !== 'number' || !Number.isInteger(backlog) || backlog < 0) {
    throw new InvalidArgumentError(`backlog must be an integer ≥ 0, got ${String(backlog)}`);
  }
  return backlog;
}

/**
 * A listening TCP socket (libcoro's `net::tcp::server`). Listens from construction;
 * `accept()` resolves `{ ok: true, value: client }`, or `{ ok: false, error: status }` with
 * `closed` once `shutdown()` was called (a pending accept is woken), `timeout`, `cancelled`,
 * or the bind error (`native(EADDRINUSE)`, ...). Iterating it accepts until shutdown.
 *
 * @example
 * await using server = new tcp.Server(scheduler, { address: '127.0.0.1', port: 0 });
 * for await (const client of server) scheduler.spawnDetached(serve(client));
 */
export class Server implements AsyncDisposable, AsyncIterable<Client> {
  readonly #scheduler: IoScheduler;
  readonly #server: NetServer;
  readonly #noDelay: boolean;
  readonly #readMode: AcceptedReadMode;
  readonly #accepts: AcceptQueue<Channel, Client>;
  #listenStatus: IoStatus | undefined;
  readonly #ready: Promise<IoStatus>;
  #resolveReady!: (status: IoStatus) => void;
  #shutdown = false;
  #local: SocketAddress | undefined;

  /** Listens on `options.address`:`options.port`. Bad options throw at the call. */
  constructor(scheduler: IoScheduler, options: ServerOptions = {}) {
    this.#scheduler = checkScheduler(scheduler, 'tcp.Server');
    this.#accepts = new AcceptQueue(scheduler, {
      deliver: (channel: Channel) => {
        channel.onGone = undefined;
        return wrapChannel(scheduler, channel);
      },
      discard: (channel: Channel) => channel.close(),
    });
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError('tcp.Server options must be an object');
    }
    const ip = toIpAddress(options.address ?? '0.0.0.0');
    const port = checkPort(options.port ?? 0);
    const backlog = checkBacklog(options.backlog ?? 511);
    const reusePort = optional(options.reusePort, (v) => checkBoolean(v, 'reusePort')) ?? false;
    const ipv6Only = optional(options.ipv6Only, (v) => checkBoolean(v, 'ipv6Only')) ?? false;
    this.#noDelay = optional(options.noDelay, (v) => checkBoolean(v, 'noDelay')) ?? false;
    const readMode = options.readMode ?? 'auto';
    if (readMode !== 'auto' && readMode !== 'readable') {
      throw new InvalidArgumentError(
        `readMode must be 'auto' or 'readable', got ${String(readMode)}`,
      );
    }
    this.#readMode = readMode;
    this.#ready = new Promise((resolve) => (this.#resolveReady = resolve));
    if (adopting !== undefined) {
      this.#server = adopting;
      this.#listenOn(adopting);
      return;
    }
    this.#server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
    this.#listenOn(this.#server);
    this.#server.listen({
      host: ip.toString(),
      port,
      backlog,
      ipv6Only,
      reusePort,
      exclusive: true,
    });
  }

  /**
   * Accepts the connections of an existing `net.Server` (listening or not yet). Create it with
   * `allowHalfOpen: true` for half-close support and `pauseOnConnect: true` so that nothing is
   * read before `accept()`.
   */
  static from(
    scheduler: IoScheduler,
    server: NetServer,
    options?: { noDelay?: boolean; readMode?: AcceptedReadMode },
  ): Server {
    checkScheduler(scheduler, 'tcp.Server.from');
    if (!(server instanceof NetServer)) {
      throw new InvalidArgumentError('tcp.Server.from expects a net.Server');
    }
    adopting = server;
    try {
      return new Server(scheduler, { noDelay: options?.noDelay, readMode: options?.readMode });
    } finally {
      adopting = undefined;
    }
  }

  #listenOn(server: NetServer): void {
    server.on('connection', this.#onConnection);
    server.on('error', this.#onError);
    if (server.listening) this.#onListening();
    else server.once('listening', this.#onListening);
  }

  readonly #onListening = (): void => {
    if (this.#listenStatus !== undefined) return;
    this.#listenStatus = IoStatus.ok;
    const address = this.#server.address();
    if (address !== null && typeof address === 'object') {
      this.#local = new SocketAddress(toIpAddress(address.address), address.port);
    }
    this.#resolveReady(IoStatus.ok);
  };

  readonly #onError = (error: Error): void => {
    if (this.#listenStatus !== undefined) return;
    const status = IoStatus.fromError(error);
    this.#listenStatus = status;
    this.#resolveReady(status);
    this.#accepts.fail(status);
  };

  readonly #onConnection = (socket: Socket): void => {
    if (this.#shutdown) {
      socket.destroy();
      return;
    }
    if (this.#noDelay) socket.setNoDelay(true);
    const channel = acceptedChannel(this.#scheduler, socket, this.#readMode);
    // A connection that dies before it is accepted leaves the queue.
    if (this.#accepts.push(channel)) channel.onGone = () => this.#accepts.remove(channel);
  };

  /** Resolves `ok` once listening, or the bind error (`native(EADDRINUSE)`, ...). */
  ready(): Promise<IoStatus> {
    return this.#ready;
  }

  /** The address listened on, once listening. */
  get localAddress(): SocketAddress | undefined {
    if (this.#local === undefined && this.#listenStatus === undefined) {
      // Node.js binds inside listen(): the address is known before 'listening' is emitted.
      const address = this.#server.address();
      if (address !== null && typeof address === 'object') {
        this.#local = new SocketAddress(toIpAddress(address.address), address.port);
      }
    }
    return this.#local;
  }

  /** The port listened on (the ephemeral one for `port: 0`), or `0` before listening. */
  get port(): number {
    return this.localAddress?.port ?? 0;
  }

  /** Whether `shutdown()` was called. */
  get isShutdown(): boolean {
    return this.#shutdown;
  }

  /** Connections accepted by the kernel that nobody took with `accept()` yet. */
  get pending(): number {
    return this.#accepts.pending;
  }

  /**
   * The next connection: `{ ok: true, value: client }`, or `{ ok: false, error }` with
   * `closed` (shut down), `timeout`, `cancelled`, or the bind error.
   */
  accept(options?: WaitOptions): Promise<Expected<Client, IoStatus>> {
    return this.#accepts.accept(options);
  }

  /**
   * Stops accepting: the listening socket closes, pending and later `accept()`s get `closed`,
   * connections not yet accepted are closed. Accepted clients stay open.
   */
  shutdown(): void {
    if (this.#shutdown) return;
    this.#shutdown = true;
    if (this.#server.listening) this.#server.close();
    this.#server.removeListener('listening', this.#onListening);
    this.#accepts.close();
  }

  /** Same as `shutdown()`. */
  close(): void {
    this.shutdown();
  }

  /** `shutdown()`, then one turn of the event loop for the listening handle to close. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.shutdown();
    await new Promise((resolve) => setImmediate(resolve));
  }

  /** Accepts until `shutdown()` (or a bind error) ends the iteration. */
  async *[Symbol.asyncIterator](): AsyncIterator<Client> {
    for (;;) {
      const accepted = await this.accept();
      if (!accepted.ok) return;
      yield accepted.value;
    }
  }
}
