import type { Server as NetServer } from 'node:net';
import { InvalidArgumentError } from '@coro/task';
import { checkAcceptors, optionalBoolean, refuseUnknownOptions } from './internal/options.ts';
import { handlesReleased } from './internal/released.ts';
import { connectHost, unknownZoneError } from './internal/zone.ts';
import { IoStatus } from './io-status.ts';
import type { IpAddress } from './ip-address.ts';
import { checkPort, refuseLookalike, SocketAddress, toIpAddress } from './socket-address.ts';

/** Where and how a `Listeners` group listens: the listening options of `tcp.Server`. */
export interface ListenOptions {
  /** The address to listen on, default `'0.0.0.0'` (every IPv4 interface); `'::'` for IPv6. */
  readonly address?: string | IpAddress | undefined;
  /** The port, default `0`: an ephemeral port. */
  readonly port?: number | undefined;
  /** The kernel's queue of connections not yet accepted, per acceptor; default 511. */
  readonly backlog?: number | undefined;
  /** `SO_REUSEPORT`: several listeners (threads, processes) share the port. Default `false`. */
  readonly reusePort?: boolean | undefined;
  /** With an IPv6 address: refuse IPv4-mapped connections. Default `false` (dual stack). */
  readonly ipv6Only?: boolean | undefined;
  /**
   * Listening sockets to open on the port, 1–64, default 1. More than one implies
   * `reusePort`; with `reusePort: false` it is an `InvalidArgumentError`.
   */
  readonly acceptors?: number | undefined;
}

// ListenOptions' keys, held to the interface by the compiler: given beside `create` instead of
// in `listen`, they would be ignored.
/** @internal */
export const listenOptionKeys: Readonly<Record<keyof ListenOptions, true>> = {
  address: true,
  port: true,
  backlog: true,
  reusePort: true,
  ipv6Only: true,
  acceptors: true,
};
const listenKeys = Object.keys(listenOptionKeys);

/** What a `Listeners` group is made of. */
export interface ListenersOptions {
  /**
   * Makes one listening server (a `net.Server`, or a `tls.Server` from `node:tls`) with the
   * caller's connection handlers attached, not yet listening. Called once per acceptor.
   */
  readonly create: () => NetServer;
  /**
   * Where and how to listen, checked at the call: the options, or a `SocketAddress` (its
   * address and port, with the other options at their defaults).
   */
  readonly listen?: ListenOptions | SocketAddress | undefined;
  /**
   * Called once, synchronously, if binding fails (with the status `ready()` then resolves
   * with): feed it to an `AcceptQueue`'s `fail()`.
   */
  readonly onFailure?: ((status: IoStatus) => void) | undefined;
}

function checkBacklog(backlog: unknown): number {
  if (typeof backlog !== 'number' || !Number.isInteger(backlog) || backlog < 0) {
    throw new InvalidArgumentError(`backlog must be an integer ≥ 0, got ${String(backlog)}`);
  }
  return backlog;
}

/**
 * The address and port `listen` names: a `SocketAddress`'s own, or `address` (default
 * `'0.0.0.0'`) and `port` (default 0). An object with an `ip` looks like a SocketAddress but is
 * not one of this package (another copy's, or a plain object): it is refused, since reading
 * `address` from it would listen on every interface instead.
 */
function listenAddress(listen: ListenOptions | SocketAddress): SocketAddress {
  if (listen instanceof SocketAddress) return listen;
  refuseLookalike(listen, 'listen');
  return new SocketAddress(toIpAddress(listen.address ?? '0.0.0.0'), checkPort(listen.port ?? 0));
}

interface ExtrasWanted {
  readonly count: number;
  readonly create: () => NetServer;
  readonly listen: object;
}

/**
 * The listening side of a server, shared by `tcp.Server` and `@coro/tls`'s `tls.Server`: one
 * or more Node.js servers listening on one address and port (more than one — `acceptors` —
 * share it with `SO_REUSEPORT`; libuv accepts one connection per listening socket per turn of
 * the event loop). It binds them, reports the outcome once through `ready()` — `ok`, the bind
 * error (`native(EADDRINUSE)`, ...), or `closed` when `close()` came first — and closes them
 * all (`await using` also waits until their handles are released). Errors a listening socket
 * raises later are absorbed (they are never uncaught).
 *
 * @example
 * const listeners = new Listeners({
 *   create: () => createServer({ pauseOnConnect: true }, onSocket),
 *   listen: { address: '127.0.0.1', port: 0, acceptors: 4 },
 *   onFailure: (status) => queue.fail(status),
 * });
 * const status = await listeners.ready(); // ok, or why not
 * listeners.localAddress; // 127.0.0.1:<the port every acceptor shares>
 */
export class Listeners implements AsyncDisposable {
  readonly #primary: NetServer;
  readonly #extras: NetServer[] = [];
  readonly #ready: Promise<IoStatus>;
  #resolveReady!: (status: IoStatus) => void;
  #status: IoStatus | undefined;
  #closed = false;
  #local: SocketAddress | undefined;
  readonly #onFailure: ((status: IoStatus) => void) | undefined;
  // The extra acceptors to open once the primary listens (its port may be ephemeral).
  #extrasWanted: ExtrasWanted | undefined;
  // Settles once the listen this group started on the primary is over, listening or failed.
  #primaryListen: Promise<void> = Promise.resolve();
  // Settles once the extra acceptors have opened or been left out.
  #extrasOpening: Promise<void> = Promise.resolve();
  #released: Promise<void> | undefined;

  /**
   * Listens as `options` says. Pass `{ server }` instead to take over one existing Node.js
   * server (listening or not yet): the group then has that one acceptor.
   */
  constructor(
    options:
      | ListenersOptions
      | {
          readonly server: NetServer;
          readonly onFailure?: ((status: IoStatus) => void) | undefined;
        },
  ) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError('Listeners expects { create, listen } or { server }');
    }
    this.#onFailure = options.onFailure;
    if (this.#onFailure !== undefined && typeof this.#onFailure !== 'function') {
      throw new InvalidArgumentError('Listeners: onFailure must be a function');
    }
    if ('server' in options) {
      this.#ready = new Promise((resolve) => (this.#resolveReady = resolve));
      this.#primary = options.server;
      this.#watch(this.#primary);
      return;
    }
    if (typeof options.create !== 'function') {
      throw new InvalidArgumentError('Listeners: create must be a function');
    }
    const misplaced = listenKeys.find((key) => key in options);
    if (misplaced !== undefined) {
      throw new InvalidArgumentError(
        `Listeners: ${misplaced} is a listening option: pass it as listen: { ${misplaced}, ... }`,
      );
    }
    const listenOption = options.listen ?? {};
    if (listenOption === null || typeof listenOption !== 'object') {
      throw new InvalidArgumentError('Listeners: listen must be an object');
    }
    const address = listenAddress(listenOption);
    const given: ListenOptions = listenOption instanceof SocketAddress ? {} : listenOption;
    refuseUnknownOptions(given, listenOptionKeys, 'listen');
    // libuv would drop a zone that names no interface and listen on the bare address.
    const host = connectHost(address.ip);
    const listen = {
      host: host ?? address.ip.toString(),
      port: address.port,
      backlog: checkBacklog(given.backlog ?? 511),
      ipv6Only: optionalBoolean(given.ipv6Only, 'ipv6Only') ?? false,
      exclusive: true,
    };
    const reusePort = optionalBoolean(given.reusePort, 'reusePort');
    const acceptors =
      given.acceptors === undefined ? 1 : checkAcceptors(given.acceptors, 'acceptors');
    if (acceptors > 1 && reusePort === false) {
      throw new InvalidArgumentError(
        'acceptors > 1 share the port with SO_REUSEPORT: leave reusePort unset, or set it to true',
      );
    }
    this.#ready = new Promise((resolve) => (this.#resolveReady = resolve));
    this.#primary = options.create();
    this.#watch(this.#primary);
    if (host === undefined) {
      // Reported as a failed listen would be: after the call, through ready() and onFailure.
      const error = unknownZoneError('listen');
      process.nextTick(() => this.#onError(error));
      return;
    }
    this.#primaryListen = listenEnd(this.#primary);
    if (acceptors === 1) {
      this.#primary.listen({ ...listen, reusePort: reusePort === true });
      return;
    }
    try {
      this.#primary.listen({ ...listen, reusePort: true });
    } catch (error) {
      // A system without SO_REUSEPORT (ERR_OPTION_NOT_SUPPORTED): one listener, as asked for
      // when reusePort was not.
      if (reusePort === true) throw error;
      this.#primary.listen(listen);
      return;
    }
    this.#extrasWanted = { count: acceptors - 1, create: options.create, listen };
  }

  #watch(server: NetServer): void {
    server.on('error', this.#onError);
    if (server.listening) this.#onListening();
    else server.once('listening', this.#onListening);
  }

  readonly #onListening = (): void => {
    if (this.#status !== undefined) return;
    this.#status = IoStatus.ok;
    const address = this.#primary.address();
    if (address !== null && typeof address === 'object') {
      this.#local = new SocketAddress(toIpAddress(address.address), address.port);
    }
    const wanted = this.#extrasWanted;
    this.#extrasWanted = undefined;
    if (wanted === undefined || this.#local === undefined || this.#closed) {
      this.#resolveReady(IoStatus.ok);
      return;
    }
    // Ready once every acceptor listens (or was left out): connections the kernel gives to
    // one still opening would otherwise wait for it.
    this.#extrasOpening = this.#openExtras(this.#local.port, wanted);
    void this.#extrasOpening.then(() => this.#resolveReady(IoStatus.ok));
  };

  readonly #onError = (error: Error): void => {
    // Once listening, an error of the listening socket (none is expected) is absorbed.
    if (this.#status !== undefined) return;
    const status = IoStatus.fromError(error);
    this.#status = status;
    this.#resolveReady(status);
    this.#onFailure?.(status);
  };

  /**
   * Opens the extra acceptors on `port`, each with SO_REUSEPORT. One that cannot listen (a
   * Node.js older than 22.12 ignores reusePort, so the port is in use) is closed and left out:
   * the group runs with the acceptors it has (`count` says how many).
   */
  async #openExtras(port: number, wanted: ExtrasWanted): Promise<void> {
    const opening: Promise<void>[] = [];
    for (let i = 0; i < wanted.count; i++) {
      const extra = wanted.create();
      opening.push(
        new Promise<void>((resolve) => {
          const failed = (): void => {
            extra.removeListener('listening', listening);
            extra.close();
            resolve();
          };
          const listening = (): void => {
            extra.removeListener('error', failed);
            // Absorbed like the primary's: a listening socket's error must not be uncaught.
            extra.on('error', () => {});
            if (this.#closed) extra.close();
            else this.#extras.push(extra);
            resolve();
          };
          extra.once('error', failed);
          extra.once('listening', listening);
          try {
            extra.listen({ ...wanted.listen, port, reusePort: true });
          } catch {
            failed();
          }
        }),
      );
    }
    await Promise.all(opening);
  }

  /** Resolves once: `ok` when every acceptor listens, the bind error, or `closed`. */
  ready(): Promise<IoStatus> {
    return this.#ready;
  }

  /**
   * The listening sockets accepting for this group: final once `ready()` resolved; 0 once the
   * group is closed, or when the port could not be bound.
   */
  get count(): number {
    if (this.#closed || (this.#status !== undefined && !this.#status.isOk())) return 0;
    return 1 + this.#extras.length;
  }

  /** The address listened on, once bound. */
  get localAddress(): SocketAddress | undefined {
    if (this.#local === undefined && this.#status === undefined) {
      const address = this.#primary.address();
      if (address !== null && typeof address === 'object') {
        this.#local = new SocketAddress(toIpAddress(address.address), address.port);
      }
    }
    return this.#local;
  }

  /**
   * Closes every listening socket. Before the listen completed, `ready()` resolves `closed`
   * and a bind still under way is closed as soon as it completes.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const primary = this.#primary;
    if (primary.listening) primary.close();
    for (const extra of this.#extras) extra.close();
    if (this.#status === undefined) {
      this.#status = IoStatus.closed;
      this.#resolveReady(IoStatus.closed);
      primary.removeListener('listening', this.#onListening);
      if (!primary.listening) primary.once('listening', () => primary.close());
    }
  }

  /**
   * `close()`, and waits until every listening socket's handle is released: a bind under way
   * is waited for (it is closed as soon as it completes), one that failed or never began is
   * not, and neither are the connections the sockets accepted. (Node.js's own `'close'` of a
   * server comes before libuv releases the handle, and only once every connection it accepted
   * has closed.)
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    this.#released ??= (async () => {
      await this.#primaryListen;
      await this.#extrasOpening;
      await handlesReleased();
    })();
    await this.#released;
  }
}

/**
 * Settles once the listen just started on `server` is over: `'listening'` (the group closes it
 * then if `close()` came first) or `'error'`.
 */
function listenEnd(server: NetServer): Promise<void> {
  return new Promise((resolve) => {
    const end = (): void => {
      server.removeListener('listening', end);
      server.removeListener('error', end);
      resolve();
    };
    server.once('listening', end);
    server.once('error', end);
  });
}
