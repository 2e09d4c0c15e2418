import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { IoScheduler, PollOp, PollStatus, ScheduledCall } from '@coro/io';
import {
  InvalidArgumentError,
  isStopRequested,
  onStop,
  type StopRegistration,
  type WaitOptions,
} from '@coro/task';
import { InvalidAddressError, SocketBusyError } from '../errors.ts';
import {
  checkBuffer,
  checkDeadline,
  checkScheduler,
  detachedError,
  readOptions,
  refuseUnknownOptions,
} from '../internal/options.ts';
import { handlesReleased } from '../internal/released.ts';
import { connectHost, unknownZoneStatus } from '../internal/zone.ts';
import { IoStatus } from '../io-status.ts';
import { type IpFamily, IpAddress } from '../ip-address.ts';
import {
  checkPort,
  type Endpoint,
  refuseLookalike,
  SocketAddress,
  toIpAddress,
} from '../socket-address.ts';

/** `[status, sender, filled view of the caller's buffer]`. */
export type RecvFromResult = [status: IoStatus, from: SocketAddress | undefined, view: Uint8Array];

/** One received datagram, as async iteration yields it. */
export interface Datagram {
  readonly from: SocketAddress;
  readonly data: Buffer;
}

/** Options of `udp.Peer`. */
export interface PeerOptions {
  /** Bind to this address (with `port`); leave both out for an unbound peer. */
  readonly address?: string | IpAddress | undefined;
  /** Bind to this port (0 = ephemeral). */
  readonly port?: number | undefined;
  /** Datagrams kept for a receiver before new ones are dropped, default 1024. */
  readonly maxQueued?: number | undefined;
}

// PeerOptions' keys (a record, so that the compiler holds it to the interface).
const peerOptionKeys: Readonly<Record<keyof PeerOptions, true>> = {
  address: true,
  port: true,
  maxQueued: true,
};

// Set while a peer hands a datagram to node:dgram (see `literal`).
let sendingNow = false;

/**
 * node:dgram's address lookup for a peer's sockets: every address given to it here is an IP
 * literal. For a send it answers at once, so that node:dgram sends in the call and reads the
 * caller's bytes then; dns.lookup answers even a literal on a later tick, when the buffer may
 * be detached already (node:dgram then sent a 0-byte datagram). For a bind it answers on the
 * next tick, as dns.lookup does: a bind completes after the call, as it always has.
 */
function literal(
  address: string,
  _family: unknown,
  callback: (error: Error | null, address: string, family: number) => void,
): void {
  const family = address.includes(':') ? 6 : 4;
  if (sendingNow) callback(null, address, family);
  else process.nextTick(callback, null, address, family);
}

interface Receiver {
  buf: Uint8Array;
  // The buffer's length when the receive started: another one means it was detached.
  length: number;
  resolve: (result: RecvFromResult) => void;
  reject: (error: Error) => void;
  timer: ScheduledCall | undefined;
  registration: StopRegistration | undefined;
}

interface Poller {
  resolve: (status: PollStatus) => void;
  timer: ScheduledCall | undefined;
  registration: StopRegistration | undefined;
}

interface Send {
  readonly socket: Socket;
  // Hands the datagram to node:dgram once its socket is bound; undefined once it has.
  start: (() => void) | undefined;
  readonly finish: (status: IoStatus) => void;
}

const emptyView = new Uint8Array(0);

function clear(waiter: Receiver | Poller): void {
  waiter.timer?.cancel();
  waiter.registration?.unregister();
}

/**
 * A UDP endpoint (libcoro's `net::udp::peer`). Bound (`{ address, port }`) it sends and
 * receives; unbound it only sends (from an ephemeral port), and `recvFrom` says `udpNotBound`.
 * Datagrams are whole: `sendTo` never sends part of one (`messageTooBig` when it cannot go),
 * and `recvFrom` gives one datagram per call (`messageTooBig` with the truncated view when it
 * did not fit the buffer). Datagrams nobody receives wait in a bounded queue (`maxQueued`);
 * beyond it new ones are dropped, as a full kernel buffer drops them.
 *
 * @example
 * await using peer = new udp.Peer(scheduler, { address: '127.0.0.1', port: 0 });
 * await peer.sendTo({ address: '127.0.0.1', port: 9000 }, Buffer.from('hi'));
 * const [status, from, view] = await peer.recvFrom(Buffer.alloc(1500), { timeout: 1000 });
 */
export class Peer implements AsyncDisposable, AsyncIterable<Datagram> {
  readonly #scheduler: IoScheduler;
  readonly #bound: boolean;
  readonly #maxQueued: number;
  readonly #sockets = new Map<IpFamily, Socket>();
  // Each socket's 'close', for [Symbol.asyncDispose]() to wait for.
  readonly #socketsClosed: Promise<void>[] = [];
  // The sockets bound (node:dgram takes a datagram on one at once) and those binding.
  readonly #listening = new Set<Socket>();
  readonly #binding = new Set<Socket>();
  readonly #queue: { from: SocketAddress; data: Buffer }[] = [];
  readonly #pollers: Poller[] = [];
  // Sends not settled yet: those waiting for their socket's bind (never handed to node:dgram
  // before it is bound: dgram would queue them, send them after a close() and forget them when
  // the bind fails) and those dgram has not called back yet. close() ends them with `closed`.
  readonly #sends = new Set<Send>();
  readonly #ready: Promise<IoStatus>;
  #receiver: Receiver | undefined;
  #boundSocket: Socket | undefined;
  #bindError: IoStatus | undefined;
  // Bound to '::' (dual-stack): IPv4 goes out of the same socket, to the mapped address.
  #dualStack = false;
  // Settles `ready()` while the bind is in progress.
  #bindDone: ((status: IoStatus) => void) | undefined;
  #error: IoStatus | undefined;
  #closed = false;
  #local: SocketAddress | undefined;
  #dropped = 0;

  constructor(scheduler: IoScheduler, options: PeerOptions | SocketAddress = {}) {
    this.#scheduler = checkScheduler(scheduler, 'udp.Peer');
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError('udp.Peer options must be an object or a SocketAddress');
    }
    refuseLookalike(options, 'udp.Peer');
    if (!(options instanceof SocketAddress))
      refuseUnknownOptions(options, peerOptionKeys, 'udp.Peer');
    const endpoint =
      options instanceof SocketAddress
        ? options
        : options.address === undefined && options.port === undefined
          ? undefined
          : new SocketAddress(
              toIpAddress(options.address ?? '0.0.0.0'),
              checkPort(options.port ?? 0),
            );
    const maxQueued = options instanceof SocketAddress ? 1024 : (options.maxQueued ?? 1024);
    if (typeof maxQueued !== 'number' || !Number.isInteger(maxQueued) || maxQueued < 1) {
      throw new InvalidArgumentError(`maxQueued must be an integer ≥ 1, got ${String(maxQueued)}`);
    }
    this.#maxQueued = maxQueued;
    this.#bound = endpoint !== undefined;
    if (endpoint === undefined) {
      this.#ready = Promise.resolve(IoStatus.ok);
      return;
    }
    const socket = this.#socketFor(endpoint.family);
    this.#boundSocket = socket;
    this.#dualStack = endpoint.family === 'ipv6' && endpoint.ip.isUnspecified;
    // libuv would drop a zone that names no interface and bind the bare address: the bind
    // fails here instead, as one the OS refused would (the socket stays unbound).
    const host = connectHost(endpoint.ip);
    if (host === undefined) {
      const status = unknownZoneStatus();
      this.#bindError = status;
      this.#error = status;
      this.#ready = Promise.resolve(status);
      return;
    }
    this.#ready = new Promise((resolve) => {
      this.#bindDone = resolve;
      const onError = (error: Error) => {
        this.#bindDone = undefined;
        // node:dgram leaves a socket whose bind failed unbound, and would bind it to an
        // ephemeral port for the next send: keep the error for every later send instead.
        const status = IoStatus.fromError(error);
        this.#bindError = status;
        resolve(status);
      };
      socket.once('error', onError);
      this.#binding.add(socket);
      socket.bind({ address: host, port: endpoint.port, exclusive: true }, () => {
        socket.removeListener('error', onError);
        this.#bindDone = undefined;
        if (this.#closed) return; // ready() said closed already
        const address = socket.address();
        this.#local = new SocketAddress(toIpAddress(address.address), address.port);
        resolve(IoStatus.ok);
      });
    });
  }

  #socketFor(family: IpFamily): Socket {
    let socket = this.#sockets.get(family);
    if (socket === undefined) {
      const created = createSocket({ type: family === 'ipv4' ? 'udp4' : 'udp6', lookup: literal });
      socket = created;
      socket.on('error', (error: Error) => {
        // A failed bind ends the sends waiting for it.
        if ((error as { syscall?: unknown }).syscall === 'bind') {
          this.#binding.delete(created);
          this.#endSends(created, IoStatus.fromError(error));
        }
        this.#onError(error);
      });
      socket.on('listening', () => {
        this.#binding.delete(created);
        this.#listening.add(created);
        for (const send of this.#sends) if (send.socket === created) send.start?.();
      });
      socket.on('message', this.#onMessage);
      this.#socketsClosed.push(new Promise((resolve) => created.once('close', () => resolve())));
      this.#sockets.set(family, socket);
    }
    return socket;
  }

  /**
   * Binds a socket made for sending (an unbound peer's, or the one for the address family the
   * peer is not bound to) to an ephemeral port, as node:dgram would for its first send; again
   * after a bind that failed. The bound socket binds in the constructor.
   */
  #bindForSending(socket: Socket): void {
    if (socket === this.#boundSocket || this.#listening.has(socket) || this.#binding.has(socket))
      return;
    this.#binding.add(socket);
    try {
      socket.bind({ port: 0, exclusive: true });
    } catch (error) {
      this.#binding.delete(socket);
      this.#endSends(socket, IoStatus.fromError(error));
    }
  }

  /** Resolves `ok` once bound (at once for an unbound peer), or the bind error. */
  ready(): Promise<IoStatus> {
    return this.#ready;
  }

  /** Whether the peer was given an address to bind. */
  get isBound(): boolean {
    return this.#bound;
  }

  /** The bound address (with the ephemeral port filled in), once bound. */
  get localAddress(): SocketAddress | undefined {
    return this.#local;
  }

  /** Datagrams dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  readonly #onError = (error: Error): void => {
    if (this.#error === undefined && !this.#closed) this.#error = IoStatus.fromError(error);
    this.#wake();
  };

  readonly #onMessage = (data: Buffer, info: RemoteInfo): void => {
    if (!this.#bound) return;
    const ip = IpAddress.tryParse(info.address);
    if (ip === undefined) return;
    const from = new SocketAddress(ip, info.port);
    const receiver = this.#receiver;
    if (receiver !== undefined) {
      if (receiver.buf.length === receiver.length) {
        this.#deliver(receiver, from, data);
        return;
      }
      // Its buffer was detached (or resized) while it waited: the receive fails, and the
      // datagram waits in the queue for the next one.
      this.#receiver = undefined;
      clear(receiver);
      receiver.reject(detachedError('recvFrom'));
    }
    if (this.#queue.length >= this.#maxQueued) {
      this.#dropped++;
      return;
    }
    this.#queue.push({ from, data });
    for (const poller of this.#pollers.splice(0)) {
      clear(poller);
      poller.resolve('read');
    }
  };

  #deliver(receiver: Receiver, from: SocketAddress, data: Buffer): void {
    this.#receiver = undefined;
    clear(receiver);
    receiver.resolve(this.#copy(receiver.buf, from, data));
  }

  #copy(buf: Uint8Array, from: SocketAddress, data: Buffer): RecvFromResult {
    const n = Math.min(buf.length, data.length);
    buf.set(n === data.length ? data : data.subarray(0, n));
    return [n === data.length ? IoStatus.ok : IoStatus.messageTooBig, from, buf.subarray(0, n)];
  }

  /**
   * Sends one datagram to `to`; resolves when Node.js is done with the bytes: `ok`,
   * `messageTooBig`, `closed`, or the OS error. Never a partial send. An IPv6 zone that names
   * no interface of this host resolves `native(EINVAL)` without sending (a numeric zone is
   * turned into its interface's name), as `tcp.Client.connect()` answers `invalidAddress`.
   *
   * On a bound socket the datagram is handed to Node.js at the call, and a datagram handed over
   * cannot be taken back: the call then waits for Node.js, whatever `signal` and `timeout` say.
   * They end only the wait for the socket's bind (an unbound peer's first send, a send before
   * `ready()`), and then nothing is sent: `cancelled` and `timeout` mean the datagram did not go.
   */
  sendTo(to: Endpoint, bytes: Uint8Array, options?: WaitOptions): Promise<IoStatus> {
    const target = SocketAddress.from(to);
    if (target.port === 0) {
      throw new InvalidAddressError(`sendTo: port 0 is not a destination (to ${target})`);
    }
    checkBuffer(bytes, 'sendTo');
    const { signal, timeout } = readOptions(options);
    if (this.#closed) return Promise.resolve(IoStatus.closed);
    // A zone libuv cannot resolve would be dropped, and the datagram sent through whichever
    // interface the kernel picks: say EINVAL instead, as tcp.Client's connect() does.
    const host = connectHost(target.ip);
    if (host === undefined) return Promise.resolve(unknownZoneStatus());
    if (isStopRequested(signal)) return Promise.resolve(IoStatus.cancelled);
    // A peer bound to '::' receives IPv4 on that socket (as mapped addresses) and answers from
    // it too: a second, udp4 socket would send from another, ephemeral port.
    const viaDualStack = this.#dualStack && target.family === 'ipv4';
    const socket = viaDualStack ? this.#boundSocket! : this.#socketFor(target.family);
    const address = viaDualStack ? `::ffff:${host}` : host;
    if (socket === this.#boundSocket && this.#bindError !== undefined) {
      return Promise.resolve(this.#bindError);
    }
    const bound = this.#listening.has(socket);
    if (!bound) {
      if (timeout === 0) {
        this.#bindForSending(socket);
        return Promise.resolve(IoStatus.timeout);
      }
      checkDeadline(this.#scheduler, timeout, 'sendTo');
    }
    const length = bytes.length;
    return new Promise<IoStatus>((resolve, reject) => {
      let settled = false;
      let timer: ScheduledCall | undefined;
      let registration: StopRegistration | undefined;
      const disarm = () => {
        timer?.cancel();
        timer = undefined;
        registration?.unregister();
        registration = undefined;
      };
      const settle = () => {
        if (settled) return false;
        settled = true;
        this.#sends.delete(send);
        disarm();
        return true;
      };
      const finish = (status: IoStatus) => {
        if (settle()) resolve(status);
      };
      // The buffer was detached (or shrunk) under the pending call.
      const detached = () => {
        if (settle()) reject(detachedError('sendTo'));
      };
      const handOff = () => {
        send.start = undefined;
        // From here on the datagram is node:dgram's until it calls back: no deadline or stop
        // may settle the call before, or the caller would change bytes still to be sent.
        disarm();
        if (bytes.length !== length) {
          detached();
          return;
        }
        try {
          sendingNow = true;
          socket.send(bytes, target.port, address, (error) => {
            if (bytes.length !== length) detached();
            else finish(error == null ? IoStatus.ok : IoStatus.fromError(error));
          });
        } catch (error) {
          finish(IoStatus.fromError(error));
        } finally {
          sendingNow = false;
        }
      };
      const send: Send = { socket, start: undefined, finish };
      this.#sends.add(send);
      if (bound) {
        handOff();
        return;
      }
      send.start = handOff;
      if (timeout !== undefined) {
        timer = this.#scheduler.callAfter(timeout, () => finish(IoStatus.timeout));
      }
      if (signal !== undefined) registration = onStop(signal, () => finish(IoStatus.cancelled));
      this.#bindForSending(socket);
    });
  }

  /**
   * Receives one datagram into `buffer`: `[ok, from, view]`, `[messageTooBig, from, view]`
   * when it was truncated, `[udpNotBound, undefined, empty]` on an unbound peer, `timeout`,
   * `cancelled` or `closed`.
   */
  recvFrom(buffer: Uint8Array, options?: WaitOptions): Promise<RecvFromResult> {
    checkBuffer(buffer, 'recvFrom');
    const { signal, timeout } = readOptions(options);
    if (this.#receiver !== undefined) throw new SocketBusyError('a recvFrom is already pending');
    if (!this.#bound) return Promise.resolve([IoStatus.udpNotBound, undefined, emptyView]);
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(this.#copy(buffer, queued.from, queued.data));
    if (this.#error !== undefined) return Promise.resolve([this.#error, undefined, emptyView]);
    if (this.#closed) return Promise.resolve([IoStatus.closed, undefined, emptyView]);
    if (isStopRequested(signal)) return Promise.resolve([IoStatus.cancelled, undefined, emptyView]);
    if (timeout === 0) return Promise.resolve([IoStatus.timeout, undefined, emptyView]);
    checkDeadline(this.#scheduler, timeout, 'recvFrom');
    return new Promise((resolve, reject) => {
      const receiver: Receiver = {
        buf: buffer,
        length: buffer.length,
        resolve,
        reject,
        timer: undefined,
        registration: undefined,
      };
      this.#receiver = receiver;
      const giveUp = (status: IoStatus) => {
        if (this.#receiver !== receiver) return;
        this.#receiver = undefined;
        clear(receiver);
        resolve([status, undefined, emptyView]);
      };
      if (timeout !== undefined) {
        receiver.timer = this.#scheduler.callAfter(timeout, () => giveUp(IoStatus.timeout));
      }
      if (signal !== undefined)
        receiver.registration = onStop(signal, () => giveUp(IoStatus.cancelled));
    });
  }

  /**
   * Waits for a datagram (`'read'`); `'write'` is ready at once on an open peer. `'closed'`,
   * `'error'`, `'timeout'`, `'cancelled'` otherwise. An unbound peer never gets `'read'`.
   */
  poll(op: PollOp, options?: WaitOptions): Promise<PollStatus> {
    if (op !== 'read' && op !== 'write' && op !== 'readWrite') {
      throw new InvalidArgumentError(
        `poll op must be 'read', 'write' or 'readWrite', got ${String(op)}`,
      );
    }
    const { signal, timeout } = readOptions(options);
    if (this.#error !== undefined) return Promise.resolve('error');
    if (this.#closed) return Promise.resolve('closed');
    if (op !== 'write' && this.#queue.length > 0) return Promise.resolve('read');
    if (op !== 'read') return Promise.resolve('write');
    if (isStopRequested(signal)) return Promise.resolve('cancelled');
    if (timeout === 0) return Promise.resolve('timeout');
    checkDeadline(this.#scheduler, timeout, 'poll');
    return new Promise((resolve) => {
      const poller: Poller = { resolve, timer: undefined, registration: undefined };
      this.#pollers.push(poller);
      const giveUp = (status: PollStatus) => {
        const index = this.#pollers.indexOf(poller);
        if (index < 0) return;
        this.#pollers.splice(index, 1);
        clear(poller);
        resolve(status);
      };
      if (timeout !== undefined)
        poller.timer = this.#scheduler.callAfter(timeout, () => giveUp('timeout'));
      if (signal !== undefined) poller.registration = onStop(signal, () => giveUp('cancelled'));
    });
  }

  #endSends(socket: Socket | undefined, status: IoStatus): void {
    for (const send of this.#sends)
      if (socket === undefined || send.socket === socket) send.finish(status);
  }

  #wake(): void {
    const status = this.#error ?? IoStatus.closed;
    const receiver = this.#receiver;
    if (receiver !== undefined) {
      this.#receiver = undefined;
      clear(receiver);
      receiver.resolve([status, undefined, emptyView]);
    }
    for (const poller of this.#pollers.splice(0)) {
      clear(poller);
      poller.resolve(this.#error === undefined ? 'closed' : 'error');
    }
  }

  /** Closes the peer; a pending `recvFrom` resolves `closed`, iteration ends. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    for (const socket of this.#sockets.values()) socket.close();
    this.#endSends(undefined, IoStatus.closed);
    // node:dgram drops a bind whose socket closes before it completes, without a word.
    this.#bindDone?.(IoStatus.closed);
    this.#bindDone = undefined;
    this.#wake();
  }

  /** `close()`, and waits until every socket of the peer is released. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await Promise.all(this.#socketsClosed);
    await handlesReleased();
  }

  /** Yields each datagram (copied out of the queue) until `close()`. */
  async *[Symbol.asyncIterator](): AsyncIterator<Datagram> {
    const buffer = Buffer.allocUnsafe(65536);
    for (;;) {
      const [status, from, view] = await this.recvFrom(buffer);
      if ((!status.isOk() && status.kind !== 'messageTooBig') || from === undefined) return;
      yield { from, data: Buffer.from(view) };
    }
  }
}
