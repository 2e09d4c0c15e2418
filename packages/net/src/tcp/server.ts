import { createServer, Server as NetServer, type Socket } from 'node:net';
import type { IoScheduler } from '@coro/io';
import { type Expected, InvalidArgumentError, type WaitOptions } from '@coro/task';
import { AcceptQueue } from '../accept-queue.ts';
import { type AcceptedReadMode, acceptedChannel } from '../internal/accepted.ts';
import type { Channel } from '../internal/channel.ts';
import { checkScheduler, optionalBoolean, refuseUnknownOptions } from '../internal/options.ts';
import type { IoStatus } from '../io-status.ts';
import { type ListenOptions, Listeners, listenOptionKeys } from '../listeners.ts';
import { refuseLookalike, SocketAddress } from '../socket-address.ts';
import { type Client, wrapChannel } from './client.ts';

/**
 * Options of `tcp.Server` (libcoro's `server::options`): where and how to listen (address,
 * port, backlog, reusePort, ipv6Only, acceptors: see `ListenOptions`), and how to treat the
 * accepted connections.
 */
export interface ServerOptions extends ListenOptions {
  /** Set `TCP_NODELAY` on every accepted connection. Default `false`. */
  readonly noDelay?: boolean | undefined;
  /**
   * How accepted connections are read: `'auto'` (default) takes them over into `onread` mode
   * (reads straight into the caller's buffer) where that works on this Node.js, else reads them
   * as `'readable'` does; `'readable'` always reads through the stream (flowing, each chunk
   * copied into the waiting reader's buffer). See the README, "How data moves".
   */
  readonly readMode?: AcceptedReadMode | undefined;
}

// ServerOptions' keys (a record, so that the compiler holds it to the interface): the
// listening options and the server's own.
const serverOptionKeys: Readonly<Record<keyof ServerOptions, true>> = {
  ...listenOptionKeys,
  noDelay: true,
  readMode: true,
};

// Set by `Server.from` for the constructor it calls.
let adopting: NetServer | undefined;

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
  readonly #listeners: Listeners;
  readonly #noDelay: boolean;
  readonly #readMode: AcceptedReadMode;
  readonly #accepts: AcceptQueue<Channel, Client>;
  #shutdown = false;

  /**
   * Listens on `options.address`:`options.port`, or on a `SocketAddress`'s address and port
   * (the other options at their defaults). Bad options throw at the call.
   */
  constructor(scheduler: IoScheduler, options: ServerOptions | SocketAddress = {}) {
    this.#scheduler = checkScheduler(scheduler, 'tcp.Server');
    this.#accepts = new AcceptQueue(scheduler, {
      deliver: (channel: Channel) => {
        channel.onGone = undefined;
        return wrapChannel(scheduler, channel);
      },
      discard: (channel: Channel) => channel.close(),
    });
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError('tcp.Server options must be an object or a SocketAddress');
    }
    const settings: ServerOptions = options instanceof SocketAddress ? {} : options;
    refuseLookalike(settings, 'tcp.Server');
    refuseUnknownOptions(settings, serverOptionKeys, 'tcp.Server');
    const { noDelay: _noDelay, readMode: _readMode, ...listenOptions } = settings;
    this.#noDelay = optionalBoolean(settings.noDelay, 'noDelay') ?? false;
    const readMode = settings.readMode ?? 'auto';
    if (readMode !== 'auto' && readMode !== 'readable') {
      throw new InvalidArgumentError(
        `readMode must be 'auto' or 'readable', got ${String(readMode)}`,
      );
    }
    this.#readMode = readMode;
    const onFailure = (status: IoStatus): void => this.#accepts.fail(status);
    this.#listeners =
      adopting !== undefined
        ? new Listeners({ server: adopting.on('connection', this.#onConnection), onFailure })
        : new Listeners({
            create: () =>
              createServer({ allowHalfOpen: true, pauseOnConnect: true }).on(
                'connection',
                this.#onConnection,
              ),
            listen: options instanceof SocketAddress ? options : listenOptions,
            onFailure,
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
    return this.#listeners.ready();
  }

  /** The address listened on, once listening. */
  get localAddress(): SocketAddress | undefined {
    return this.#listeners.localAddress;
  }

  /** The port listened on (the ephemeral one for `port: 0`), or `0` before listening. */
  get port(): number {
    return this.localAddress?.port ?? 0;
  }

  /**
   * The listening sockets accepting for this server (see the `acceptors` option): final once
   * `ready()` resolved; 0 after `shutdown()` or when the port could not be bound.
   */
  get acceptors(): number {
    return this.#listeners.count;
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
    this.#listeners.close();
    this.#accepts.close();
  }

  /** Same as `shutdown()`. */
  close(): void {
    this.shutdown();
  }

  /**
   * `shutdown()`, and waits until every listening socket's handle is released (a listen still
   * under way completes and is closed first). Accepted clients stay open, and are not waited for.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.shutdown();
    await this.#listeners[Symbol.asyncDispose]();
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
