import { Socket } from 'node:net';
import type { IoScheduler, PollOp, PollStatus } from '@coro/io';
import {
  type Continuation,
  InvalidArgumentError,
  isStopRequested,
  onStop,
  type Suspendable,
  suspend,
  type WaitOptions,
} from '@coro/task';
import { SocketBusyError } from '../errors.ts';
import { Channel, type ReadResult, type WriteResult } from '../internal/channel.ts';
import {
  checkBoolean,
  checkBuffer,
  checkDeadline,
  checkPollOp,
  checkScheduler,
  readOptions,
} from '../internal/options.ts';
import { IoStatus } from '../io-status.ts';
import { IpAddress } from '../ip-address.ts';
import { type Endpoint, SocketAddress } from '../socket-address.ts';
import { connectHost, isGroupAddress, unknownZoneStatus } from '../internal/zone.ts';

export type { ReadResult, WriteResult } from '../internal/channel.ts';

/**
 * The outcome of `Client.connect` (libcoro's `connect_status`):
 * - `connected`: the connection is up.
 * - `refused`: nobody listens there (`ECONNREFUSED`).
 * - `timeout`: the `timeout` ran out (or the OS gave up: `ETIMEDOUT`).
 * - `invalidAddress`: no connection can go to that address: an IPv6 zone that names no
 *   interface of this host (`EINVAL`, nothing is sent), a multicast or broadcast address
 *   (`ENETUNREACH`), or the OS refused it (`EADDRNOTAVAIL`, `EINVAL`, `EAFNOSUPPORT`).
 * - `cancelled`: the `signal` stopped, or the client is closed: `close()`, `reset()` or dispose
 *   came during the connect or before it (then `connectError` is `closed`; no socket is opened).
 * - `error`: anything else; `client.connectError` holds the reason (an `IoStatus` with errno).
 */
export type ConnectStatus =
  | 'connected'
  | 'refused'
  | 'timeout'
  | 'invalidAddress'
  | 'cancelled'
  | 'error';

const notConnected = IoStatus.fromError(
  Object.assign(new Error('the client is not connected'), { code: 'ENOTCONN' }),
);
/** @internal Wraps a channel made by a server (not exported from the package). */
export let wrapChannel: (scheduler: IoScheduler, channel: Channel) => Client;

// Lets the wrapping factories reach the constructor without an address.
const wrapMarker = Symbol('wrap');
const invalidAddressCodes = new Set(['EADDRNOTAVAIL', 'EINVAL', 'EAFNOSUPPORT']);

function toSocketAddress(address: string | undefined, port: number | undefined) {
  if (address === undefined || port === undefined) return undefined;
  const ip = IpAddress.tryParse(address);
  return ip === undefined ? undefined : new SocketAddress(ip, port);
}

/**
 * A TCP connection (libcoro's `net::tcp::client`). Made with an address to `connect()` to,
 * by `Server.accept()`, or over any connected `net.Socket` with `Client.from` (a
 * `tls.TLSSocket` too). Every read and write returns a status instead of throwing; one read
 * and one write may be pending at the same time.
 *
 * @example
 * await using client = new tcp.Client(scheduler, { address: '127.0.0.1', port: 8080 });
 * if ((await client.connect({ timeout: 1000 })) !== 'connected') return;
 * const [sent] = await client.writeAll(Buffer.from('ping'));
 * const [status, reply] = await client.readSome(Buffer.alloc(64), { timeout: 1000 });
 */
export class Client implements AsyncDisposable {
  readonly #scheduler: IoScheduler;
  readonly #remote: SocketAddress | undefined;
  #channel: Channel | undefined;
  #connecting = false;
  // The last failed connect()'s socket, until libuv has closed it: what dispose waits for.
  #attemptClosed: Promise<void> | undefined;
  // Set by close(), reset() and dispose: a closed client does not connect again.
  #closed = false;
  // What ends the pending connect(): close(), reset() and dispose end a connect that is still
  // pending (else it would connect after them, and stay connected).
  #pendingConnect: { cancel: () => void } | undefined;
  #connectError: IoStatus | undefined;
  // The addresses as Node.js reports them, read when the connection is up (Node.js caches
  // them, so they outlive the socket) and parsed only when asked for.
  #peerAddress: string | undefined;
  #peerPort: number | undefined;
  #localAddress: string | undefined;
  #localPort: number | undefined;
  #peer: SocketAddress | undefined;
  #local: SocketAddress | undefined;
  #ops: ClientOps | undefined;

  /**
   * A client that will connect to `endpoint` (a `SocketAddress`, or `{ address, port }` with
   * an IP address: resolve names with `dns.Resolver` first). Nothing happens until
   * `connect()`. Throws `InvalidAddressError` for a bad address or port.
   */
  constructor(scheduler: IoScheduler, endpoint: Endpoint) {
    this.#scheduler = checkScheduler(scheduler, 'tcp.Client');
    this.#remote = endpoint === (wrapMarker as unknown) ? undefined : SocketAddress.from(endpoint);
  }

  /**
   * Wraps a connected (or connecting) `net.Socket` — a `tls.TLSSocket` is one — in a
   * `Client`. The client owns the socket from then on: it listens for its `'error'` events
   * (so none goes uncaught) and reads it in paused mode; do not read it (`'data'`) elsewhere.
   * A socket made with `allowHalfOpen: false` (Node.js's default) ends its write side when the
   * peer's FIN arrives.
   *
   * @example
   * const tlsSocket = tls.connect({ host, port });
   * const client = tcp.Client.from(scheduler, tlsSocket);
   */
  static from(scheduler: IoScheduler, socket: Socket): Client {
    checkScheduler(scheduler, 'tcp.Client.from');
    if (!(socket instanceof Socket)) {
      throw new InvalidArgumentError('tcp.Client.from expects a net.Socket');
    }
    if (Channel.owns(socket)) {
      throw new InvalidArgumentError('tcp.Client.from: this socket belongs to a client already');
    }
    // Reads copy bytes into the caller's buffer: a socket that decodes hands out strings.
    if (socket.readableEncoding !== null) {
      throw new InvalidArgumentError(
        'tcp.Client.from: this socket decodes what it reads ' +
          `(setEncoding('${socket.readableEncoding}')); a client reads bytes`,
      );
    }
    return Client.#wrap(scheduler, new Channel(scheduler, socket));
  }

  static {
    wrapChannel = (scheduler, channel) => Client.#wrap(scheduler, channel);
  }

  static #wrap(scheduler: IoScheduler, channel: Channel): Client {
    const client = new Client(scheduler, wrapMarker as unknown as Endpoint);
    client.#attach(channel);
    return client;
  }

  #attach(channel: Channel): void {
    this.#channel = channel;
    this.#ops?.attach(channel);
    const socket = channel.socket;
    this.#readAddresses(socket);
    if (this.#peerAddress === undefined && socket.connecting) {
      socket.once('connect', () => this.#readAddresses(socket));
    }
  }

  #readAddresses(socket: Socket): void {
    this.#peerAddress = socket.remoteAddress;
    this.#peerPort = socket.remotePort;
    this.#localAddress = socket.localAddress;
    this.#localPort = socket.localPort;
    this.#peer = undefined;
    this.#local = undefined;
  }

  /** The address given to the constructor (`undefined` for accepted and wrapped clients). */
  get remote(): SocketAddress | undefined {
    return this.#remote;
  }

  /** The underlying `net.Socket` once there is one (for options this class does not wrap). */
  get socket(): Socket | undefined {
    return this.#channel?.socket;
  }

  /** Whether a connection is up (connected and not closed). */
  get isConnected(): boolean {
    const channel = this.#channel;
    return channel !== undefined && !channel.closed;
  }

  /** Why the last `connect()` or the connection failed, with its errno; else `undefined`. */
  get connectError(): IoStatus | undefined {
    return this.#connectError ?? this.#channel?.error;
  }

  /** How reads reach the socket: `'onread'` (libuv reads into a shared buffer, no per-chunk Buffer) or `'readable'`. */
  get readMode(): 'onread' | 'readable' | undefined {
    return this.#channel?.readMode;
  }

  /**
   * How writes (and, with `'handle'`, reads) reach the socket: `'handle'` (on the socket's
   * libuv handle itself: connected and accepted clients where Node.js allows it, see the
   * README, "How data moves"), `'direct'` (to the socket's own `_write`, past the stream's
   * queue) or `'stream'` (through `socket.write()`: TLS sockets, and any socket whose `_write`
   * is not Node.js's own).
   */
  get writeMode(): 'handle' | 'direct' | 'stream' | undefined {
    return this.#channel?.writeMode;
  }

  /** This end's address, once connected. */
  get localAddress(): SocketAddress | undefined {
    this.#local ??= toSocketAddress(this.#localAddress, this.#localPort);
    return this.#local;
  }

  /** The peer's address, once connected (kept after close). */
  get peerAddress(): SocketAddress | undefined {
    this.#peer ??= toSocketAddress(this.#peerAddress, this.#peerPort);
    return this.#peer;
  }

  /**
   * Connects to the constructor's address. Resolves with a `ConnectStatus`; never throws for
   * network outcomes. A client that is connected resolves `'connected'` at once; after a
   * failure, `connect()` may be called again. After `close()`, `reset()` or dispose it
   * resolves `'cancelled'` at once, with `connectError` `closed`, and opens no socket.
   */
  connect(options?: WaitOptions): Promise<ConnectStatus> {
    const { signal, timeout } = readOptions(options);
    const remote = this.#remote;
    if (remote === undefined) {
      throw new InvalidArgumentError('this client wraps a socket: there is nothing to connect to');
    }
    if (this.#connecting) throw new SocketBusyError('connect() is already pending');
    if (this.#closed) {
      this.#connectError = IoStatus.closed;
      return Promise.resolve('cancelled');
    }
    if (this.isConnected) return Promise.resolve('connected');
    const host = connectHost(remote.ip);
    if (host === undefined) {
      this.#connectError = unknownZoneStatus();
      return Promise.resolve('invalidAddress');
    }
    // Answered at once, with connectError as the same outcome reached while pending leaves it.
    if (isStopRequested(signal)) {
      this.#connectError = IoStatus.cancelled;
      return Promise.resolve('cancelled');
    }
    if (timeout === 0) {
      this.#connectError = IoStatus.timeout;
      return Promise.resolve('timeout');
    }
    checkDeadline(this.#scheduler, timeout, 'connect');
    this.#connecting = true;
    this.#connectError = undefined;
    return new Promise<ConnectStatus>((resolve) => {
      const onread = Channel.createOnread();
      const socket = new Socket({
        allowHalfOpen: true,
        onread: { buffer: onread.buffer, callback: onread.callback },
      });
      const channel = new Channel(this.#scheduler, socket, true);
      onread.attach(channel);
      let settled = false;
      const finish = (status: ConnectStatus, error?: IoStatus) => {
        if (settled) return;
        settled = true;
        this.#connecting = false;
        this.#pendingConnect = undefined;
        socket.removeListener('connect', onConnect);
        socket.removeListener('error', onError);
        timer?.cancel();
        registration?.unregister();
        if (status === 'connected') {
          this.#attach(channel);
          channel.useHandle();
        } else {
          this.#connectError = error;
          // Dispose waits for the attempt's handle too, as for a connected socket's.
          this.#attemptClosed = new Promise((done) => socket.once('close', () => done()));
          socket.destroy();
        }
        resolve(status);
      };
      const onConnect = () => finish('connected');
      const onError = (error: Error) => {
        const status = IoStatus.fromError(error);
        const code = status.errno ?? '';
        if (status.kind === 'connectionRefused') finish('refused', status);
        else if (status.kind === 'timeout') finish('timeout', status);
        else if (invalidAddressCodes.has(code)) finish('invalidAddress', status);
        // The kernel refuses TCP to a multicast or broadcast address with ENETUNREACH.
        else if (code === 'ENETUNREACH' && isGroupAddress(remote.ip))
          finish('invalidAddress', status);
        else finish('error', status);
      };
      socket.once('connect', onConnect);
      socket.once('error', onError);
      const timer =
        timeout === undefined
          ? undefined
          : this.#scheduler.callAfter(timeout, () => finish('timeout', IoStatus.timeout));
      const registration =
        signal === undefined
          ? undefined
          : onStop(signal, () => finish('cancelled', IoStatus.cancelled));
      if (!settled) {
        this.#pendingConnect = { cancel: () => finish('cancelled', IoStatus.cancelled) };
        socket.connect({
          host,
          port: remote.port,
          family: remote.family === 'ipv4' ? 4 : 6,
        });
      }
    });
  }

  /**
   * The reads and writes of this client for coroutine task bodies: each returns an operation
   * to wait on with `yield*` (typed) or `yield`, instead of a promise. Same checks, results
   * and statuses as the promise methods; the coroutine resumes in the socket callback that
   * completes the call, with no promise in between. See the README, "Coroutine handlers".
   */
  get co(): ClientOps {
    this.#ops ??= new ClientOps(this, this.#channel);
    return this.#ops;
  }

  /**
   * Reads what is available, waiting for at least one byte: `[ok, view]` where `view` is the
   * filled start of `buffer`; `[closed, empty]` at end of stream; `[timeout | cancelled |
   * connectionReset | native..., empty]`. Throws `SocketBusyError` if a read is pending.
   */
  readSome(buffer: Uint8Array, options?: WaitOptions): Promise<ReadResult> {
    const channel = this.#channel;
    if (channel === undefined) return notConnectedCall(READ_SOME, buffer, options);
    return channel.readSome(buffer, options, false);
  }

  /**
   * Fills `buffer` completely: `[ok, buffer]`, or the status that stopped it with the view of
   * what arrived (the deadline covers the whole call).
   */
  readExact(buffer: Uint8Array, options?: WaitOptions): Promise<ReadResult> {
    const channel = this.#channel;
    if (channel === undefined) return notConnectedCall(READ_EXACT, buffer, options);
    return channel.readSome(buffer, options, true);
  }

  /**
   * Hands up to 1 MiB of `bytes` to the socket and resolves when Node.js is done with them:
   * `[ok, unsent remainder]`. See `writeAll` for timeouts.
   */
  writeSome(bytes: Uint8Array, options?: WaitOptions): Promise<WriteResult> {
    const channel = this.#channel;
    if (channel === undefined) return notConnectedCall(WRITE_SOME, bytes, options);
    return channel.write(bytes, options, false);
  }

  /**
   * Writes every byte, resolving when Node.js no longer holds any of them (reuse the buffer at
   * once): `[ok, empty]`, or the failure with the unsent remainder. A `timeout` or `signal`
   * that ends the call while bytes are in flight resets the connection (they cannot be taken
   * back from the kernel's queue); the remainder then starts at the chunk in flight.
   */
  writeAll(bytes: Uint8Array, options?: WaitOptions): Promise<WriteResult> {
    const channel = this.#channel;
    if (channel === undefined) return notConnectedCall(WRITE_ALL, bytes, options);
    return channel.write(bytes, options, true);
  }

  /** One immediate read attempt (libcoro's `recv`): `[ok, view]` or `[wouldBlock, empty]`. */
  recv(buffer: Uint8Array): ReadResult {
    const channel = this.#channel;
    if (channel === undefined) return [notConnected, buffer.subarray(0, 0)];
    return channel.recv(buffer);
  }

  /**
   * One immediate write attempt (libcoro's `send`): copies what fits under the socket's write
   * high-water mark, `[ok, rest]`, or `[wouldBlock, bytes]` when it is full.
   */
  send(bytes: Uint8Array): WriteResult {
    const channel = this.#channel;
    if (channel === undefined) return [notConnected, bytes];
    return channel.send(bytes);
  }

  /**
   * Waits until the client can be read (`'read'`), written (`'write'`), or is `'closed'` /
   * `'error'`, or `'timeout'` / `'cancelled'`.
   */
  poll(op: PollOp, options?: WaitOptions): Promise<PollStatus> {
    const channel = this.#channel;
    if (channel === undefined) {
      checkPollOp(op);
      readOptions(options);
      return Promise.resolve('closed');
    }
    return channel.poll(op, options);
  }

  /** Half-closes: sends FIN once pending writes are out; reading goes on. */
  shutdown(): IoStatus {
    return this.#channel?.shutdown() ?? notConnected;
  }

  /**
   * Closes the connection at once; pending calls resolve with `closed` (a pending `connect()`
   * with `cancelled`, and so does every later one).
   */
  close(): void {
    this.#closed = true;
    this.#pendingConnect?.cancel();
    this.#channel?.close();
  }

  /**
   * Aborts the connection: the peer gets a RST (`connectionReset`). A pending `connect()`
   * resolves `cancelled`, and so does every later one.
   */
  reset(): void {
    this.#closed = true;
    this.#pendingConnect?.cancel();
    this.#channel?.reset();
  }

  /** Turns Nagle's algorithm off (`true`, the default here) or on. */
  setNoDelay(noDelay = true): void {
    checkBoolean(noDelay, 'setNoDelay');
    this.#channel?.socket.setNoDelay(noDelay);
  }

  /** Turns TCP keep-alive on or off; `initialDelay` in ms before the first probe. */
  setKeepAlive(enable = true, initialDelay = 0): void {
    checkBoolean(enable, 'setKeepAlive');
    if (typeof initialDelay !== 'number' || !Number.isFinite(initialDelay) || initialDelay < 0) {
      throw new InvalidArgumentError(
        `setKeepAlive initialDelay must be a finite number of ms ≥ 0, got ${String(initialDelay)}`,
      );
    }
    this.#channel?.socket.setKeepAlive(enable, initialDelay);
  }

  /** Closes and waits until the socket's handle is released. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#closed = true;
    // A pending connect ends `cancelled`, and its socket is then the attempt waited for here.
    this.#pendingConnect?.cancel();
    await this.#attemptClosed;
    const channel = this.#channel;
    if (channel === undefined) return;
    channel.close();
    await channel.whenClosed();
  }
}

const empty = new Uint8Array(0);
// The iterator results of `yield*` over an operation: `yield*` reads them at once and never
// keeps them, so two objects serve every operation (an operation makes no garbage).
const yielding: { value: unknown; done: false } = { value: undefined, done: false };
const returning: { value: unknown; done: true } = { value: undefined, done: true };
const READ_SOME = 0;
const READ_EXACT = 1;
const WRITE_SOME = 2;
const WRITE_ALL = 3;

/**
 * One read or write of `Client.co`, for a coroutine to wait on, once: `yield* op` (typed) or
 * `yield op` (the suspend protocol). It is also a thenable, so that an `await` by mistake still
 * gets the result (through a promise, as the promise methods give it).
 *
 * Under `yield*`, a call that can end at once ends in the delegation's first `next()`, and the
 * coroutine does not suspend: a read of bytes already here, and a write, which starts there
 * (most end at once, the kernel taking them whole). Otherwise the operation yields itself: a
 * read that must wait starts once the runner gives its continuation; a write already in
 * flight hands its result to that continuation through `#relay` (which holds a result that
 * comes first).
 */
export class SocketOp<T extends ReadResult | WriteResult>
  implements Suspendable<T>, Iterator<SocketOp<T>, T, T>, PromiseLike<T>
{
  // The client's channel when the operation was made; `undefined` before a connect, when the
  // call looks the channel up from `#ops` as it starts (an operation is lazy: it does its call
  // when waited on, on the connection the client has then).
  #channel: Channel | undefined;
  readonly #ops: ClientOps;
  #kind: number;
  #bytes: Uint8Array;
  #options: WaitOptions | undefined;
  // 0: not waited on; 1: yielded by yield*, not started (a read that waits: [suspend] starts
  // it); 2: used, through yield or then; 3: used through yield*, whose next next() call takes
  // the result; 4: that was done, or the call ended in the first next(); 5: started by yield*
  // and pending, yielded (a write in flight: [suspend] gives the continuation for its result).
  // Only 2 and 4 may be reused: a yield* in state 3 reads the state again when it resumes,
  // which may be after its call is over (a deadline, a stop or a close resumes it after the
  // current job), and would start whatever call a reuse put in the operation meanwhile.
  #state = 0;
  // States 5 and 3: who gets the result of the write started by yield* (the runner's
  // continuation), or the result itself when it came before the runner asked for it.
  #waiter: Continuation<T> | undefined = undefined;
  #held: { result: T; failed: boolean } | undefined = undefined;
  // The continuation given to the channel for a call started by yield* (made on first use).
  #relayTo: Continuation<T> | undefined = undefined;

  /** @internal */
  constructor(
    ops: ClientOps,
    channel: Channel | undefined,
    kind: number,
    bytes: Uint8Array,
    options: WaitOptions | undefined,
  ) {
    this.#ops = ops;
    this.#channel = channel;
    this.#kind = kind;
    this.#bytes = bytes;
    this.#options = options;
  }

  /**
   * @internal The operation again, for a new call of the same kind, if it can be: once it was
   * used and its call is over (a caller still holding it could only wait on it again, which
   * is an error anyway). `ClientOps` reuses its last operation of each kind this way.
   */
  static reuse<T extends ReadResult | WriteResult>(
    op: SocketOp<T> | undefined,
    channel: Channel | undefined,
    kind: number,
    bytes: Uint8Array,
    options: WaitOptions | undefined,
  ): SocketOp<T> | undefined {
    if (op === undefined || (op.#state !== 2 && op.#state !== 4)) return undefined;
    const busy = op.#kind <= READ_EXACT ? op.#channel?.readPending : op.#channel?.writePending;
    if (busy === true) return undefined;
    op.#channel = channel;
    op.#kind = kind;
    op.#bytes = bytes;
    op.#options = options;
    op.#state = 0;
    op.#waiter = undefined;
    op.#held = undefined;
    return op;
  }

  /** The suspend protocol: starts the call (or, after yield*, waits for it); `continuation` gets its result. */
  [suspend](continuation: Continuation<T>): void {
    const state = this.#state;
    if (state === 5) {
      this.#state = 3;
      const held = this.#held;
      if (held === undefined) {
        this.#waiter = continuation;
      } else {
        this.#held = undefined;
        if (held.failed) continuation.fail(held.result);
        else continuation.resume(held.result);
      }
      return;
    }
    if (state !== 0 && state !== 1) {
      throw new InvalidArgumentError('a socket operation of client.co can be waited on only once');
    }
    this.#state = state === 1 ? 3 : 2;
    const result = this.#start(continuation);
    if (result !== undefined) continuation.resume(result);
  }

  /** Starts the call: its result if it ended at once, else `undefined` (`continuation` gets it). */
  #start(continuation: Continuation<T>): T | undefined {
    let channel = this.#channel;
    const kind = this.#kind;
    const bytes = this.#bytes;
    const options = this.#options;
    // Kept no longer than the call needs them (the channel keeps what it needs).
    this.#bytes = empty;
    this.#options = undefined;
    if (channel === undefined) {
      channel = this.#channel = this.#ops.channel;
      if (channel === undefined) return notConnectedResult(kind, bytes, options) as T;
    }
    if (kind <= READ_EXACT) {
      return channel.tryRead(
        bytes,
        options,
        kind === READ_EXACT,
        continuation as unknown as Continuation<ReadResult>,
      ) as T | undefined;
    }
    return channel.tryWrite(
      bytes,
      options,
      kind === WRITE_ALL,
      continuation as unknown as Continuation<WriteResult>,
    ) as T | undefined;
  }

  /** yield*'s read: the result if it ends at once (state 4), else nothing started (state 1). */
  #readNow(): T | undefined {
    const channel = (this.#channel ??= this.#ops.channel);
    const result =
      channel === undefined
        ? undefined
        : channel.readNow(this.#bytes, this.#options, this.#kind === READ_EXACT);
    if (result === undefined) {
      this.#state = 1;
      return undefined;
    }
    this.#state = 4;
    this.#bytes = empty;
    this.#options = undefined;
    return result as T;
  }

  /** yield*'s write, started: the result if it ends at once (state 4), else pending (state 5). */
  #writeNow(): T | undefined {
    this.#state = 5;
    let result: T | undefined;
    try {
      result = this.#start(this.#relay);
    } catch (error) {
      this.#state = 4;
      throw error;
    }
    if (result !== undefined) this.#state = 4;
    return result;
  }

  /** The channel's continuation for a write started by yield*: on to the runner, or held. */
  get #relay(): Continuation<T> {
    this.#relayTo ??= {
      resume: (result: T) => this.#relayed(result, false),
      fail: (error: unknown) => this.#relayed(error as T, true),
    };
    return this.#relayTo;
  }

  #relayed(result: T, failed: boolean): void {
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      if (failed) waiter.fail(result);
      else waiter.resume(result);
    } else if (this.#state === 5) {
      this.#held = { result, failed };
    }
  }

  /** `yield*` support: the operation yields itself once and returns its result. */
  [Symbol.iterator](): Iterator<SocketOp<T>, T, T> {
    return this;
  }

  /** @internal `yield*` support. */
  next(...[value]: [] | [T]): IteratorResult<SocketOp<T>, T> {
    const state = this.#state;
    if (state === 0) {
      const result = this.#kind <= READ_EXACT ? this.#readNow() : this.#writeNow();
      if (result === undefined) {
        yielding.value = this;
        return yielding as IteratorResult<SocketOp<T>, T>;
      }
      returning.value = result;
      return returning as IteratorResult<SocketOp<T>, T>;
    }
    if (state === 3) this.#state = 4;
    else if (state !== 1 && state !== 5) {
      // A yield* of an operation already used (2, 4) starts here: its first next() call.
      throw new InvalidArgumentError('a socket operation of client.co can be waited on only once');
    }
    returning.value = value;
    return returning as IteratorResult<SocketOp<T>, T>;
  }

  /** @internal `yield*` support: an error the call threw is thrown at the `yield*`. */
  throw(error?: unknown): IteratorResult<SocketOp<T>, T> {
    if (this.#state === 3) this.#state = 4;
    // The runner gave up the wait: a result that comes later goes nowhere.
    this.#waiter = undefined;
    throw error;
  }

  /** The same call through a promise (for `await`; a coroutine should `yield` instead). */
  // biome-ignore lint/suspicious/noThenProperty: the operation is deliberately awaitable.
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    // The suspend protocol with the promise's resolvers as the continuation (a second wait
    // throws in the executor, which rejects the promise).
    return new Promise<T>((resolve, reject) => {
      this[suspend]({ resume: resolve, fail: reject });
    }).then(onFulfilled, onRejected);
  }
}

const opNames = ['readSome', 'readExact', 'writeSome', 'writeAll'];

/** A promise method of a client that is not connected: the usual checks, then the status. */
function notConnectedCall<T extends ReadResult | WriteResult>(
  kind: number,
  bytes: Uint8Array,
  options: WaitOptions | undefined,
): Promise<T> {
  return Promise.resolve(notConnectedResult(kind, bytes, options) as T);
}

/** What an operation of a client that is not connected gives, after the usual checks. */
function notConnectedResult(
  kind: number,
  bytes: Uint8Array,
  options: WaitOptions | undefined,
): ReadResult | WriteResult {
  checkBuffer(bytes, opNames[kind] as string);
  readOptions(options);
  return kind <= READ_EXACT ? [notConnected, bytes.subarray(0, 0)] : [notConnected, bytes];
}

/**
 * `Client.co`: the client's reads and writes as suspendables, for coroutine task bodies.
 *
 * @example
 * const serve = task(function* (client: tcp.Client) {
 *   const buffer = Buffer.alloc(1024);
 *   for (;;) {
 *     const [status, bytes] = yield* client.co.readSome(buffer);
 *     if (!status.isOk()) return;
 *     const [written] = yield* client.co.writeAll(bytes);
 *     if (!written.isOk()) return;
 *   }
 * });
 */
export class ClientOps {
  readonly #client: Client;
  // The client's channel, kept here (set again when a connect succeeds): an operation reaches
  // it without going through the client.
  #channel: Channel | undefined;
  // The last operation of each direction, reused once its call is over: a connection's
  // operations then cost no allocation (see SocketOp.reuse).
  #read: SocketOp<ReadResult> | undefined;
  #write: SocketOp<WriteResult> | undefined;

  /** @internal */
  constructor(client: Client, channel: Channel | undefined) {
    this.#client = client;
    this.#channel = channel;
  }

  /** @internal The client connected: its channel. */
  attach(channel: Channel): void {
    this.#channel = channel;
  }

  /** @internal The client's channel, once it connected. */
  get channel(): Channel | undefined {
    return this.#channel;
  }

  /** The client these operations belong to. */
  get client(): Client {
    return this.#client;
  }

  /** `Client.readSome` for a coroutine: `const [status, view] = yield* client.co.readSome(buf)`. */
  readSome(buffer: Uint8Array, options?: WaitOptions): SocketOp<ReadResult> {
    return this.#readOp(READ_SOME, buffer, options);
  }

  /** `Client.readExact` for a coroutine. */
  readExact(buffer: Uint8Array, options?: WaitOptions): SocketOp<ReadResult> {
    return this.#readOp(READ_EXACT, buffer, options);
  }

  /** `Client.writeSome` for a coroutine. */
  writeSome(bytes: Uint8Array, options?: WaitOptions): SocketOp<WriteResult> {
    return this.#writeOp(WRITE_SOME, bytes, options);
  }

  /** `Client.writeAll` for a coroutine: `const [status, rest] = yield* client.co.writeAll(bytes)`. */
  writeAll(bytes: Uint8Array, options?: WaitOptions): SocketOp<WriteResult> {
    return this.#writeOp(WRITE_ALL, bytes, options);
  }

  #readOp(kind: number, buffer: Uint8Array, options: WaitOptions | undefined) {
    const channel = this.#channel;
    const op: SocketOp<ReadResult> =
      SocketOp.reuse(this.#read, channel, kind, buffer, options) ??
      new SocketOp(this, channel, kind, buffer, options);
    this.#read = op;
    return op;
  }

  #writeOp(kind: number, bytes: Uint8Array, options: WaitOptions | undefined) {
    const channel = this.#channel;
    const op: SocketOp<WriteResult> =
      SocketOp.reuse(this.#write, channel, kind, bytes, options) ??
      new SocketOp(this, channel, kind, bytes, options);
    this.#write = op;
    return op;
  }
}
