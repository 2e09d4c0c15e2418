import { createServer, Server as NetServer, type Socket } from 'node:net';
import type { IoScheduler } from '@coro/io';
import { type Expected, InvalidArgumentError, type WaitOptions } from '@coro/task';
import { AcceptQueue } from '../accept-queue.ts';
import { type AcceptedReadMode, acceptedChannel } from '../internal/accepted.ts';
import type { Channel } from '../internal/channel.ts';
import { checkAcceptors, checkBoolean, checkScheduler } from '../internal/options.ts';
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
  /**
   * Listening sockets this server opens on its port, in this thread, 1–64 (default 1). libuv
   * accepts one connection per listening socket per turn of the event loop, so a burst of new
   * connections at a busy server waits one turn each; k acceptors take up to k per turn. More
   * than one shares the port with `SO_REUSEPORT` (implies `reusePort`). See the README.
   */
  readonly acceptors?: number | undefined;
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
  // Listening sockets opened beside #server for `acceptors` (same port, SO_REUSEPORT).
  readonly #extras: NetServer[] = [];
  #acceptors = 1;
  // The extra acceptors still to open once #server listens (its port may be ephemeral).
  #wantExtras: { listen: object; count: number } | undefined;
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
    const acceptors = optional(options.acceptors, (v) => checkAcceptors(v, 'acceptors')) ?? 1;
    if (acceptors > 1 && options.reusePort === false) {
      throw new InvalidArgumentError(
        'acceptors > 1 share the port with SO_REUSEPORT: leave reusePort unset, or set it to true',
      );
    }
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
    const listen = { host: ip.toString(), port, backlog, ipv6Only, exclusive: true };
    if (acceptors === 1) {
      this.#server.listen({ ...listen, reusePort });
      return;
    }
    try {
      this.#server.listen({ ...listen, reusePort: true });
    } catch (error) {
      // A system without SO_REUSEPORT (ERR_OPTION_NOT_SUPPORTED): one listener, as asked for
      // when reusePort was not.
      if (reusePort) throw error;
      this.#server.listen(listen);
      return;
    }
    this.#wantExtras = { listen, count: acceptors - 1 };
  }

  /**
   * Opens the extra acceptors on `port`, each with SO_REUSEPORT. One that cannot listen (a
   * Node.js older than 22.12 ignores reusePort, so the port is in use) is closed and left out:
   * the server runs with the acceptors it has (`acceptors` says how many).
   */
  async #openExtras(port: number, want: { listen: object; count: number }): Promise<void> {
    const opening: Promise<void>[] = [];
    for (let i = 0; i < want.count; i++) {
      const extra = createServer({ allowHalfOpen: true, pauseOnConnect: true });
      opening.push(
        new Promise<void>((resolve) => {
          const failed = (): void => {
            extra.close();
            resolve();
          };
          extra.once('error', failed);
          extra.once('listening', () => {
            extra.removeListener('error', failed);
            if (this.#shutdown) {
              extra.close();
            } else {
              extra.on('connection', this.#onConnection);
              // An error on a listening socket (none is expected) must not be uncaught.
              extra.on('error', () => {});
              this.#extras.push(extra);
              this.#acceptors++;
            }
            resolve();
          });
          try {
            extra.listen({ ...want.listen, port, reusePort: true });
          } catch {
            failed();
          }
        }),
      );
    }
    await Promise.all(opening);
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
    const want = this.#wantExtras;
    this.#wantExtras = undefined;
    if (want === undefined || this.#local === undefined || this.#shutdown) {
      this.#resolveReady(IoStatus.ok);
      return;
    }
    // Ready once every acceptor listens (or was left out): connections the kernel gives to
    // one still opening would otherwise wait for it.
    void this.#openExtras(this.#local.port, want).then(() => this.#resolveReady(IoStatus.ok));
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

  /**
   * The listening sockets accepting for this server (see the `acceptors` option): final once
   * `ready()` resolved.
   */
  get acceptors(): number {
    return this.#acceptors;
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
    for (const extra of this.#extras.splice(0)) extra.close();
    // Shut down before it listened: ready() settles with closed (the listen is abandoned).
    if (this.#listenStatus === undefined) {
      this.#listenStatus = IoStatus.closed;
      this.#resolveReady(IoStatus.closed);
      if (!this.#server.listening) {
        // The bind may still complete: close the socket as soon as it does.
        this.#server.once('listening', () => this.#server.close());
      }
    }
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
