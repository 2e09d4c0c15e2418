/**
 * The kinds of `IoStatus`, libcoro's `io_status::kind`:
 * - `ok`: the operation moved bytes (or succeeded).
 * - `closed`: the peer ended the stream (a read at end of data), or the socket is closed.
 * - `connectionReset`: the peer reset the connection (`ECONNRESET`).
 * - `connectionRefused`: nobody listens there (`ECONNREFUSED`, also for UDP's ICMP answers).
 * - `timeout`: the call's `timeout` ran out (or the OS timed out: `ETIMEDOUT`, errno kept).
 * - `wouldBlock`: an immediate attempt (`recv`, `send`, `timeout: 0`) found nothing ready.
 * - `pollingError`: the socket reported an error while being waited on.
 * - `cancelled`: the call's `signal` stopped.
 * - `udpNotBound`: `recvFrom` on a UDP peer that was never bound.
 * - `messageTooBig`: a datagram larger than the socket can send (`EMSGSIZE`).
 * - `native`: any other OS error; `errno` holds its name (`'EHOSTUNREACH'`, ...).
 * - `unknown`: an error that is not the OS's: none with a code, or a Node.js `ERR_*` code (kept
 *   as `errno`).
 */
export type IoStatusKind =
  | 'ok'
  | 'closed'
  | 'connectionReset'
  | 'connectionRefused'
  | 'timeout'
  | 'wouldBlock'
  | 'pollingError'
  | 'cancelled'
  | 'udpNotBound'
  | 'messageTooBig'
  | 'native'
  | 'unknown';

const kindOfErrno: Record<string, IoStatusKind> = {
  ECONNRESET: 'connectionReset',
  ECONNABORTED: 'connectionReset',
  ECONNREFUSED: 'connectionRefused',
  EPIPE: 'closed',
  ENOTCONN: 'closed',
  EOF: 'closed',
  ERR_STREAM_DESTROYED: 'closed',
  ERR_SOCKET_CLOSED: 'closed',
  ERR_SOCKET_CLOSED_BEFORE_CONNECTION: 'closed',
  ERR_STREAM_PREMATURE_CLOSE: 'closed',
  ERR_STREAM_WRITE_AFTER_END: 'closed',
  ERR_SOCKET_DGRAM_NOT_RUNNING: 'closed',
  ETIMEDOUT: 'timeout',
  ERR_SOCKET_CONNECTION_TIMEOUT: 'timeout',
  EAGAIN: 'wouldBlock',
  EWOULDBLOCK: 'wouldBlock',
  ECANCELED: 'cancelled',
  EMSGSIZE: 'messageTooBig',
  EDESTADDRREQ: 'udpNotBound',
};

/**
 * The outcome of one I/O call (libcoro's `io_status`): a `kind`, and for statuses that came
 * from the operating system the errno name (`errno`, such as `'ECONNRESET'`) and the original
 * error (`cause`). Statuses without an OS error are shared constants (`IoStatus.ok`,
 * `IoStatus.timeout`, ...), so comparing `kind` is the way to test one.
 *
 * @example
 * const [status, view] = await client.readSome(buffer);
 * if (status.isOk()) handle(view);
 * else if (status.isClosed()) console.log('peer closed');
 * else console.log('read failed:', status.kind, status.errno);
 */
export class IoStatus {
  /** What happened. */
  readonly kind: IoStatusKind;
  /** The errno name (`'ECONNRESET'`) when the status came from the OS, else `undefined`. */
  readonly errno: string | undefined;
  /** The error Node.js reported, when there was one. */
  readonly cause: Error | undefined;

  constructor(kind: IoStatusKind, errno?: string, cause?: Error) {
    this.kind = kind;
    this.errno = errno;
    this.cause = cause;
    // Every status is frozen, the shared ones and those made for one failure alike: one shape
    // for all, so that code checking statuses (`isOk()` on every read) meets one kind of object
    // and is not sent back to slower code by the first failure it sees.
    Object.freeze(this);
  }

  /** Success. */
  static readonly ok: IoStatus = new IoStatus('ok');
  /** The stream ended or the socket is closed. */
  static readonly closed: IoStatus = new IoStatus('closed');
  /** The call's timeout ran out. */
  static readonly timeout: IoStatus = new IoStatus('timeout');
  /** Nothing was ready for an immediate attempt. */
  static readonly wouldBlock: IoStatus = new IoStatus('wouldBlock');
  /** The call's signal stopped. */
  static readonly cancelled: IoStatus = new IoStatus('cancelled');
  /** `recvFrom` on an unbound UDP peer. */
  static readonly udpNotBound: IoStatus = new IoStatus('udpNotBound');
  /** A datagram too large to send. */
  static readonly messageTooBig: IoStatus = new IoStatus('messageTooBig');
  /** The socket failed while being polled. */
  static readonly pollingError: IoStatus = new IoStatus('pollingError');

  /**
   * The status for an error Node.js reported: its `code` (`'ECONNRESET'`, ...) picks the
   * kind (`native` for the other OS errors, `unknown` for Node.js's own `ERR_*` codes), and is
   * kept as `errno`.
   */
  static fromError(error: unknown): IoStatus {
    const cause = error instanceof Error ? error : new Error(String(error));
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code !== 'string') return new IoStatus('unknown', undefined, cause);
    return new IoStatus(
      kindOfErrno[code] ??
        (code.startsWith('E') && !code.startsWith('ERR_') ? 'native' : 'unknown'),
      code,
      cause,
    );
  }

  /** `kind === 'ok'`. */
  isOk(): boolean {
    return this.kind === 'ok';
  }

  /** `kind === 'closed'`. */
  isClosed(): boolean {
    return this.kind === 'closed';
  }

  /** `kind === 'timeout'`. */
  isTimeout(): boolean {
    return this.kind === 'timeout';
  }

  /** `kind === 'wouldBlock'`. */
  isWouldBlock(): boolean {
    return this.kind === 'wouldBlock';
  }

  /** `kind === 'cancelled'`. */
  isCancelled(): boolean {
    return this.kind === 'cancelled';
  }

  /** `kind === 'connectionReset'`. */
  isConnectionReset(): boolean {
    return this.kind === 'connectionReset';
  }

  /** `kind === 'connectionRefused'`. */
  isConnectionRefused(): boolean {
    return this.kind === 'connectionRefused';
  }

  /** `'ok'`, `'timeout'`, or `'native(EHOSTUNREACH)'` / `'connectionReset(ECONNRESET)'`. */
  toString(): string {
    return this.errno === undefined ? this.kind : `${this.kind}(${this.errno})`;
  }
}

// Its shared constants (and static methods) cannot be replaced at run time: code everywhere
// compares statuses and addresses against them.
Object.freeze(IoStatus);

/** Whether `status` is `ok` (a function form of `status.isOk()`). */
export function isIoOk(status: IoStatus): boolean {
  return status.kind === 'ok';
}
