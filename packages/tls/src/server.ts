import { constants as cryptoConstants, randomBytes } from 'node:crypto';
import { Socket as NetSocket, type Socket } from 'node:net';
import {
  createServer,
  DEFAULT_CIPHERS,
  type SecureContext,
  type Server as NodeTlsServer,
  type TLSSocket,
} from 'node:tls';
import type { IoScheduler } from '@coro/io';
import {
  AcceptQueue,
  InvalidAddressError,
  type IoStatus,
  IpAddress,
  Listeners,
  SocketAddress,
  type tcp,
} from '@coro/net';
import { type Expected, InvalidArgumentError, type WaitOptions } from '@coro/task';
import { acceptedClient, type Client } from './client.ts';
import { Context, readContext } from './context.ts';
import { checkScheduler, maxNodeTimer, refuseUnknownOptions } from './internal/options.ts';
import { describeTlsError, failure, type TlsFailure } from './status.ts';

/** Options of `tls.Server`: `tcp.Server`'s, plus the contexts and the handshake's rules. */
export interface ServerOptions extends Omit<tcp.ServerOptions, 'readMode'> {
  /**
   * The context for clients that send no SNI name, or one that `sni` does not list. With
   * `verifyPeer: true` its clients must present a certificate signed by its `ca` (mutual
   * TLS); the names `sni` serves follow their own context's `verifyPeer`. Needed unless `sni`
   * is given.
   */
  readonly context?: Context | undefined;
  /**
   * Contexts by SNI host name: `'api.example.com'`, or `'*.example.com'` for one label of any
   * name. A client asking for a name that is not here gets `context`, or, without one, is
   * dropped with `contextRequired`. The key only routes: give a wildcard context a certificate
   * the client accepts (Node.js clients refuse a wildcard with one label after it: `*.example`).
   * Each context's `cert`, `key`, `ca`, `verifyPeer` and `alpn` apply to its names. Its
   * `minVersion`, `maxVersion` and `ciphers` must equal the default context's (without one, the
   * first sni context's), and either every context has an `alpn` list or none has: Node.js
   * cannot switch these by name, so a server whose contexts differ there is refused with
   * `InvalidArgumentError` rather than left to ignore them.
   */
  readonly sni?: Readonly<Record<string, Context>> | ReadonlyMap<string, Context> | undefined;
  /**
   * Milliseconds a client has, from its TCP connection, to complete the handshake; then it is
   * dropped with `timeout`. Default 10,000; `Infinity`: no limit (not advised: a client that
   * connects and sends nothing then holds its socket until it leaves).
   */
  readonly handshakeTimeout?: number | undefined;
  /**
   * Called for every client whose handshake failed or timed out, after it was dropped. It
   * never stops the server; an exception it throws goes to the scheduler's `onError`.
   */
  readonly onHandshakeFailure?: ((failure: HandshakeFailure) => void) | undefined;
}

// ServerOptions' keys (a record, so that the compiler holds it to the interface).
const serverOptionKeys: Readonly<Record<keyof ServerOptions, true>> = {
  address: true,
  port: true,
  backlog: true,
  reusePort: true,
  ipv6Only: true,
  acceptors: true,
  noDelay: true,
  context: true,
  sni: true,
  handshakeTimeout: true,
  onHandshakeFailure: true,
};

/** A client dropped before `accept()` saw it: why, and who it was. */
export interface HandshakeFailure extends TlsFailure {
  /** The client's address, when it was known. */
  readonly peerAddress: SocketAddress | undefined;
  /** The SNI name the client asked for, if it sent one. */
  readonly serverName: string | undefined;
}

const contextRequiredCode = 'ERR_CORO_TLS_CONTEXT_REQUIRED';

/** The `error` of a `contextRequired` failure, with its code and what OpenSSL said as `cause`. */
function contextRequiredError(message: string, cause?: unknown): Error {
  const error = cause === undefined ? new Error(message) : new Error(message, { cause });
  return Object.assign(error, { code: contextRequiredCode });
}

function optionalBoolean(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') {
    throw new InvalidArgumentError(`${name} must be a boolean, got ${String(value)}`);
  }
  return value;
}

function checkHandshakeTimeout(value: unknown): number {
  if (value === undefined) return 10_000;
  if (value === Infinity) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(
      `handshakeTimeout must be a number of milliseconds > 0 or Infinity, got ${String(value)}`,
    );
  }
  return Math.min(Math.ceil(value), maxNodeTimer);
}

function readSni(sni: ServerOptions['sni']): Map<string, Context> {
  const map = new Map<string, Context>();
  if (sni === undefined) return map;
  if (sni === null || typeof sni !== 'object') {
    throw new InvalidArgumentError('sni must be an object or a Map of host name to Context');
  }
  const entries = sni instanceof Map ? [...sni.entries()] : Object.entries(sni);
  for (const [name, context] of entries) {
    if (
      typeof name !== 'string' ||
      name === '' ||
      (name.includes('*') && !/^\*\.[^*]+$/.test(name))
    ) {
      throw new InvalidArgumentError(`sni: ${JSON.stringify(name)} is not a host name or *.name`);
    }
    if (!(context instanceof Context)) {
      throw new InvalidArgumentError(`sni: the value for ${name} is not a tls.Context`);
    }
    if (!readContext(context).hasIdentity) {
      throw new InvalidArgumentError(`sni: the context for ${name} has no cert and key`);
    }
    const host = hostKey(name);
    if (map.has(host)) {
      throw new InvalidArgumentError(
        `sni: ${JSON.stringify(name)} names a host given twice (keys are compared without case ` +
          'and without a trailing dot): give each host one key',
      );
    }
    map.set(host, context);
  }
  return map;
}

/** A host name as sni keys and SNI names are compared: lower case, no trailing dot. */
function hostKey(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

const perConnection = ['minVersion', 'maxVersion', 'ciphers'] as const;

/**
 * Refuses sni contexts whose TLS versions or ciphers differ from the main context's (the
 * default, else the first sni context): Node.js gives a connection these when it makes it,
 * before the client's SNI name is known, and SNICallback swaps only the certificate, key and
 * CA store in. They would be silently ignored.
 */
function checkPerConnectionOptions(context: Context | undefined, sni: Map<string, Context>): void {
  const main = context ?? sni.values().next().value!;
  const mainName = context === undefined ? 'the first sni context' : 'the default context';
  const ours = readContext(main).secureOptions;
  for (const [name, other] of sni) {
    const theirs = readContext(other).secureOptions;
    for (const option of perConnection) {
      if (
        option === 'ciphers'
          ? sameCiphers(theirs.ciphers, ours.ciphers)
          : theirs[option] === ours[option]
      )
        continue;
      throw new InvalidArgumentError(
        `sni ${JSON.stringify(name)}: its context's ${option} (${theirs[option] ?? 'not set'}) ` +
          `differs from ${mainName}'s (${ours[option] ?? 'not set'}). Node.js fixes a ` +
          "connection's TLS versions and ciphers when it creates it, before the client's SNI " +
          'name is known, so a context chosen by name cannot change them: give every context ' +
          `of the server the same ${option}, or serve that name from another tls.Server`,
      );
    }
  }
}

/** Every context of a server, each with how an error message names it. */
function namedContexts(
  context: Context | undefined,
  sni: Map<string, Context>,
): [string, Context][] {
  const named: [string, Context][] =
    context === undefined ? [] : [['the default context', context]];
  for (const [name, c] of sni) named.push([`sni ${JSON.stringify(name)}'s context`, c]);
  return named;
}

/**
 * Refuses a server context with `verifyPeer: true` and no `ca`: OpenSSL would then verify client
 * certificates against Node.js's bundled public roots, so a certificate any public CA issued to
 * anyone would pass as the client's identity. Mutual TLS names the CAs it trusts.
 */
function checkMutualCa(context: Context | undefined, sni: Map<string, Context>): void {
  const all = namedContexts(context, sni);
  for (const [where, c] of all) {
    if (c.verifyPeer === true && readContext(c).secureOptions.ca === undefined) {
      throw new InvalidArgumentError(
        `${where} has verifyPeer: true but no ca: a server verifies client certificates against ` +
          "its ca, and without one Node.js's public roots would pass any publicly issued " +
          'certificate as the client: give it the CA certificates of your clients',
      );
    }
  }
}

/**
 * Whether two cipher settings are one list as OpenSSL reads it: entries separated by colons,
 * commas or spaces, empty ones ignored; unset is Node.js's default list.
 */
function sameCiphers(a: string | undefined, b: string | undefined): boolean {
  const list = (ciphers: string | undefined) =>
    (ciphers ?? DEFAULT_CIPHERS)
      .split(/[\s,:]+/)
      .filter((entry) => entry !== '')
      .join(':');
  return list(a) === list(b);
}

/**
 * The ALPN lists of the server's contexts: `undefined` when no context has one, the list when
 * every context has the same one (`ALPNProtocols`), `'byName'` when they differ (chosen by
 * the context serving the client's name, in `ALPNCallback`). Some contexts with a list and
 * others without are refused: `ALPNCallback` can pick a protocol or fail the handshake, but
 * cannot answer a client without ALPN, as a context without a list would.
 */
function alpnOf(
  context: Context | undefined,
  sni: Map<string, Context>,
): readonly string[] | 'byName' | undefined {
  const all = namedContexts(context, sni);
  const lists = all.map(([, c]) => readContext(c).alpn);
  const first = lists[0];
  if (lists.every((list) => sameList(list, first))) return first;
  const without = lists.indexOf(undefined);
  if (without >= 0) {
    const withList = lists.findIndex((list) => list !== undefined);
    throw new InvalidArgumentError(
      `${all[without]![0]} has no alpn list, while ${all[withList]![0]} has one ` +
        `(${lists[withList]!.join(', ')}). Node.js can choose the ALPN protocol by the ` +
        "client's SNI name, but cannot turn ALPN off for one name (its ALPNCallback picks one " +
        "of the client's protocols or fails the handshake): give every context an alpn list, " +
        'or none',
    );
  }
  return 'byName';
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((p, i) => p === b[i]);
}

/**
 * The peer of a handshake that failed: from the TLS socket, or, once that is gone, from the
 * TCP socket under it (Node.js keeps it in `_parent`), which kept what #onConnection read.
 */
function peerOf(socket: TLSSocket): SocketAddress | undefined {
  const own = socketAddressOf(socket.remoteAddress, socket.remotePort);
  if (own !== undefined) return own;
  const raw = (socket as { _parent?: unknown })._parent;
  return raw instanceof NetSocket ? socketAddressOf(raw.remoteAddress, raw.remotePort) : undefined;
}

function socketAddressOf(address: string | undefined, port: number | undefined) {
  if (address === undefined || port === undefined) return undefined;
  const ip = IpAddress.tryParse(address);
  return ip === undefined ? undefined : new SocketAddress(ip, port);
}

/**
 * A TLS listener (libcoro's `net::tls::server`), with `tcp.Server`'s accept surface.
 * `accept()` resolves only with clients whose handshake has completed (and whose certificate
 * was verified, with mutual TLS). Handshakes run concurrently, each under `handshakeTimeout`;
 * a client that fails or is too slow is dropped and reported to `onHandshakeFailure`, and
 * never holds up the accept loop or other clients.
 *
 * @example
 * const context = new Context({ cert: 'server.pem', key: 'server.key' });
 * await using server = new tls.Server(scheduler, { address: '127.0.0.1', port: 8443, context });
 * for await (const client of server) scheduler.spawnDetached(serve(client));
 */
export class Server implements AsyncDisposable, AsyncIterable<Client> {
  readonly #scheduler: IoScheduler;
  readonly #listeners: Listeners;
  readonly #default: Context | undefined;
  readonly #sni: Map<string, Context>;
  // Whether clients are asked for a certificate: when any context (default or sni) has
  // verifyPeer. Whether one is required is the serving context's verifyPeer (see #onSecure).
  readonly #requestCert: boolean;
  readonly #noDelay: boolean;
  readonly #onFailure: ((failure: HandshakeFailure) => void) | undefined;
  readonly #accepts: AcceptQueue<Client>;
  #shutdown = false;
  #handshakes = 0;
  #failed = 0;
  // The TCP connections whose handshake is in progress, for shutdown() to close.
  readonly #handshaking = new Set<Socket>();
  // One 'close' listener for every such connection (an arrow per connection costs more).
  readonly #forgetHandshake: (this: Socket) => void;

  /** Listens on `options.address`:`options.port`. Bad options throw at the call. */
  constructor(scheduler: IoScheduler, options: ServerOptions) {
    this.#scheduler = checkScheduler(scheduler, 'tls.Server');
    this.#accepts = new AcceptQueue(scheduler, {
      deliver: (client: Client) => client,
      discard: (client: Client) => client.close(),
    });
    const handshaking = this.#handshaking;
    this.#forgetHandshake = function (this: Socket) {
      handshaking.delete(this);
    };
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError('tls.Server expects options with a context or sni');
    }
    if ('ip' in options) {
      throw new InvalidAddressError(
        'tls.Server options name the IP address `address`, not `ip`: pass { address, port, ... }',
      );
    }
    refuseUnknownOptions(options, serverOptionKeys, 'tls.Server');
    const {
      context: _context,
      sni: _sni,
      handshakeTimeout: _handshakeTimeout,
      onHandshakeFailure: _onHandshakeFailure,
      noDelay: _noDelay,
      ...listenOptions
    } = options;
    const context = options.context;
    if (context !== undefined && !(context instanceof Context)) {
      throw new InvalidArgumentError('context must be a tls.Context');
    }
    if (context !== undefined && !readContext(context).hasIdentity) {
      throw new InvalidArgumentError('a server context needs a cert and a key');
    }
    const sni = readSni(options.sni);
    if (context === undefined && sni.size === 0) {
      throw new InvalidArgumentError('tls.Server needs a context, or sni contexts, or both');
    }
    this.#noDelay = optionalBoolean(options.noDelay, 'noDelay');
    const handshakeTimeout = checkHandshakeTimeout(options.handshakeTimeout);
    if (
      options.onHandshakeFailure !== undefined &&
      typeof options.onHandshakeFailure !== 'function'
    ) {
      throw new InvalidArgumentError('onHandshakeFailure must be a function');
    }
    this.#onFailure = options.onHandshakeFailure;
    this.#default = context;
    this.#sni = sni;
    const main = context ?? sni.values().next().value!;
    // What SNICallback cannot switch is refused when it differs, never silently ignored.
    checkPerConnectionOptions(context, sni);
    checkMutualCa(context, sni);
    const alpn = alpnOf(context, sni);
    this.#requestCert =
      context?.verifyPeer === true || [...sni.values()].some((c) => c.verifyPeer === true);
    const { minVersion, maxVersion, ciphers } = readContext(main).secureOptions;
    const secure = {
      // tls.Server makes its default context from these (it has no secureContext option).
      ...(context === undefined ? {} : readContext(context).secureOptions),
      // Without a default, the versions and ciphers every sni context shares: a connection
      // has them from its start (Node.js's defaults otherwise, whatever the contexts said).
      ...(context === undefined
        ? { minVersion, maxVersion, ...(ciphers === undefined ? {} : { ciphers }) }
        : {}),
      ...(sni.size === 0 ? {} : { SNICallback: this.#selectContext }),
      // With SNI contexts, no TLS 1.2 session tickets: Node.js asks SNICallback nothing and
      // reports no servername for a resumed session, so a returning client would be served as
      // one that sent no name (its serverName lost, the default context chosen). A full
      // handshake each time keeps every client's name. (An SNI server's TLS 1.3 sessions did not
      // resume before either, with node:tls alone too.)
      // No TLS 1.2 renegotiation, ever: a client could swap the certificate the server verified
      // (or the SNI name it was admitted under) for another after it was accepted.
      // (A Context sets no secureOptions flags of its own: these are the only ones.)
      secureOptions:
        cryptoConstants.SSL_OP_NO_RENEGOTIATION |
        (sni.size === 0 ? 0 : cryptoConstants.SSL_OP_NO_TICKET),
      // One list for every name, or, when the contexts' lists differ, the serving context's.
      ...(alpn === undefined
        ? {}
        : alpn === 'byName'
          ? { ALPNCallback: this.#selectAlpn }
          : { ALPNProtocols: [...alpn] }),
      // Verified here, after the handshake, so that the X.509 code is kept for the report, and
      // required there only by the contexts that have verifyPeer (asked for by all: Node.js
      // sets the request when it creates the connection, before the SNI name is known).
      requestCert: this.#requestCert,
      rejectUnauthorized: false,
      handshakeTimeout,
      // Not during the handshake: a client that leaves mid-handshake (a FIN) must end it now,
      // not when handshakeTimeout runs out. Set per socket once the handshake is done.
      allowHalfOpen: false,
      // One set of session-ticket keys for every acceptor: a client resumes its session
      // whichever listening socket the kernel gives its next connection to.
      ticketKeys: randomBytes(48),
    };
    // One Node.js TLS server per acceptor, all with the same handlers. @coro/net's Listeners
    // checks the listening options (as tcp.Server's), binds, settles ready() and closes.
    this.#listeners = new Listeners({
      create: (): NodeTlsServer =>
        createServer(secure)
          .on('connection', this.#onConnection)
          .on('secureConnection', this.#onSecure)
          .on('tlsClientError', this.#onClientError),
      listen: listenOptions,
      onFailure: (status) => this.#accepts.fail(status),
    });
  }

  readonly #selectContext = (
    name: string,
    callback: (error: Error | null, context?: SecureContext) => void,
  ): void => {
    const context = this.#lookup(name);
    if (context !== undefined) callback(null, readContext(context).secureContext);
    else callback(contextRequiredError(`no context serves the name ${JSON.stringify(name)}`));
  };

  // ALPN when the contexts' lists differ: the first protocol of the serving context's list
  // that the client offers (the server's order, as ALPNProtocols), else undefined: the
  // handshake fails with no_application_protocol, as with ALPNProtocols. Node.js calls it after
  // SNICallback, and only for a client that offers ALPN. (Every context has a list here.)
  readonly #selectAlpn = ({
    servername,
    protocols,
  }: {
    servername: string;
    protocols: string[];
  }): string | undefined => {
    const context = this.#lookup(servername || undefined);
    // No name and no default context: the handshake fails for want of a certificate, reported
    // as contextRequired. Under TLS 1.3 Node.js asks this first: answering keeps ALPN from
    // failing it with a reason of its own.
    if (context === undefined) return protocols[0];
    return readContext(context).alpn?.find((protocol) => protocols.includes(protocol));
  };

  #lookup(name: string | undefined): Context | undefined {
    if (!name) return this.#default;
    const lower = hostKey(name);
    const exact = this.#sni.get(lower);
    if (exact !== undefined) return exact;
    const dot = lower.indexOf('.');
    const wildcard = dot > 0 ? this.#sni.get(`*${lower.slice(dot)}`) : undefined;
    return wildcard ?? this.#default;
  }

  readonly #onConnection = (socket: Socket): void => {
    // Read now, while the connection is surely up: net.Socket keeps what it read, and a
    // handshake the client drops (a certificate it refuses: the most common failure) leaves a
    // socket that is gone by the time it is reported (see peerOf).
    void socket.remoteAddress;
    this.#handshaking.add(socket);
    socket.on('close', this.#forgetHandshake);
  };

  // The handshake of `socket` is over: its TCP connection is no longer shutdown()'s to close.
  #handshakeDone(socket: TLSSocket): void {
    // Node.js keeps the TCP socket a server's TLSSocket wraps in `_parent` (since 0.x). Should
    // that change, the connection is found by its addresses instead, more slowly.
    const raw = (socket as { _parent?: unknown })._parent;
    // (Its 'close' listener stays: deleting what is not there is cheaper than removing it.)
    if (raw instanceof NetSocket) {
      this.#handshaking.delete(raw);
      return;
    }
    const port = socket.remotePort;
    if (port === undefined) return;
    for (const candidate of this.#handshaking) {
      if (candidate.remotePort === port && candidate.remoteAddress === socket.remoteAddress) {
        this.#handshaking.delete(candidate);
        candidate.removeListener('close', this.#forgetHandshake);
        return;
      }
    }
  }

  readonly #onSecure = (socket: TLSSocket): void => {
    this.#handshakeDone(socket);
    if (this.#shutdown) {
      socket.destroy();
      return;
    }
    // The context that served the connection (#selectContext's choice for its SNI name, else
    // the default): OpenSSL verified the client's certificate against its CA store.
    const context = this.#lookup(socket.servername || undefined)!;
    const required = context.verifyPeer === true;
    if (this.#requestCert && !required) {
      // Asked for because another context requires one, not by this name: whatever the client
      // sent is no identity, verified or not. Nothing says otherwise: `authorized` is what
      // Node.js reports on a server that asks for none, and peerCertificate stays undefined.
      socket.authorized = false;
    }
    if (required && !socket.authorized) {
      const certificate = socket.getPeerX509Certificate();
      const code =
        certificate === undefined
          ? 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE'
          : String(socket.authorizationError);
      const message =
        certificate === undefined
          ? 'the client sent no certificate'
          : `the client's certificate was refused: ${code}`;
      const status = code === 'CERT_HAS_EXPIRED' ? 'certificateExpired' : 'certificateInvalid';
      const peer = socketAddressOf(socket.remoteAddress, socket.remotePort);
      socket.on('error', () => {});
      socket.destroy();
      this.#report({
        ...failure(status, message, code),
        peerAddress: peer,
        serverName: socket.servername || undefined,
      });
      return;
    }
    this.#handshakes++;
    // From now on the peer's close_notify + FIN ends only its half: we may still answer.
    socket.allowHalfOpen = true;
    if (this.#noDelay) socket.setNoDelay(true);
    const client = acceptedClient(this.#scheduler, socket, context, !required);
    // A connection that dies before it is accepted leaves the queue.
    if (this.#accepts.push(client)) socket.once('close', () => this.#accepts.remove(client));
  };

  readonly #onClientError = (error: Error, socket: TLSSocket): void => {
    this.#handshakeDone(socket);
    if (this.#shutdown) {
      // shutdown() closed the handshakes in progress: what their sockets report now is that
      // close, not something the peer did. Not a failure, not reported.
      if (!socket.destroyed) socket.destroy();
      return;
    }
    let why = describeTlsError(error);
    const serverName = socket.servername || undefined;
    if (why.code === contextRequiredCode) {
      why = failure('contextRequired', why.message, contextRequiredCode, why.error);
    } else if (
      this.#default === undefined &&
      serverName === undefined &&
      why.status === 'handshakeFailed'
    ) {
      // No SNI name, so Node.js never asked #selectContext, and there is no default: OpenSSL
      // had no certificate and failed with a reason of its own (no suitable signature algorithm
      // under TLS 1.3, no shared cipher under 1.2). The reason to report is the missing context.
      const required = contextRequiredError(
        'the client sent no SNI name, and the server has no default context to serve it',
        error,
      );
      why = failure('contextRequired', required.message, contextRequiredCode, required);
    }
    const peer = peerOf(socket);
    if (!socket.destroyed) socket.destroy();
    this.#report({ ...why, peerAddress: peer, serverName });
  };

  #report(report: HandshakeFailure): void {
    this.#failed++;
    const callback = this.#onFailure;
    if (callback === undefined) return;
    try {
      callback(report);
    } catch (error) {
      // The scheduler's onError reports it; the server carries on.
      this.#scheduler.spawnDetached(Promise.reject(error));
    }
  }

  /** Resolves `ok` once listening, or the bind error (`native(EADDRINUSE)`, ...). */
  ready(): Promise<IoStatus> {
    return this.#listeners.ready();
  }

  /** The address listened on, once listening. */
  get localAddress(): SocketAddress | undefined {
    return this.#listeners.localAddress;
  }

  /** The listening sockets accepting for this server (`acceptors`), once `ready()` resolved. */
  get acceptors(): number {
    return this.#listeners.count;
  }

  /** The port listened on (the ephemeral one for `port: 0`), or `0` before listening. */
  get port(): number {
    return this.localAddress?.port ?? 0;
  }

  /** Whether `shutdown()` was called. */
  get isShutdown(): boolean {
    return this.#shutdown;
  }

  /** Clients whose handshake completed and that nobody took with `accept()` yet. */
  get pending(): number {
    return this.#accepts.pending;
  }

  /** Handshakes completed so far (clients handed to `accept()` or queued for it). */
  get handshakes(): number {
    return this.#handshakes;
  }

  /** Clients dropped so far because their handshake failed or timed out. */
  get failedHandshakes(): number {
    return this.#failed;
  }

  /**
   * The next client whose handshake has completed: `{ ok: true, value: client }`, or
   * `{ ok: false, error }` with `closed` (shut down), `timeout`, `cancelled`, or the bind error.
   */
  accept(options?: WaitOptions): Promise<Expected<Client, IoStatus>> {
    return this.#accepts.accept(options);
  }

  /**
   * Stops accepting: the listener closes, pending and later `accept()`s get `closed`, clients
   * not yet accepted (and handshakes in progress) are closed. Accepted clients stay open. The
   * handshakes it closes are not reported to `onHandshakeFailure` (nor counted as failed).
   */
  shutdown(): void {
    if (this.#shutdown) return;
    this.#shutdown = true;
    this.#listeners.close();
    this.#accepts.close();
    const handshaking = [...this.#handshaking];
    this.#handshaking.clear();
    for (const socket of handshaking) socket.destroy();
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

  /** Accepts handshaken clients until `shutdown()` (or a bind error) ends the iteration. */
  async *[Symbol.asyncIterator](): AsyncIterator<Client> {
    for (;;) {
      const accepted = await this.accept();
      if (!accepted.ok) return;
      yield accepted.value;
    }
  }
}
