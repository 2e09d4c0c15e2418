import type { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import {
  type ConnectionOptions,
  checkServerIdentity,
  type PeerCertificate,
  connect as tlsConnect,
  type TLSSocket,
} from 'node:tls';
import { type IoScheduler, type PollOp, type PollStatus, SchedulerShutdownError } from '@coro/io';
import { type Endpoint, type IoStatus, SocketAddress, tcp } from '@coro/net';
import {
  InvalidArgumentError,
  isStopRequested,
  onStop,
  readWaitOptions,
  type WaitOptions,
} from '@coro/task';
import { Context, readContext } from './context.ts';
import { TlsBusyError } from './errors.ts';
import { checkScheduler, refuseUnknownOptions } from './internal/options.ts';
import { type ConnectionStatus, describeTlsError, failure, type TlsFailure } from './status.ts';

/** `[status, filled view of the caller's buffer]`, as `tcp.Client` returns it. */
export type ReadResult = [status: IoStatus, view: Uint8Array];
/** `[status, the part of the caller's bytes that was not sent]`, as `tcp.Client` returns it. */
export type WriteResult = [status: IoStatus, remainder: Uint8Array];

/** The cipher suite a connection negotiated (Node.js's `getCipher()`). */
export interface CipherInfo {
  /** OpenSSL's name, such as `'TLS_AES_256_GCM_SHA384'`. */
  readonly name: string;
  /** The IETF name. */
  readonly standardName: string;
  /** The lowest TLS version the suite is for. */
  readonly version: string;
}

/** Options of `new Client(...)`. */
export interface ClientOptions {
  /**
   * The host name sent as SNI and checked against the server's certificate. Default: the
   * context's `serverName`, else the IP address connected to (checked against the
   * certificate's IP entries; no SNI is sent for an IP address).
   */
  readonly serverName?: string | undefined;
}

// ClientOptions' keys (a record, so that the compiler holds it to the interface).
const clientOptionKeys: Readonly<Record<keyof ClientOptions, true>> = { serverName: true };

// Lets the server build a client around a socket whose handshake is done.
const acceptedMarker = Symbol('accepted');
let defaultContext: Context | undefined;
let wrapAccepted: (
  scheduler: IoScheduler,
  socket: TLSSocket,
  context: Context,
  hidePeerCertificate: boolean,
) => Client;

/**
 * @internal Wraps a server-side socket whose handshake has completed (for `tls.Server`).
 * `hidePeerCertificate`: the serving context did not require a client certificate, so one
 * the client sent anyway (another context asked for it) is not shown as `peerCertificate`.
 */
export function acceptedClient(
  scheduler: IoScheduler,
  socket: TLSSocket,
  context: Context,
  hidePeerCertificate = false,
): Client {
  return wrapAccepted(scheduler, socket, context, hidePeerCertificate);
}
const noop = (): void => {};

/**
 * A TLS connection (libcoro's `net::tls::client`), with the read / write / poll surface of
 * `tcp.Client`: code written for a `tcp.Client` runs over TLS by changing the constructor.
 * `connect()` runs the TCP connect and the TLS handshake under one deadline and resolves with a
 * `ConnectionStatus`; the server's certificate and host name are verified by default. Data the
 * TLS layer has already decrypted is what `poll`, `recv` and `readSome` see first, so nothing
 * sits where a poll cannot find it.
 *
 * @example
 * const context = new Context({ ca: caPem });
 * await using client = new tls.Client(scheduler, { address: '127.0.0.1', port: 8443 }, context);
 * const status = await client.connect({ timeout: 5000 });
 * if (status !== 'connected') throw new Error(`${status}: ${client.failure?.code}`);
 * await client.writeAll(Buffer.from('ping'));
 * const [read, reply] = await client.readSome(Buffer.alloc(64), { timeout: 1000 });
 */
export class Client implements AsyncDisposable {
  readonly #scheduler: IoScheduler;
  readonly #remote: SocketAddress | undefined;
  readonly #context: Context;
  readonly #serverName: string | undefined;
  #tcp: tcp.Client | undefined;
  #socket: TLSSocket | undefined;
  #connecting = false;
  // While a connect is pending: ends it `cancelled` (close, reset, dispose) and gives its socket.
  #pendingConnect: { cancel: () => void; socket: TLSSocket } | undefined;
  // Set by close(), reset() and dispose: a closed client does not connect again.
  #closed = false;
  #failure: TlsFailure | undefined;
  // What the handshake agreed on, read from the socket when first asked for (most servers
  // never ask: reading it eagerly, or at close(), cost every connection).
  #details: HandshakeDetails | undefined;
  // Accepted by a server whose context for this client's name did not verify certificates.
  #hidePeerCertificate = false;

  /**
   * A client that will connect to `endpoint` (a `SocketAddress` or `{ address, port }` with an
   * IP address: resolve names with `@coro/net`'s `dns.Resolver`) with `context` (default: a
   * context trusting Node.js's bundled root CAs, verifying the peer). Nothing happens until
   * `connect()`. Throws `InvalidAddressError` for a bad address or port,
   * `InvalidArgumentError` for other bad arguments.
   */
  constructor(
    scheduler: IoScheduler,
    endpoint: Endpoint,
    context?: Context,
    options: ClientOptions = {},
  ) {
    this.#scheduler = checkScheduler(scheduler, 'tls.Client');
    if (context !== undefined && !(context instanceof Context)) {
      throw new InvalidArgumentError('tls.Client expects a tls.Context as its third argument');
    }
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError('tls.Client options must be an object');
    }
    refuseUnknownOptions(options, clientOptionKeys, 'tls.Client');
    const serverName = options.serverName ?? context?.serverName;
    if (serverName !== undefined && (typeof serverName !== 'string' || serverName === '')) {
      throw new InvalidArgumentError('serverName must be a non-empty string');
    }
    this.#context = context ?? (defaultContext ??= new Context());
    this.#serverName = serverName;
    this.#remote =
      endpoint === (acceptedMarker as unknown) ? undefined : SocketAddress.from(endpoint);
  }

  static {
    wrapAccepted = (scheduler, socket, context, hidePeerCertificate) => {
      const client = new Client(scheduler, acceptedMarker as unknown as Endpoint, context);
      client.#hidePeerCertificate = hidePeerCertificate;
      client.#attach(socket);
      return client;
    };
  }

  #attach(socket: TLSSocket): void {
    this.#socket = socket;
    this.#details = undefined;
    this.#tcp = tcp.Client.from(this.#scheduler, socket);
  }

  #handshake(): HandshakeDetails | undefined {
    // Closed by close() or reset(), the socket may still be flushing its last bytes (see the
    // README's "Closing") with its TLS state alive: not read then either, so that what these
    // getters give after a close does not depend on how long that takes.
    if (this.#details === undefined && this.#socket !== undefined && !this.#tcpClosed()) {
      this.#details = readDetails(this.#socket, this.#hidePeerCertificate);
    }
    return this.#details;
  }

  /** The address given to the constructor (`undefined` for accepted clients). */
  get remote(): SocketAddress | undefined {
    return this.#remote;
  }

  /** The context connections are made with. */
  get context(): Context {
    return this.#context;
  }

  /** The name sent as SNI and verified, when one was set. */
  get serverName(): string | undefined {
    return (
      this.#serverName ??
      (this.#remote === undefined ? this.#socket?.servername || undefined : undefined)
    );
  }

  /** The underlying `tls.TLSSocket` once connected (for what this class does not wrap). */
  get socket(): TLSSocket | undefined {
    return this.#socket;
  }

  /** Whether the connection is up (handshake done, not closed). */
  get isConnected(): boolean {
    return this.#tcp?.isConnected ?? false;
  }

  /**
   * Why the last `connect()` failed, or why the connection failed later (a TLS alert, a
   * reset): status, code (the X.509 code for certificate failures) and error. `undefined`
   * while nothing failed.
   */
  get failure(): TlsFailure | undefined {
    if (this.#failure !== undefined) return this.#failure;
    const cause = this.#tcp?.connectError?.cause;
    return cause === undefined ? undefined : describeTlsError(cause);
  }

  /**
   * The ALPN protocol agreed on, if any. This and `protocol`, `cipher`, `peerCertificate` are
   * read from the connection when first asked for and kept from then on; asked for the first
   * time only once the connection is closed (Node.js has freed its TLS state), all four are
   * `undefined`: read what you need before `close()`.
   */
  get alpnProtocol(): string | undefined {
    return this.#handshake()?.alpn;
  }

  /** The TLS version in use, such as `'TLSv1.3'`, once connected. */
  get protocol(): string | undefined {
    return this.#handshake()?.protocol;
  }

  /** The cipher suite in use, once connected. */
  get cipher(): CipherInfo | undefined {
    return this.#handshake()?.cipher;
  }

  /**
   * The certificate the peer presented, if it presented one. On a server, only a client
   * certificate that was required and verified (the serving context has `verifyPeer: true`).
   */
  get peerCertificate(): X509Certificate | undefined {
    return this.#handshake()?.peerCertificate;
  }

  /** This end's address, once connected. */
  get localAddress(): SocketAddress | undefined {
    return this.#tcp?.localAddress;
  }

  /** The peer's address, once connected. */
  get peerAddress(): SocketAddress | undefined {
    return this.#tcp?.peerAddress;
  }

  /**
   * The reads and writes as suspendables for coroutine task bodies, as `tcp.Client.co`:
   * `const [status, view] = yield* client.co.readSome(buffer)`. Take it once connected (or
   * from an accepted client): before, it answers every call with the not-connected status.
   */
  get co(): tcp.ClientOps {
    return this.#connected().co;
  }

  /**
   * Connects and runs the handshake, both under one `timeout` / `signal`. Resolves with a
   * `ConnectionStatus` (`failure` says more when it is not `'connected'`); never throws for
   * network outcomes. A connected client resolves `'connected'` at once; after a failure,
   * `connect()` may be called again; after `close()`, `reset()` or dispose it resolves
   * `'cancelled'` at once and opens no socket. Throws `TlsBusyError` while a connect is pending.
   */
  connect(options?: WaitOptions): Promise<ConnectionStatus> {
    const { signal, timeout } = readWaitOptions(options);
    if (timeout !== undefined && timeout > 0 && this.#scheduler.state === 'stopped') {
      // What callAfter() would throw, before a socket is opened that nothing would then end.
      throw new SchedulerShutdownError(
        'connect() with a timeout: the scheduler is shut down (it arms no deadline)',
      );
    }
    const remote = this.#remote;
    if (remote === undefined) {
      throw new InvalidArgumentError('this client was accepted by a server: it cannot connect');
    }
    if (this.#connecting) throw new TlsBusyError('connect() is already pending');
    if (this.#closed) {
      return this.#fail(failure('cancelled', 'the client is closed: it does not connect again'));
    }
    if (this.isConnected) return Promise.resolve('connected');
    this.#failure = undefined;
    if (isStopRequested(signal)) return this.#fail(failure('cancelled', 'the signal stopped'));
    if (timeout === 0) return this.#fail(failure('timeout', 'timeout 0: nothing is ready now'));
    this.#connecting = true;
    const internals = readContext(this.#context);
    const verify = this.#context.verifyPeer !== false;
    const host = remote.ip.toString();
    const name = this.#serverName;
    return new Promise<ConnectionStatus>((resolve) => {
      let settled = false;
      // `allowHalfOpen` is honoured by tls.connect (a TLSSocket is a net.Socket) but missing
      // from its types: without it, the peer's close_notify would end our side too.
      const connectOptions: ConnectionOptions & { allowHalfOpen: boolean; family: number } = {
        host,
        port: remote.port,
        family: remote.family === 'ipv4' ? 4 : 6,
        secureContext: internals.secureContext,
        ...(internals.alpn === undefined ? {} : { ALPNProtocols: internals.alpn }),
        ...(name === undefined || isIP(name) !== 0 ? {} : { servername: name }),
        rejectUnauthorized: verify,
        ...(verify && name !== undefined && isIP(name) !== 0
          ? { checkServerIdentity: checkIdentityAs(name) }
          : {}),
        allowHalfOpen: true,
      };
      const socket = tlsConnect(connectOptions);
      const finish = (status: ConnectionStatus, why?: TlsFailure) => {
        if (settled) return;
        settled = true;
        this.#connecting = false;
        this.#pendingConnect = undefined;
        timer?.cancel();
        registration?.unregister();
        socket.removeListener('secureConnect', onSecure);
        socket.removeListener('error', onError);
        socket.removeListener('close', onClose);
        if (status === 'connected') {
          this.#attach(socket);
        } else {
          this.#failure = why;
          // A late error from a socket given up on must not go uncaught.
          socket.on('error', noop);
          socket.destroy();
        }
        resolve(status);
      };
      const onSecure = () => finish('connected');
      const onError = (error: Error) => {
        const why = describeTlsError(error);
        finish(why.status, why);
      };
      const onClose = () =>
        finish(
          'unexpectedClose',
          failure('unexpectedClose', 'the peer closed during the handshake'),
        );
      socket.once('secureConnect', onSecure);
      socket.on('error', onError);
      socket.once('close', onClose);
      this.#pendingConnect = {
        cancel: () => finish('cancelled', failure('cancelled', 'closed while connecting')),
        socket,
      };
      const timer =
        timeout === undefined
          ? undefined
          : this.#scheduler.callAfter(timeout, () =>
              finish('timeout', failure('timeout', `no handshake within ${timeout} ms`)),
            );
      const registration =
        signal === undefined
          ? undefined
          : onStop(signal, () => finish('cancelled', failure('cancelled', 'the signal stopped')));
    });
  }

  #fail(why: TlsFailure): Promise<ConnectionStatus> {
    this.#failure = why;
    return Promise.resolve(why.status);
  }

  /**
   * Reads what is available (decrypted), waiting for at least one byte: `[ok, view]` where
   * `view` is the filled start of `buffer`; `[closed, empty]` at the end of the stream;
   * `[timeout | cancelled | connectionReset | native…, empty]`. As `tcp.Client.readSome`.
   */
  readSome(buffer: Uint8Array, options?: WaitOptions): Promise<ReadResult> {
    return this.#connected().readSome(buffer, options);
  }

  /** Fills `buffer` completely, or returns the status that stopped it with what arrived. */
  readExact(buffer: Uint8Array, options?: WaitOptions): Promise<ReadResult> {
    return this.#connected().readExact(buffer, options);
  }

  /** Hands up to 1 MiB of `bytes` to TLS: `[ok, unsent remainder]`. As `tcp.Client.writeSome`. */
  writeSome(bytes: Uint8Array, options?: WaitOptions): Promise<WriteResult> {
    return this.#connected().writeSome(bytes, options);
  }

  /**
   * Writes every byte, resolving when Node.js no longer holds any of them: `[ok, empty]`, or
   * the failure with the unsent remainder. As `tcp.Client.writeAll`.
   */
  writeAll(bytes: Uint8Array, options?: WaitOptions): Promise<WriteResult> {
    return this.#connected().writeAll(bytes, options);
  }

  /** One immediate read attempt of decrypted data: `[ok, view]` or `[wouldBlock, empty]`. */
  recv(buffer: Uint8Array): ReadResult {
    return this.#connected().recv(buffer);
  }

  /** One immediate write attempt: `[ok, rest]`, or `[wouldBlock, bytes]` when TLS is full. */
  send(bytes: Uint8Array): WriteResult {
    return this.#connected().send(bytes);
  }

  /**
   * Waits until decrypted data can be read (`'read'`), a write goes out (`'write'`), or the
   * connection is `'closed'` / `'error'`, or `'timeout'` / `'cancelled'`.
   */
  poll(op: PollOp, options?: WaitOptions): Promise<PollStatus> {
    return this.#connected().poll(op, options);
  }

  /** Half-closes: sends TLS `close_notify` and FIN once pending writes are out; reads go on. */
  shutdown(): IoStatus {
    return this.#connected().shutdown();
  }

  /**
   * Closes the connection; pending calls resolve with `closed` at once, and a pending
   * `connect()` with `'cancelled'`. What `writeAll` / `writeSome` already accepted still goes
   * out: Node.js may hold encrypted bytes of theirs (TLS resolves them once encrypted), so the
   * socket sends them, then `close_notify` and FIN, before it is released (see the README's
   * "Closing").
   */
  close(): void {
    this.#closed = true;
    this.#pendingConnect?.cancel();
    this.#tcp?.close();
  }

  /**
   * Aborts the connection at once: no `close_notify`, pending writes dropped, pending calls
   * resolve with `closed`. Node.js cannot send a TCP RST through a TLS socket, so the peer
   * sees the connection end (or a TLS error) rather than `connectionReset`.
   */
  reset(): void {
    this.#closed = true;
    this.#pendingConnect?.cancel();
    this.#tcp?.reset();
  }

  /** Turns Nagle's algorithm off (`true`) or on. */
  setNoDelay(noDelay = true): void {
    this.#connected().setNoDelay(noDelay);
  }

  /** Turns TCP keep-alive on or off; `initialDelay` in ms before the first probe. */
  setKeepAlive(enable = true, initialDelay = 0): void {
    this.#connected().setKeepAlive(enable, initialDelay);
  }

  /** Closes and waits until the socket is released. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#closed = true;
    const pending = this.#pendingConnect;
    if (pending !== undefined) {
      pending.cancel();
      // Not `socket.closed`: it turns true inside destroy(), before the handle is closed.
      const socket = pending.socket;
      await new Promise((resolve) => socket.once('close', resolve));
    }
    await this.#tcp?.[Symbol.asyncDispose]();
  }

  // Before connect: a tcp.Client that was never connected answers every call with its own
  // not-connected status, so the two types agree on that too.
  #connected(): tcp.Client {
    return (
      this.#tcp ?? (this.#unconnected ??= new tcp.Client(this.#scheduler, unconnectedEndpoint))
    );
  }

  #unconnected: tcp.Client | undefined;

  #tcpClosed(): boolean {
    const client = this.#tcp;
    return client !== undefined && !client.isConnected;
  }
}

const unconnectedEndpoint = { address: '127.0.0.1', port: 0 };

interface HandshakeDetails {
  readonly alpn: string | undefined;
  readonly protocol: string | undefined;
  readonly cipher: CipherInfo | undefined;
  readonly peerCertificate: X509Certificate | undefined;
}

// Undefined once Node.js has released the socket's TLS state (it was destroyed).
function readDetails(socket: TLSSocket, hidePeer: boolean): HandshakeDetails | undefined {
  const cipher = socket.getCipher() as ReturnType<TLSSocket['getCipher']> | null;
  if (cipher == null) return undefined;
  const alpn = socket.alpnProtocol;
  return {
    alpn: typeof alpn === 'string' ? alpn : undefined,
    protocol: socket.getProtocol() ?? undefined,
    cipher: { name: cipher.name, standardName: cipher.standardName, version: cipher.version },
    peerCertificate: hidePeer ? undefined : socket.getPeerX509Certificate(),
  };
}

// Node.js checks `servername || host`; an IP given as serverName is sent as no SNI, so it is
// checked here against the certificate's IP entries.
function checkIdentityAs(name: string) {
  return (_host: string, cert: PeerCertificate) => checkServerIdentity(name, cert);
}
