import { getSystemErrorName } from 'node:util';

/**
 * @internal What reading and writing on a TCP handle itself takes (see `handleIo`): the
 * stream binding's shared state array, its indexes, and the write request class.
 */
export interface HandleIo {
  /** libuv's last read size or error, and whether the last write went asynchronous. */
  readonly state: Int32Array;
  readonly readBytes: number;
  readonly lastWriteAsync: number;
  readonly WriteWrap: new () => WriteRequest;
}

/** @internal A write request: `oncomplete(status)` is called on it once an async write ends. */
export interface WriteRequest {
  oncomplete: (this: WriteRequest, status: number) => void;
  buffer: Uint8Array | null;
  owner: unknown;
}

/** @internal The parts of a TCP handle (`socket._handle`) the handle path uses. */
export interface TcpHandle {
  onread: (this: TcpHandle, arrayBuffer: unknown) => unknown;
  reading: boolean;
  readStop(): number;
  writeBuffer(req: WriteRequest, bytes: Uint8Array): number;
}

interface StreamBinding {
  streamBaseState?: unknown;
  kReadBytesOrError?: unknown;
  kLastWriteWasAsync?: unknown;
  WriteWrap?: unknown;
}

let detected: HandleIo | null | undefined;

/**
 * @internal The handle path, or `null` where it is not available.
 *
 * Node.js's socket reads and writes through its stream machinery: each read is reported to
 * `onStreamRead` (the socket's timers, its `onread` option), each write goes through
 * `Writable` and `_writeGeneric` before it reaches `handle.writeBuffer`. A connection that
 * reads into its own buffer and waits for its own writes uses none of that, and at thousands of
 * connections every object a request touches costs a cache miss: the handle path reads and
 * writes on the handle directly and leaves the `net.Socket` out of a request's work. It needs
 * three things only the stream binding gives (its state array, which carries a read's size and
 * whether a write went asynchronous, and the write request class), through
 * `process.binding('stream_wrap')`, which is deprecated in the documentation only. So it is
 * taken only where that call is quiet and allowed: never under `--pending-deprecation` (where
 * Node.js wraps `process.binding` to warn), never where it throws (the permission model), never
 * with `CORO_NET_HANDLE_IO=off`, and never when the binding does not look as expected.
 * Anything else writes through the socket's `_write` (`'direct'`).
 */
export function handleIo(): HandleIo | null {
  if (detected !== undefined) return detected;
  detected = detect();
  return detected;
}

function detect(): HandleIo | null {
  if (process.env.CORO_NET_HANDLE_IO === 'off') return null;
  const binding = (process as { binding?: unknown }).binding;
  // Under --pending-deprecation process.binding is util.deprecate's wrapper, named so.
  if (typeof binding !== 'function' || binding.name === 'deprecated') return null;
  let stream: StreamBinding;
  try {
    stream = binding.call(process, 'stream_wrap') as StreamBinding;
  } catch {
    return null;
  }
  const state = stream?.streamBaseState;
  const readBytes = stream?.kReadBytesOrError;
  const lastWriteAsync = stream?.kLastWriteWasAsync;
  const WriteWrap = stream?.WriteWrap;
  if (
    !(state instanceof Int32Array) ||
    !isIndex(readBytes, state) ||
    !isIndex(lastWriteAsync, state) ||
    readBytes === lastWriteAsync ||
    typeof WriteWrap !== 'function'
  ) {
    return null;
  }
  return { state, readBytes, lastWriteAsync, WriteWrap: WriteWrap as new () => WriteRequest };
}

function isIndex(value: unknown, state: Int32Array): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < state.length;
}

/** @internal Whether `handle` has what the handle path calls. */
export function isTcpHandle(handle: unknown): handle is TcpHandle {
  if (handle === null || typeof handle !== 'object') return false;
  const h = handle as Partial<TcpHandle>;
  return (
    typeof h.onread === 'function' &&
    typeof h.readStop === 'function' &&
    typeof h.writeBuffer === 'function'
  );
}

/** @internal The error a failed handle read or write stands for, as Node.js would make it. */
export function errnoError(errno: number, syscall: 'read' | 'write'): Error {
  let code: string;
  try {
    code = getSystemErrorName(errno);
  } catch {
    code = 'UNKNOWN';
  }
  return Object.assign(new Error(`${syscall} ${code}`), { errno, code, syscall });
}
