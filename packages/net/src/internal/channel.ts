import { Socket as NetSocket, type Socket } from 'node:net';
import type { IoScheduler, PollOp, PollStatus, ScheduledCall } from '@coro/io';
import {
  type Continuation,
  isStopRequested,
  onStop,
  resumeSoon,
  type StopRegistration,
  type WaitOptions,
} from '@coro/task';
import { SocketBusyError } from '../errors.ts';
import { IoStatus } from '../io-status.ts';
import {
  errnoError,
  type HandleIo,
  handleIo,
  isTcpHandle,
  type TcpHandle,
  type WriteRequest,
} from './handle-io.ts';
import { checkBuffer, checkDeadline, checkPollOp, detachedError, readOptions } from './options.ts';
import { handlesReleased } from './released.ts';

/** `[status, filled view of the caller's buffer]`. */
export type ReadResult = [status: IoStatus, view: Uint8Array];
/** `[status, the part of the caller's bytes that was not sent]`. */
export type WriteResult = [status: IoStatus, remainder: Uint8Array];

/** Bytes handed to Node.js per write: the granularity of `writeAll`'s remainder. */
const writeChunk = 1 << 20;
/**
 * The one buffer libuv reads into for every `onread` connection of this thread. Reads happen
 * one at a time on the event loop's thread and each read is copied out of it before the next
 * can start, so one buffer serves every connection: a connection costs no read buffer of its
 * own, whatever the number of connections.
 */
const sharedReadBuffer = Buffer.allocUnsafe(64 * 1024);
/**
 * `readable` mode: bytes a connection keeps aside for its next read before it pauses the
 * socket (Node.js then stops at the stream's own high-water mark).
 */
const stashLimit = 64 * 1024;
// How long close() lets a TLS socket flush what Node.js holds of resolved writes (see close()).
const closeLinger = 10_000;
// The largest copy `copyBytes` makes with a loop.
const smallCopy = 128;

const empty = new Uint8Array(0);
/** Each socket's channel, for the listener functions all channels share. */
const channels = new WeakMap<Socket, Channel>();
/**
 * What a write that went out whole resolves with: a new array each time, as a read's result is.
 * One shared result would have to be frozen (callers all holding the same array), and V8 does
 * not inline the destructuring of a frozen array: `const [status] = result` then runs the
 * generic array iterator (a builtin call and two objects) where a plain array costs a few
 * loads — about 14 ns against 1.3 ns per destructuring, measured here.
 */
function allWritten(): WriteResult {
  return [IoStatus.ok, empty];
}

interface Guards {
  timer: ScheduledCall | undefined;
  registration: StopRegistration | undefined;
}

// A channel's write waiter is made once and reused by every write that waits (the read's state
// is in the channel's own fields): the channel lives long (in the old generation), so a waiter
// made per call would be a young object kept alive across the wait — copied by every scavenge
// meanwhile, and one more cold object to reach when thousands of connections take turns. `seq`
// tells a deadline or a stop armed for one call from the next call's.
interface WriteWaiter extends Guards {
  seq: number;
  bytes: Uint8Array;
  // The chunk in flight is bytes[offset, end).
  offset: number;
  end: number;
  all: boolean;
  target: number;
  resolve: ((result: WriteResult) => void) | undefined;
  continuation: Continuation<WriteResult> | undefined;
}

interface PollWaiter extends Guards {
  op: PollOp;
  resolve: (status: PollStatus) => void;
}

// Whether the fields a connection's end changes were made variable (see #makeFieldsVariable).
let fieldsVariable = false;
// The write request the next handle write uses (see #writeHandle).
let spareRequest: WriteRequest | undefined;
// A handle on the handle path: its channel, and Node.js's own read callback it replaced.
const handleChannel = Symbol('coro.channel');
const handleOnread = Symbol('coro.onread');
interface HandleRecord {
  [handleChannel]: Channel | undefined;
  [handleOnread]: unknown;
}

interface DirectSocket {
  _write(chunk: Uint8Array, encoding: 'buffer', callback: (error?: Error | null) => void): void;
}

const socketWrite = (NetSocket.prototype as unknown as Partial<DirectSocket>)._write;

/**
 * Whether writes to `socket` go to its `_write` directly. A channel waits for every write it
 * makes anyway, so the stream's own queue, its state per write and its tick after each write
 * are work nobody uses. `_write(chunk, encoding, callback)` is the documented contract a
 * Writable implements: the callback once the chunk is handed on, at once or later. Taken for a
 * plain net.Socket whose `_write` is Node.js's own, and only while the stream holds nothing
 * (so that bytes written through `socket.write` by `send` keep their order).
 */
function directWrites(socket: Socket): boolean {
  return (
    typeof socketWrite === 'function' &&
    (socket as unknown as Partial<DirectSocket>)._write === socketWrite
  );
}

/**
 * Copies `source[0, n)` into `target` at `at`. A few bytes (a request line, a small message)
 * go by a loop: `Buffer#copy` makes a view and reaches the target's ArrayBuffer for them, with
 * thousands of connections a cache miss per read (side by side, an HTTP 200 server at
 * `-c1000` served 3–4 % more requests per CPU-second with the loop).
 */
function copyBytes(source: Buffer, n: number, target: Uint8Array, at: number): void {
  if (n > smallCopy) {
    source.copy(target, at, 0, n);
    return;
  }
  for (let i = 0; i < n; i++) target[at + i] = source[i] as number;
}

// A rejected promise for a pending call's resolver (which then rejects its own promise), marked
// handled so that it is never reported on its own.
function rejection(error: unknown): Promise<never> {
  const promise = Promise.reject(error);
  promise.catch(() => {});
  return promise;
}

function clearGuards(waiter: Guards): void {
  waiter.timer?.cancel();
  waiter.registration?.unregister();
  waiter.timer = undefined;
  waiter.registration = undefined;
}

// Sockets whose handle libuv has closed ('close' came): what whenClosed() waits for.
const released = new WeakSet<Socket>();
// Sockets already destroyed when their channel was made (a wrapped closed socket).
const closedWhenWrapped = new WeakSet<Socket>();

/**
 * @internal The data path over one connected (or connecting) `net.Socket` — a plain TCP
 * socket or a `tls.TLSSocket`: reads into the caller's buffer, writes that resolve when
 * Node.js no longer holds the bytes, polls, and every socket event turned into a status.
 *
 * Two read modes:
 * - `onread`: the socket was created with `onread` (see `createOnread`): libuv reads into the
 *   thread's shared read buffer and each read is copied straight into the waiting reader's
 *   buffer; bytes nobody was waiting for are copied aside (at most one read's worth, ≤ 64 KiB)
 *   and reading stops until they are taken.
 * - `readable`: any other socket (a TLS socket, an accepted socket when the takeover is not
 *   available): flowing mode, each `'data'` chunk copied straight into the waiting reader's
 *   buffer; chunks nobody was waiting for are kept aside (no copy) and the socket is paused
 *   once `stashLimit` bytes are, resumed when they are taken. (Paused mode's `read()` joins
 *   every buffered chunk into a new Buffer per call: one more copy of every byte.)
 */
export class Channel {
  // Field order is layout order: what every read and write touches comes first, so that a
  // request's work stays in the channel's first cache lines (with thousands of connections
  // taking turns, each object a request touches is a likely cache miss).
  readonly socket: Socket;
  // The pending read, in the channel's own fields (no waiter object to reach): `#reading`
  // while one waits, the caller's buffer and how much of it is filled, and who waits — a
  // promise's resolver or a coroutine (suspend protocol), exactly one of the two.
  #reading = false;
  #readExact = false;
  #readBuf: Uint8Array = empty;
  #readFilled = 0;
  #readContinuation: Continuation<ReadResult> | undefined = undefined;
  #readResolve: ((result: ReadResult) => void) | undefined = undefined;
  #leftover: Buffer | undefined = undefined;
  // `#pollers.length`, kept here: every read checks it.
  #polling = 0;
  // The pending read's deadline and stop (see #readSeq).
  #readTimer: ScheduledCall | undefined = undefined;
  #readStop: StopRegistration | undefined = undefined;
  /** The pending write: `#writeWaiter` while one waits. */
  #writer: WriteWaiter | undefined = undefined;
  #error: IoStatus | undefined = undefined;
  #ended = false;
  #closed = false;
  // `shutdown()` while a write was pending: the FIN goes once that write is done.
  #endAfterWrite = false;
  readonly #onread: boolean;
  // The handle path (see `useHandle`): reads and writes on the socket's handle itself.
  #handle: TcpHandle | undefined = undefined;
  // Writes handed past the stream, and those over: a write waits until `#done` reaches its own.
  #issued = 0;
  #done = 0;
  // The last read's view and the buffer it is of: a read of the same length into the same
  // buffer (a loop over one buffer, fixed-size messages) gives the same view again instead of
  // a new one (a view is only its buffer, offset and length).
  #view: Uint8Array = empty;
  #viewOf: Uint8Array = empty;
  // What a request does not touch from here on.
  // A TLS socket: its handle encrypts (or copies) what it is given before write() returns.
  readonly #encrypts: boolean;
  // Writes go to the socket's `_write` (see `directWrites`).
  readonly #direct: boolean;
  #readingPaused = false;
  // The sequence number of the pending read: a deadline or a stop armed for one read is told
  // from the next read's by it.
  #readSeq = 0;
  readonly #scheduler: IoScheduler;
  // readable mode: chunks after #leftover, and the bytes of both.
  #queue: Buffer[] = [];
  #stashed = 0;
  #spare: Buffer | undefined = undefined;
  readonly #writeWaiter: WriteWaiter = {
    seq: 0,
    bytes: empty,
    offset: 0,
    end: 0,
    all: false,
    target: 0,
    resolve: undefined,
    continuation: undefined,
    timer: undefined,
    registration: undefined,
  };
  #pollers: PollWaiter[] = [];
  #writtenCallback: ((error?: Error | null) => void) | undefined;
  #directCallback: ((error?: Error | null) => void) | undefined;
  /** Called once, when the socket is gone (closed, reset or failed). */
  onGone: (() => void) | undefined;

  constructor(scheduler: IoScheduler, socket: Socket, onread = false) {
    this.#scheduler = scheduler;
    this.socket = socket;
    this.#onread = onread;
    this.#encrypts = (socket as Socket & { encrypted?: unknown }).encrypted === true;
    this.#direct = !this.#encrypts && directWrites(socket);
    if (!fieldsVariable) this.#makeFieldsVariable();
    channels.set(socket, this);
    socket.on('error', Channel.#socketError);
    socket.on('end', Channel.#socketEnd);
    socket.on('close', Channel.#socketClose);
    socket.on('drain', Channel.#socketWritable);
    socket.on('connect', Channel.#socketWritable);
    if (socket.destroyed) {
      this.#closed = true;
      // Its 'close' may have come already (it does not come again): whenClosed() then waits
      // only for libuv's close phase.
      closedWhenWrapped.add(socket);
    }
    // A wrapped socket may have seen its peer's end already: 'end' does not come again.
    if (socket.readableEnded) this.#ended = true;
    if (!onread) {
      socket.on('data', this.#onChunk);
      // Accepted with pauseOnConnect, a socket is not flowing and 'data' alone does not start it.
      if (!socket.destroyed) socket.resume();
    }
  }

  /**
   * V8 treats a field that no object of a class has changed since its initializer as a
   * constant, and throws away the optimized code that relies on it the first time one does.
   * These fields change only when a connection ends or fails, so the first connection to close
   * or be reset sent the read and write paths of every other connection back to slower code
   * until they were optimized again. Changed once here, on the first channel, they are
   * variables from the start.
   */
  #makeFieldsVariable(): void {
    fieldsVariable = true;
    this.#error = IoStatus.closed;
    this.#error = undefined;
    this.#closed = true;
    this.#closed = false;
    this.#ended = true;
    this.#ended = false;
    this.#endAfterWrite = true;
    this.#endAfterWrite = false;
    this.#view = this.#viewOf = new Uint8Array(0);
    this.#view = this.#viewOf = empty;
    this.#leftover = Buffer.alloc(0);
    this.#leftover = undefined;
    this.#queue = [];
    this.#stashed = 1;
    this.#stashed = 0;
  }

  /**
   * The `onread` option for a new socket whose channel will be made with `onread: true`, and
   * `attach`, to call with that channel once it exists. The callback reaches the channel
   * through its own closure alone: it runs for every read of every connection.
   */
  static createOnread(): {
    buffer: Buffer;
    callback: (n: number, buf: Buffer) => boolean;
    attach: (channel: Channel) => void;
  } {
    let target: Channel | undefined;
    return {
      buffer: sharedReadBuffer,
      callback: (n: number) => (target === undefined ? false : target.#onData(n)),
      attach: (channel: Channel) => {
        target = channel;
      },
    };
  }

  /** Whether `socket` has a channel already (it belongs to a client). */
  static owns(socket: Socket): boolean {
    return channels.has(socket);
  }

  /** The read mode in use. */
  get readMode(): 'onread' | 'readable' {
    return this.#onread ? 'onread' : 'readable';
  }

  /** The write path in use: the handle, the socket's `_write` directly, or its `write()`. */
  get writeMode(): 'handle' | 'direct' | 'stream' {
    if (this.#handle !== undefined) return 'handle';
    return this.#direct ? 'direct' : 'stream';
  }

  /** Whether a read waits. */
  get readPending(): boolean {
    return this.#reading;
  }

  /** Whether a write waits. */
  get writePending(): boolean {
    return this.#writer !== undefined;
  }

  /** The error that ended the connection, if one did. */
  get error(): IoStatus | undefined {
    return this.#error;
  }

  /** Whether the socket is gone. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes received and not yet read by anyone (in this object, not in the kernel). */
  get buffered(): number {
    if (this.#onread) return (this.#leftover?.length ?? 0) + this.socket.readableLength;
    return this.#stashed + this.socket.readableLength;
  }

  // ---- reads ----------------------------------------------------------------------------------

  readSome(buf: Uint8Array, options: WaitOptions | undefined, exact: boolean): Promise<ReadResult> {
    const ready = this.#startRead(buf, options, exact);
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise<ReadResult>((resolve) => {
      this.#readResolve = resolve;
    });
  }

  /**
   * `readSome` for a coroutine (the suspend protocol): the result when it is ready at once,
   * otherwise `undefined`, and the socket callback that completes the read resumes
   * `continuation` with it.
   */
  tryRead(
    buf: Uint8Array,
    options: WaitOptions | undefined,
    exact: boolean,
    continuation: Continuation<ReadResult>,
  ): ReadResult | undefined {
    const ready = this.#startRead(buf, options, exact);
    if (ready === undefined) this.#readContinuation = continuation;
    return ready;
  }

  /**
   * The checks and the attempt of a read: the result when it is settled at once, otherwise
   * `undefined` with the read pending (its deadline and stop armed), for the caller to give a
   * resolver or a continuation before anything can settle it.
   */
  #startRead(
    buf: Uint8Array,
    options: WaitOptions | undefined,
    exact: boolean,
  ): ReadResult | undefined {
    checkBuffer(buf, exact ? 'readExact' : 'readSome');
    const { signal, timeout } = readOptions(options);
    if (this.#reading) {
      throw new SocketBusyError('a read is already pending on this socket');
    }
    if (buf.length === 0) return [IoStatus.ok, buf];
    if (!this.#onread) this.#pull();
    const filled = this.#take(buf, 0);
    if (filled === buf.length || (filled > 0 && !exact)) {
      return [IoStatus.ok, buf.subarray(0, filled)];
    }
    const failure = this.#readFailure();
    if (failure !== undefined) return [failure, buf.subarray(0, filled)];
    if (isStopRequested(signal)) return [IoStatus.cancelled, buf.subarray(0, filled)];
    if (timeout === 0) return [IoStatus.timeout, buf.subarray(0, filled)];
    checkDeadline(this.#scheduler, timeout, exact ? 'readExact' : 'readSome');
    this.#reading = true;
    this.#readBuf = buf;
    this.#readFilled = filled;
    this.#readExact = exact;
    if (timeout !== undefined || signal !== undefined) this.guardRead(signal, timeout);
    this.#resumeReading();
    return undefined;
  }

  private guardRead(
    signal: ReturnType<typeof readOptions>['signal'],
    timeout: number | undefined,
  ): void {
    const seq = ++this.#readSeq;
    if (timeout !== undefined) {
      this.#readTimer = this.#scheduler.callAfter(timeout, () => {
        if (this.#readSeq === seq) this.#settleRead(IoStatus.timeout);
      });
    }
    if (signal !== undefined) {
      this.#readStop = onStop(signal, () => {
        if (this.#readSeq === seq) this.#settleRead(IoStatus.cancelled);
      });
    }
  }

  /** One immediate attempt: `[ok, view]`, `[wouldBlock, empty]`, or the failure. */
  recv(buf: Uint8Array): ReadResult {
    checkBuffer(buf, 'recv');
    if (this.#reading) {
      throw new SocketBusyError('a read is already pending on this socket');
    }
    if (buf.length === 0) return [IoStatus.ok, buf];
    if (!this.#onread) this.#pull();
    const filled = this.#take(buf, 0);
    if (filled > 0) return [IoStatus.ok, buf.subarray(0, filled)];
    this.#resumeReading();
    return [this.#readFailure() ?? IoStatus.wouldBlock, buf.subarray(0, 0)];
  }

  #readFailure(): IoStatus | undefined {
    if (this.#error !== undefined) return this.#error;
    if (this.#ended || this.#closed) return IoStatus.closed;
    return undefined;
  }

  /** Copies what is already here into `buf[offset..]`; returns the new fill level. */
  #take(buf: Uint8Array, offset: number): number {
    let leftover = this.#leftover;
    if (this.#onread) {
      if (leftover === undefined) return offset;
      const n = Math.min(leftover.length, buf.length - offset);
      leftover.copy(buf, offset, 0, n);
      if (n < leftover.length) {
        this.#leftover = leftover.subarray(n);
      } else {
        this.#leftover = undefined;
        if (this.#readingPaused) {
          this.#readingPaused = false;
          if (!this.socket.destroyed) this.socket.resume();
        }
      }
      return offset + n;
    }
    while (leftover !== undefined && offset < buf.length) {
      const n = Math.min(leftover.length, buf.length - offset);
      leftover.copy(buf, offset, 0, n);
      offset += n;
      this.#stashed -= n;
      leftover = n === leftover.length ? this.#queue.shift() : leftover.subarray(n);
    }
    this.#leftover = leftover;
    if (this.#readingPaused && this.#stashed < stashLimit) {
      this.#readingPaused = false;
      if (!this.socket.destroyed) this.socket.resume();
    }
    return offset;
  }

  // readable mode, before an attempt: the stash is empty but the stream holds bytes (it was
  // paused, or its resume is still to run): one read() hands a chunk to #onChunk, into the stash.
  #pull(): void {
    const socket = this.socket;
    if (this.#leftover === undefined && socket.readableLength > 0 && !socket.destroyed) {
      socket.read();
    }
  }

  #resumeReading(): void {
    // readable mode: a socket paused with nothing left aside (never, normally) flows again.
    if (!this.#onread && this.#readingPaused && this.#stashed === 0 && !this.socket.destroyed) {
      this.#readingPaused = false;
      this.socket.resume();
    }
  }

  // onread mode: `n` bytes arrived at the start of the shared read buffer (and nothing was
  // left over: reading stops while something is). They must be out of it before returning.
  #onData(n: number): boolean {
    let taken = 0;
    let done = false;
    let detached = false;
    if (this.#reading) {
      const buf = this.#readBuf;
      const filled = this.#readFilled;
      // A pending read's buffer has room: no room means it was detached or shrunk meanwhile.
      const room = buf.length - filled;
      if (room > 0) {
        taken = Math.min(n, room);
        copyBytes(sharedReadBuffer, taken, buf, filled);
        this.#readFilled = filled + taken;
        done = filled + taken === buf.length || !this.#readExact;
      } else detached = true;
    }
    if (taken < n) {
      // Aside into this connection's spare buffer, grown to the largest leftover seen and
      // reused (reading stops until a leftover is taken, so it is never overwritten early).
      const need = n - taken;
      let spare = this.#spare;
      if (spare === undefined || spare.length < need) {
        spare = this.#spare = Buffer.allocUnsafe(Math.max(need, 1024));
      }
      sharedReadBuffer.copy(spare, 0, taken, n);
      this.#leftover = spare.subarray(0, need);
      this.#readingPaused = true;
    }
    // Settled once the connection's state is complete: a coroutine resumes right here and may
    // read again (taking the leftover, which resumes reading) before this returns.
    if (done || detached) this.#settleRead(IoStatus.ok, true, detached);
    if (this.#polling > 0) this.wakePollers();
    return this.#leftover === undefined;
  }

  // readable mode: a chunk from the flowing stream. A waiting reader means nothing is aside.
  readonly #onChunk = (chunk: Buffer): void => {
    // Closed from this side, lingering (see #flushThenDestroy): nobody reads any more.
    if (this.#closed) return;
    let offset = 0;
    let done = false;
    let detached = false;
    if (this.#reading && this.#leftover === undefined) {
      const buf = this.#readBuf;
      const filled = this.#readFilled;
      const room = buf.length - filled;
      if (room > 0) {
        offset = Math.min(chunk.length, room);
        copyBytes(chunk, offset, buf, filled);
        this.#readFilled = filled + offset;
        done = filled + offset === buf.length || !this.#readExact;
      } else detached = true;
    }
    if (offset < chunk.length) {
      const rest = offset === 0 ? chunk : chunk.subarray(offset);
      if (this.#leftover === undefined) this.#leftover = rest;
      else this.#queue.push(rest);
      this.#stashed += rest.length;
      if (this.#stashed >= stashLimit && !this.#readingPaused) {
        this.#readingPaused = true;
        this.socket.pause();
      }
    }
    // As in #onData: settled once the stash is complete (a coroutine resumes here).
    if (done || detached) this.#settleRead(IoStatus.ok, true, detached);
    if (this.#polling > 0) this.wakePollers();
  };

  /** The pending read takes what is here; settled if that completes it, or it cannot be. */
  #feed(): void {
    const buf = this.#readBuf;
    if (buf.length <= this.#readFilled) {
      // Detached or shrunk while pending (see #settleRead).
      this.#settleRead(IoStatus.ok, false, true);
      return;
    }
    const filled = (this.#readFilled = this.#take(buf, this.#readFilled));
    if (filled === buf.length || (filled > 0 && !this.#readExact)) {
      this.#settleRead(IoStatus.ok);
      return;
    }
    const failure = this.#readFailure();
    if (failure !== undefined) this.#settleRead(failure);
  }

  /**
   * Ends a pending read. A coroutine resumes in this call when `now` (the socket callback that
   * completed the read), otherwise after the current job, as an awaiting caller would. A read
   * whose buffer was found `detached` (or shrunk) fails with InvalidArgumentError instead.
   */
  #settleRead(status: IoStatus, now = false, detached = false): void {
    if (!this.#reading) return;
    this.#reading = false;
    if (this.#readTimer !== undefined || this.#readStop !== undefined) this.unguardRead();
    const rb = this.#readBuf;
    const rf = this.#readFilled;
    const continuation = this.#readContinuation;
    const resolve = this.#readResolve;
    // The read's fields are free before anyone resumes: the next read may start at once.
    this.#readBuf = empty;
    this.#readResolve = undefined;
    this.#readContinuation = undefined;
    // A pending read's buffer is never empty and holds what was read into it: otherwise it was
    // detached or shrunk meanwhile, and no view of it can be made.
    const length = rb.length;
    if (detached || length === 0 || length < rf) {
      this.#failCall(
        detachedError(this.#readExact ? 'readExact' : 'readSome'),
        resolve,
        continuation,
        now,
      );
      return;
    }
    let view = this.#view;
    if (this.#viewOf !== rb || view.length !== rf) {
      view = this.#view = rb.subarray(0, rf);
      this.#viewOf = rb;
    }
    const result: ReadResult = [status, view];
    if (continuation === undefined) (resolve as (result: ReadResult) => void)(result);
    else if (now) continuation.resume(result);
    else resumeSoon(continuation, result);
  }

  /** Fails a pending call's waiter with `error`: its promise rejects, a coroutine throws. */
  #failCall<R>(
    error: Error,
    resolve: ((result: R) => void) | undefined,
    continuation: Continuation<R> | undefined,
    now: boolean,
  ): void {
    if (continuation === undefined) {
      (resolve as (result: unknown) => void)(rejection(error));
    } else if (now) {
      continuation.fail(error);
    } else {
      queueMicrotask(() => continuation.fail(error));
    }
  }

  private unguardRead(): void {
    this.#readSeq++;
    this.#readTimer?.cancel();
    this.#readStop?.unregister();
    this.#readTimer = undefined;
    this.#readStop = undefined;
  }

  // ---- writes ---------------------------------------------------------------------------------

  write(bytes: Uint8Array, options: WaitOptions | undefined, all: boolean): Promise<WriteResult> {
    const done = this.#startWrite(bytes, options, all);
    if (done !== undefined) return Promise.resolve(done);
    const waiter = this.#writer as WriteWaiter;
    return new Promise<WriteResult>((resolve) => {
      waiter.resolve = resolve;
    });
  }

  /**
   * A read that ends at once, for `yield*` (which then does not suspend): its result when the
   * bytes are here already (all of them, for `readExact`) or the read cannot succeed, else
   * `undefined` with nothing started or taken (the read then starts through `tryRead`).
   */
  readNow(
    buf: Uint8Array,
    options: WaitOptions | undefined,
    exact: boolean,
  ): ReadResult | undefined {
    if (!this.#onread) return undefined;
    const leftover = this.#leftover;
    if (leftover === undefined) {
      if (this.#error === undefined && !this.#ended && !this.#closed) return undefined;
    } else if (exact && leftover.length < buf.length) {
      return undefined;
    }
    return this.#startRead(buf, options, exact);
  }

  /** `write` for a coroutine (the suspend protocol), as `tryRead` is for reads. */
  tryWrite(
    bytes: Uint8Array,
    options: WaitOptions | undefined,
    all: boolean,
    continuation: Continuation<WriteResult>,
  ): WriteResult | undefined {
    const done = this.#startWrite(bytes, options, all);
    if (done === undefined) (this.#writer as WriteWaiter).continuation = continuation;
    return done;
  }

  /**
   * The checks and the first attempt of a write: the result when it is settled at once,
   * otherwise `undefined` with the waiter (bytes in flight, deadline and stop armed) in
   * `#writer`, for the caller to give a resolver or a continuation.
   */
  #startWrite(
    bytes: Uint8Array,
    options: WaitOptions | undefined,
    all: boolean,
  ): WriteResult | undefined {
    checkBuffer(bytes, all ? 'writeAll' : 'writeSome');
    const { signal, timeout } = readOptions(options);
    // Checked before any byte goes out: whether the write will have to wait is known only after.
    checkDeadline(this.#scheduler, timeout, all ? 'writeAll' : 'writeSome');
    if (this.#writer !== undefined) {
      throw new SocketBusyError('a write is already pending on this socket');
    }
    const failure = this.#writeFailure();
    if (failure !== undefined) return [failure, bytes];
    if (bytes.length === 0) return [IoStatus.ok, bytes];
    if (isStopRequested(signal)) return [IoStatus.cancelled, bytes];
    if (timeout === 0) return this.writeNow(bytes, all);
    const socket = this.socket;
    let offset = 0;
    // Fast path: while libuv writes each chunk straight into the kernel (or TLS encrypts it
    // on the spot), Node.js keeps nothing, and the caller may reuse its bytes at once.
    for (;;) {
      const end = Math.min(bytes.length, offset + writeChunk);
      const chunk = end - offset === bytes.length ? bytes : bytes.subarray(offset, end);
      const handle = this.#handle;
      if (handle !== undefined) {
        const issued = this.#writeHandle(handle, chunk);
        if (this.#done !== issued) {
          this.#waitWrite(bytes, offset, end, all, signal, timeout);
          return undefined;
        }
        if (this.#error !== undefined) return [this.#error, bytes.subarray(offset)];
      } else if (this.#direct && socket.writableLength === 0) {
        const issued = ++this.#issued;
        (socket as unknown as DirectSocket)._write(chunk, 'buffer', this.#directWritten);
        if (this.#done !== issued) {
          this.#waitWrite(bytes, offset, end, all, signal, timeout);
          return undefined;
        }
        if (this.#error !== undefined) return [this.#error, bytes.subarray(offset)];
      } else if (socket.writableLength === 0) {
        // Nothing queued: libuv tries the kernel at once. Written without a callback, a chunk
        // the kernel takes whole costs Node.js's stream no tick and no callback afterwards.
        const consumed = this.#encrypts && socket.writableCorked === 0 && !socket.connecting;
        socket.write(chunk);
        // TLS: the stream reports every write as in flight until the next turn, but a chunk
        // that reached the TLS layer at once was encrypted (or copied) before write()
        // returned: nothing refers to the caller's bytes any more. (Waiting for the callback
        // there cost an empty write through the TLS layer and a turn per message.)
        if (socket.writableLength !== 0 && !(consumed && !socket.destroyed)) {
          // libuv holds the rest: an empty write queued behind it calls back once it is out.
          socket.write(empty, this.#written);
          this.#issued++;
          this.#waitWrite(bytes, offset, end, all, signal, timeout);
          return undefined;
        }
      } else {
        socket.write(chunk, this.#written);
        this.#issued++;
        this.#waitWrite(bytes, offset, end, all, signal, timeout);
        return undefined;
      }
      offset = end;
      if (offset === bytes.length) return allWritten();
      if (!all) return [IoStatus.ok, bytes.subarray(offset)];
    }
  }

  #waitWrite(
    bytes: Uint8Array,
    offset: number,
    end: number,
    all: boolean,
    signal: ReturnType<typeof readOptions>['signal'],
    timeout: number | undefined,
  ): void {
    const waiter = this.#writeWaiter;
    const seq = ++waiter.seq;
    waiter.bytes = bytes;
    waiter.offset = offset;
    waiter.end = end;
    waiter.all = all;
    waiter.target = this.#issued;
    this.#writer = waiter;
    if (timeout !== undefined) {
      waiter.timer = this.#scheduler.callAfter(timeout, () => {
        if (waiter.seq === seq) this.abandonWrite(waiter, IoStatus.timeout);
      });
    }
    if (signal !== undefined) {
      waiter.registration = onStop(signal, () => {
        if (waiter.seq === seq) this.abandonWrite(waiter, IoStatus.cancelled);
      });
    }
  }

  /** The callback of a write that waits (made on the first one: most connections never wait). */
  get #written(): (error?: Error | null) => void {
    this.#writtenCallback ??= (error?: Error | null) => this.#onWritten(error);
    return this.#writtenCallback;
  }

  get #directWritten(): (error?: Error | null) => void {
    this.#directCallback ??= (error?: Error | null) => this.#afterWrite(error);
    return this.#directCallback;
  }

  /**
   * A write past the stream (`_write` or the handle) is over: a failure destroys the socket
   * with its error, as the stream does for the writes it makes.
   */
  #afterWrite(error?: Error | null): void {
    if (error != null && !this.socket.destroyed) this.socket.destroy(error);
    this.#onWritten(error);
  }

  #onWritten(error?: Error | null): void {
    this.#done++;
    if (error != null) this.recordError(error);
    const writer = this.#writer;
    if (writer === undefined || this.#done < writer.target) return;
    if (error != null) {
      this.#settleWrite(writer, this.#error ?? IoStatus.closed, true);
      return;
    }
    const socket = this.socket;
    if (socket.destroyed) {
      this.#settleWrite(writer, this.#error ?? IoStatus.closed, true);
      return;
    }
    const bytes = writer.bytes;
    for (;;) {
      writer.offset = writer.end;
      // `>`: bytes detached or shrunk meanwhile, which #settleWrite reports.
      if (writer.offset >= bytes.length || !writer.all) {
        this.#settleWrite(writer, IoStatus.ok, true);
        return;
      }
      const failure = this.#streamFailure();
      if (failure !== undefined) {
        this.#settleWrite(writer, failure, true);
        return;
      }
      writer.end = Math.min(bytes.length, writer.offset + writeChunk);
      const chunk = bytes.subarray(writer.offset, writer.end);
      const issued = ++this.#issued;
      writer.target = issued;
      if (this.#direct && socket.writableLength === 0) {
        // Its callback runs this again when done, now or later: nothing more to do here.
        (socket as unknown as DirectSocket)._write(chunk, 'buffer', this.#directWritten);
        return;
      } else {
        socket.write(chunk, this.#written);
        if (socket.writableLength !== 0) return;
      }
    }
  }

  // A deadline or a stop with bytes in flight: Node.js holds a reference to them that cannot be
  // taken back, so the connection is reset (libuv then never touches them again) and the
  // caller gets back everything from the chunk in flight on.
  private abandonWrite(writer: WriteWaiter, status: IoStatus): void {
    if (this.#writer !== writer) return;
    this.#settleWrite(writer, status);
    if (!this.socket.destroyed) this.#reset();
  }

  /** Ends a pending write; a coroutine resumes as `#settleRead` says. */
  #settleWrite(writer: WriteWaiter, status: IoStatus, now = false): void {
    if (this.#writer !== writer) return;
    this.#writer = undefined;
    clearGuards(writer);
    const bytes = writer.bytes;
    // The chunk in flight is within the bytes, unless they were detached or shrunk meanwhile.
    const detached = bytes.length < writer.end;
    const result: WriteResult | undefined = detached
      ? undefined
      : [status, writer.offset === bytes.length ? empty : bytes.subarray(writer.offset)];
    const { continuation, resolve } = writer;
    writer.bytes = empty;
    writer.resolve = undefined;
    writer.continuation = undefined;
    if (this.#endAfterWrite) {
      // The shutdown() asked for while this write was pending. A write that failed leaves a
      // socket that is gone, or about to be reset (a deadline or a stop): no FIN for it. One
      // whose bytes were detached leaves the connection as it was.
      this.#endAfterWrite = false;
      if ((status === IoStatus.ok || detached) && !this.socket.destroyed) this.socket.end();
    }
    // A poll for 'write' waits while a write is pending (`writeReady`), and nothing else would
    // wake it when that write is done: a direct write, or one under the stream's high-water
    // mark, never makes the stream emit 'drain'.
    if (this.#polling > 0) this.wakePollers();
    if (result === undefined) {
      this.#failCall(
        detachedError(writer.all ? 'writeAll' : 'writeSome'),
        resolve,
        continuation,
        now,
      );
    } else if (continuation === undefined) (resolve as (result: WriteResult) => void)(result);
    else if (now) continuation.resume(result);
    else resumeSoon(continuation, result);
  }

  /** Why a new write (or send, or shutdown) cannot start, if it cannot. */
  #writeFailure(): IoStatus | undefined {
    return this.#streamFailure() ?? (this.#endAfterWrite ? IoStatus.closed : undefined);
  }

  /** Why the socket takes no more bytes, if it does not (a pending write's next chunk too). */
  #streamFailure(): IoStatus | undefined {
    if (this.#error !== undefined) return this.#error;
    if (this.#closed) return IoStatus.closed;
    // On the handle path the stream is neither ended nor holding bytes, and a destroy shows on
    // the handle (see useHandle): the socket's state need not be read.
    const handle = this.#handle;
    if (handle !== undefined && handle.onread === Channel.#handleRead) return undefined;
    const socket = this.socket;
    return socket.destroyed || socket.writableEnded ? IoStatus.closed : undefined;
  }

  /**
   * One immediate attempt: copies as much of `bytes` as fits under the socket's write
   * high-water mark into Node.js (`[ok, rest]`), or `[wouldBlock, bytes]` when it is full.
   */
  send(bytes: Uint8Array): WriteResult {
    checkBuffer(bytes, 'send');
    const failure = this.#writeFailure();
    if (failure !== undefined) return [failure, bytes];
    if (bytes.length === 0) return [IoStatus.ok, bytes];
    return this.sendNow(bytes);
  }

  /**
   * A write with `timeout: 0`: what the socket takes now, as `send` takes it (a copy, so that
   * nothing of the caller's is left in flight for a deadline to find: a write that waited for
   * libuv would have to reset the connection). The rest comes back with `timeout` from
   * `writeAll`, and with `ok` from `writeSome` once anything was taken.
   */
  private writeNow(bytes: Uint8Array, all: boolean): WriteResult {
    const [status, rest] = this.sendNow(bytes);
    if (status === IoStatus.wouldBlock) return [IoStatus.timeout, bytes];
    if (rest.length === 0) return allWritten();
    return [all ? IoStatus.timeout : status, rest];
  }

  // `send` past its checks.
  private sendNow(bytes: Uint8Array): WriteResult {
    const socket = this.socket;
    const room = socket.writableHighWaterMark - socket.writableLength;
    if (this.#writer !== undefined || socket.connecting || room <= 0) {
      return [IoStatus.wouldBlock, bytes];
    }
    const n = Math.min(room, bytes.length);
    // A copy: the call returns at once, and the caller may reuse its bytes at once.
    socket.write(Buffer.copyBytesFrom(bytes, 0, n));
    return [IoStatus.ok, n === bytes.length ? empty : bytes.subarray(n)];
  }

  // ---- poll -----------------------------------------------------------------------------------

  poll(op: PollOp, options: WaitOptions | undefined): Promise<PollStatus> {
    checkPollOp(op);
    const { signal, timeout } = readOptions(options);
    const ready = this.pollStatus(op);
    if (ready !== undefined) return Promise.resolve(ready);
    if (isStopRequested(signal)) return Promise.resolve('cancelled');
    if (timeout === 0) return Promise.resolve('timeout');
    checkDeadline(this.#scheduler, timeout, 'poll');
    if (op !== 'write') this.#resumeReading();
    return new Promise<PollStatus>((resolve) => {
      const waiter: PollWaiter = { op, resolve, timer: undefined, registration: undefined };
      this.#polling = this.#pollers.push(waiter);
      if (timeout !== undefined) {
        waiter.timer = this.#scheduler.callAfter(timeout, () => this.settlePoll(waiter, 'timeout'));
      }
      if (signal !== undefined) {
        waiter.registration = onStop(signal, () => this.settlePoll(waiter, 'cancelled'));
      }
    });
  }

  private pollStatus(op: PollOp): PollStatus | undefined {
    if (this.#error !== undefined) return 'error';
    if (op !== 'write') {
      if (this.buffered > 0) return 'read';
      // At the end of the stream a read would not wait: 'readWrite' answers at once, 'write' if
      // the socket takes bytes, else 'closed' (the read side's answer), as 'read' does.
      if (this.#ended || this.#closed)
        return op === 'read' ? 'closed' : (this.writeReady() ?? 'closed');
    }
    if (op === 'read') return undefined;
    return this.writeReady();
  }

  private writeReady(): PollStatus | undefined {
    const socket = this.socket;
    if (this.#closed || socket.destroyed || socket.writableEnded || this.#endAfterWrite) {
      return 'closed';
    }
    if (socket.connecting || socket.writableNeedDrain || this.#writer !== undefined)
      return undefined;
    return 'write';
  }

  private wakePollers(): void {
    for (const waiter of this.#pollers.slice()) {
      const status = this.pollStatus(waiter.op);
      if (status !== undefined) this.settlePoll(waiter, status);
    }
  }

  private settlePoll(waiter: PollWaiter, status: PollStatus): void {
    const index = this.#pollers.indexOf(waiter);
    if (index < 0) return;
    this.#pollers.splice(index, 1);
    this.#polling = this.#pollers.length;
    clearGuards(waiter);
    waiter.resolve(status);
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /** Half-close: sends FIN after the pending writes; reads go on. */
  shutdown(): IoStatus {
    const failure = this.#writeFailure();
    if (failure !== undefined) return failure;
    // A pending writeAll hands Node.js one chunk at a time: end() now would put the FIN right
    // behind the chunk in flight, the rest would fail with `closed`, and the peer would read a
    // clean end of a truncated stream. The FIN goes once the write is done.
    if (this.#writer !== undefined) this.#endAfterWrite = true;
    else this.socket.end();
    return IoStatus.ok;
  }

  /**
   * Closes at once; pending calls end with `closed`. A TLS socket first sends what Node.js
   * still holds of writes that have resolved (a TLS write resolves once its bytes are
   * encrypted, which can be long before they reach the kernel: a plain TCP write resolves only
   * once they did, and the kernel sends them after the descriptor is closed), then its
   * `close_notify` and FIN, and is destroyed once that is done or after `closeLinger` ms.
   * With a write pending, the socket is destroyed at once: the bytes that write is given back
   * with must not go out after it.
   */
  close(): void {
    if (!this.#closed) {
      const flush = this.#encrypts && this.#writer === undefined && !this.socket.destroyed;
      this.#closed = true;
      this.discardReceived();
      if (flush) this.#flushThenDestroy();
      else this.socket.destroy();
      this.wakeAll();
    }
  }

  #flushThenDestroy(): void {
    const socket = this.socket;
    // A lingering close: the socket is destroyed once its own end is out (the bytes, then
    // close_notify and FIN) and the peer's end has come, reading (and dropping) what arrives
    // meanwhile. Destroyed earlier, with bytes the peer sent still unread — as there nearly
    // always are, TLS 1.3 tickets — the kernel would answer with a RST, and the peer would
    // lose what it had not read yet of ours.
    const timer = setTimeout(() => socket.destroy(), closeLinger);
    timer.unref();
    const settle = () => {
      if (socket.writableFinished && socket.readableEnded) {
        clearTimeout(timer);
        socket.destroy();
      }
    };
    socket.once('finish', settle);
    socket.once('end', settle);
    socket.once('close', () => clearTimeout(timer));
    if (!socket.writableEnded) socket.end();
    if (socket.isPaused()) socket.resume();
    settle();
  }

  // Closed from this side: what arrived and was not read goes with the socket, as with a closed
  // descriptor (a peer's end of stream, by contrast, comes after the bytes it sent).
  private discardReceived(): void {
    this.#view = empty;
    this.#viewOf = empty;
    this.#leftover = undefined;
    this.#queue = [];
    this.#stashed = 0;
  }

  /** Abortive close: the peer gets a RST. */
  reset(): void {
    if (!this.#closed) this.#reset();
  }

  #reset(): void {
    this.#closed = true;
    this.discardReceived();
    try {
      // A socket still connecting: resetAndDestroy() would wait for the connection to come up
      // (as long as the OS's connect timeout), then send what was handed to it meanwhile — the
      // bytes of a write just given back to its caller — before the RST. There is no
      // connection to abort yet: it is closed now.
      if (this.socket.connecting) this.socket.destroy();
      // A FIN asked for and not yet sent (shutdown() behind bytes still queued): libuv refuses
      // the RST while its shutdown request is pending, and Node.js then never closes the handle
      // (no 'close', the process kept alive). A plain close then: the peer reads the end of the
      // stream (or gets a RST from the kernel, if bytes it sent are still unread here).
      else if (this.socket.writableEnded && !this.socket.writableFinished) this.socket.destroy();
      else this.socket.resetAndDestroy();
    } catch {
      // Not a TCP handle (a TLS socket over something else, say): a plain close then.
      this.socket.destroy();
    }
    this.wakeAll();
  }

  /** Resolves once the socket's handle is closed. */
  whenClosed(): Promise<void> {
    const socket = this.socket;
    // `socket.closed` turns true inside destroy(), before libuv has closed the handle: the
    // 'close' event is what says it has.
    if (released.has(socket)) return Promise.resolve();
    if (closedWhenWrapped.has(socket)) return handlesReleased();
    return new Promise((resolve) => socket.once('close', () => resolve()));
  }

  private recordError(error: Error): void {
    if (this.#error !== undefined || this.#closed) return;
    // ECANCELED is libuv cancelling a request because the handle closed under it (the socket
    // destroyed directly, `client.socket.destroy()`): the socket is closed, which every call
    // then says, not the `cancelled` that means the call's own signal stopped.
    if ((error as { code?: unknown }).code === 'ECANCELED') return;
    this.#error = IoStatus.fromError(error);
  }

  // ---- the handle path -------------------------------------------------------------------------

  /**
   * Reads and writes on the socket's handle from now on, where `handleIo()` allows it and the
   * handle looks as expected (see handle-io.ts): called for `onread` sockets once connected.
   * Each read goes from libuv to `#onData` with no `onStreamRead` and no `net.Socket` in
   * between, each write from `#startWrite` to `handle.writeBuffer`. Bytes nobody asked for, the
   * end of the stream and read errors still go to Node.js's own read callback, and the socket
   * stays a complete `net.Socket` for everything else (`end()`, `destroy()`, its events). A
   * `setTimeout` on the socket (`client.socket`) needs the stream's timer refreshes: it ends
   * the handle path first.
   */
  useHandle(): void {
    if (!this.#onread || this.#encrypts || !this.#direct || this.#closed) return;
    const io = handleIo();
    const socket = this.socket;
    const handle = (socket as unknown as { _handle?: unknown })._handle;
    if (io === null || !isTcpHandle(handle) || socket.connecting || socket.destroyed) return;
    const record = handle as unknown as HandleRecord;
    record[handleChannel] = this;
    record[handleOnread] = handle.onread;
    handle.onread = Channel.#handleRead;
    this.#handle = handle;
    // The path leaves the stream out, so whatever else needs the stream ends it first: a
    // `setTimeout` (its timer is refreshed by the stream's reads and writes), and a write or
    // end through the socket itself (`client.socket`, or `send`), whose bytes the stream may
    // queue: writes after them go through `_write`, behind that queue. While the path is
    // taken, the stream therefore holds no bytes and is not ended, and a destroy shows on the
    // handle (Node.js swaps its `onread` out): a write checks only the channel and the handle.
    const channel = this;
    const leaving = <A extends unknown[], R>(method: (this: Socket, ...args: A) => R) =>
      function (this: Socket, ...args: A): R {
        channel.leaveHandle();
        return method.apply(this, args);
      };
    socket.setTimeout = leaving(NetSocket.prototype.setTimeout) as Socket['setTimeout'];
    socket.write = leaving(NetSocket.prototype.write) as Socket['write'];
    socket.end = leaving(NetSocket.prototype.end) as Socket['end'];
  }

  /** Back to the stream path (reads through Node.js's callback, writes through `_write`). */
  private leaveHandle(): void {
    const handle = this.#handle;
    if (handle === undefined) return;
    this.#handle = undefined;
    const record = handle as unknown as HandleRecord;
    handle.onread = record[handleOnread] as TcpHandle['onread'];
    record[handleChannel] = undefined;
  }

  // The handle's read callback (`this` is the handle): a read's size is in the binding's state.
  static #handleRead(this: TcpHandle, arrayBuffer: unknown): unknown {
    const record = this as unknown as HandleRecord;
    const channel = record[handleChannel];
    const io = handleIo() as HandleIo;
    const n = io.state[io.readBytes] as number;
    if (n > 0 && channel !== undefined && !channel.#closed) {
      if (!channel.#onData(n)) {
        // A leftover waits: stop reading until it is taken, as Node.js does for `onread`.
        this.reading = false;
        const error = this.readStop();
        if (error !== 0) channel.socket.destroy(errnoError(error, 'read'));
      }
      return undefined;
    }
    return (record[handleOnread] as TcpHandle['onread']).call(this, arrayBuffer);
  }

  /** One write on the handle; returns its number (`#done` reaches it once it is over). */
  #writeHandle(handle: TcpHandle, chunk: Uint8Array): number {
    const io = handleIo() as HandleIo;
    // A write the kernel takes whole never gets its request bound to a native one: the same
    // request serves the next write, of any connection. One that goes asynchronous (or fails)
    // keeps its own.
    let req = spareRequest;
    if (req === undefined) {
      req = new io.WriteWrap();
      req.oncomplete = Channel.#handleWritten;
      req.owner = undefined;
      req.buffer = null;
    }
    const issued = ++this.#issued;
    const error = handle.writeBuffer(req, chunk);
    if (error !== 0) {
      // Possibly bound to a native request on the way: not reused.
      spareRequest = undefined;
      this.#afterWrite(errnoError(error, 'write'));
    } else if (io.state[io.lastWriteAsync] !== 0) {
      // libuv holds the rest of the bytes until oncomplete: keep them alive until then.
      spareRequest = undefined;
      req.owner = this;
      req.buffer = chunk;
    } else {
      spareRequest = req;
      this.#done++;
    }
    return issued;
  }

  // The end of a write that went asynchronous (`this` is its request).
  static #handleWritten(this: WriteRequest, status: number): void {
    const channel = this.owner as Channel;
    this.buffer = null;
    this.owner = undefined;
    channel.#afterWrite(status < 0 ? errnoError(status, 'write') : null);
  }

  // The socket's events, one listener function each for every channel (called with the socket
  // as `this`): a connection costs no closure per event.
  static #socketError(this: Socket, error: Error): void {
    const channel = channels.get(this);
    if (channel !== undefined) channel.onError(error);
  }

  static #socketEnd(this: Socket): void {
    const channel = channels.get(this);
    if (channel !== undefined) channel.onEnd();
  }

  static #socketClose(this: Socket): void {
    const channel = channels.get(this);
    if (channel !== undefined) channel.onClose();
  }

  static #socketWritable(this: Socket): void {
    const channel = channels.get(this);
    if (channel !== undefined && channel.#polling > 0) channel.wakePollers();
  }

  private onError(error: Error): void {
    this.recordError(error);
    this.wakeAll();
  }

  private onEnd(): void {
    this.#ended = true;
    if (this.#reading) this.#feed();
    if (this.#polling > 0) this.wakePollers();
  }

  private onClose(): void {
    released.add(this.socket);
    this.#closed = true;
    this.wakeAll();
    const gone = this.onGone;
    this.onGone = undefined;
    gone?.();
  }

  private wakeAll(): void {
    if (this.#reading) this.#feed();
    const writer = this.#writer;
    if (writer !== undefined) {
      const failure = this.#streamFailure();
      if (failure !== undefined) this.#settleWrite(writer, failure);
    }
    if (this.#polling > 0) this.wakePollers();
  }
}
